/**
 * Containers mode as library calls: a deploy (the host side through the packages engine, then
 * every service container converged to its spec), an upgrade and a rollback of one service.
 * Each holds ONE SSH connection per node for the whole operation, under the deploy lock of
 * packages mode (a container operation and a deploy never interleave), and renders once.
 */
import { hostname, userInfo } from 'node:os';
import { applyPlan } from '../apply/apply-plan.js';
import type { ApplyEvent } from '../apply/events.js';
import { acquireLock, releaseLock } from '../apply/lock.js';
import type { Deployment, Host } from '../config/model.js';
import { secretsOf } from '../config/secrets.js';
import { nodeDocker, type NodeDocker } from '../containers/docker-over-ssh.js';
import { containersError } from '../containers/errors.js';
import { historyFileIn } from '../containers/history.js';
import { listCairnImages } from '../containers/image-build.js';
import { parseTag } from '../containers/images.js';
import { ensureEngine } from '../containers/node-prep.js';
import { deployContainers, moveService, rollbackTarget, serviceHosts, type ContainerNode, type DeployEntry, type MoveResult, type OpsContext } from '../containers/operations.js';
import { containerService, containerServices, imageOf, type ContainerService } from '../containers/services.js';
import { UsageError } from '../errors.js';
import { connectDocker } from '../local/docker-engine.js';
import { HARDWARE_SCRIPT, parseHardware, type Hardware } from '../plan/decide-hosts.js';
import { connectSsh, type SshTransport } from '../transport/ssh-transport.js';
import type { ProvisionReport } from '../provision/run-provision.js';
import { provisionAfterDeploy } from './deploy-cloud.js';
import { planDeployment, type Planned } from './plan-deployment.js';
import { openRunDir, type RunDir } from './run-dir.js';
import { containersVerify } from './verify-cloud.js';
import { shippedPlaybooks } from './playbooks.js';

/** What every containers-mode operation is given. */
export interface NodeOptions {
  trustNewHosts?: boolean;
  /** How long a new container may take to become healthy (ms). */
  healthDeadlineMs: number;
  /** cairn's state directory (the history is STATE/containers/history.jsonl). */
  stateDir: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Apply events of the host side (deploy only). */
  onEvent?: (e: ApplyEvent) => void;
}

/** The container services named by `names` (all when none); an unknown name is a usage error. */
export function selectServices(names: readonly string[] | undefined): ContainerService[] {
  if (!names || names.length === 0) return [...containerServices];
  return names.map((n) => {
    const s = containerService(n);
    if (!s) throw new UsageError(`--service ${n}: no such container service (known: ${containerServices.map((x) => x.name).join(', ')})`);
    return s;
  });
}

/** Checks a `<release>-<build>` tag given on the command line. */
export function checkTag(tag: string, flag: string, example: string): void {
  if (!parseTag(tag)) throw new UsageError(`${flag} ${tag}: expected <release>-<build>, e.g. ${example}`);
}

/** The outcome of a containers-mode deploy. */
export interface ContainersDeployOutcome {
  planned: Planned;
  entries: DeployEntry[];
}

/**
 * A containers-mode deploy: the host side (chrony, repositories, MariaDB, RabbitMQ, memcached,
 * Open vSwitch and its bridges, libvirtd, admin credentials) through the packages engine, which
 * reads every host's hardware and plans (and renders) once, then every service container
 * converged to its spec from those same files. `tag`: for services with no container yet
 * (default: the newest built); running ones keep theirs.
 */
export async function deployContainersCloud(d: Deployment, opts: NodeOptions & { tag?: string; skipHostSide?: boolean }): Promise<ContainersDeployOutcome> {
  if (opts.tag !== undefined) checkTag(opts.tag, '--tag', 'zed-1');
  const built = await listCairnImages(await connectDocker());
  let planned: Planned | undefined;
  if (!opts.skipHostSide) {
    opts.log('host side: chrony, repositories, MariaDB, RabbitMQ, memcached, Open vSwitch and its bridges, libvirtd, admin credentials (packages-mode steps)');
    planned = await applyHostSide(d, opts);
  }
  const entries = await withNodes(d, opts, planned, (ctx) =>
    deployContainers(ctx, (s, running) => {
      const tag = running ?? opts.tag ?? built.find((r) => r.name === imageOf(s) && parseTag(r.tag)?.release === ctx.deployment.release)?.tag;
      if (!tag) throw new UsageError(`no image of ${s.name} for ${ctx.deployment.release} is built: run 'cairn images build'`);
      return tag;
    }),
  );
  return { planned: planned ?? planDeployment(d), entries };
}

/**
 * Demo provisioning in containers mode (CONFIG_PROVISION_DEMO=y), after a successful deploy:
 * the same script as packages mode, run in the keystone container (the host has no client),
 * with its log and provision.json in a new run directory. Undefined when provisioning is off.
 */
export async function provisionContainersCloud(planned: Planned, opts: Pick<NodeOptions, 'stateDir' | 'trustNewHosts' | 'log'>): Promise<{ report: ProvisionReport; run: RunDir } | undefined> {
  const d = planned.deployment;
  if (!d.provisionDemo) return undefined;
  const run = openRunDir(opts.stateDir);
  const emit = (e: ApplyEvent): void => {
    run.event(e);
    if (e.type === 'note') opts.log(`${e.host}: ${e.message}`);
  };
  const report = await provisionAfterDeploy(d, run, opts, emit, containersVerify(d, planned.files).apiContainer);
  run.writeJson('provision.json', report);
  return { report, run };
}

/** Moves one service to `tag`: canary host first, migrations once, each host health-gated. */
export function upgradeService(d: Deployment, service: ContainerService, tag: string, opts: NodeOptions & { hosts?: string[] }): Promise<MoveResult[]> {
  checkTag(tag, '--tag', 'zed-2');
  return withNodes(d, opts, undefined, (ctx) => moveService(ctx, service, tag, 'upgrade', opts.hosts));
}

/** Returns one service to its previous (or `to`) tag on every host it runs on. */
export function rollbackService(d: Deployment, service: ContainerService, to: string | undefined, opts: NodeOptions): Promise<MoveResult[]> {
  return withNodes(d, opts, undefined, async (ctx) => {
    const target = await rollbackTarget(ctx, service, to);
    opts.log(`rolling ${service.name} back from ${target.from} to ${target.to}`);
    return moveService(ctx, service, target.to, 'rollback');
  });
}

/**
 * The host side of containers mode, applied by the same engine as `cairn deploy` (facts,
 * prechecks, only what is needed); returns what it planned, files of the containers included.
 */
async function applyHostSide(d: Deployment, opts: NodeOptions): Promise<Planned> {
  const playbooks = shippedPlaybooks();
  let planned: Planned | undefined;
  const report = await applyPlan(
    d,
    (hardware) => {
      planned = planDeployment(d, hardware, { playbooks });
      return planned.plan;
    },
    {
      dryRun: false,
      forks: 10,
      connect: (host) => connectSsh(host, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) }),
      onEvent: (e) => opts.onEvent?.(e),
      log: () => undefined,
      owner: `containers ${userInfo().username}@${hostname()}`,
      secrets: secretsOf(d),
    },
  );
  if (!report.ok || !planned) {
    const errors = report.hosts.filter((h) => h.error).map((h) => `${h.host}: ${h.error}`);
    const pre = report.prechecks.filter((p) => p.severity === 'error').map((p) => `${p.host}: ${p.message}`);
    throw containersError(`the host side (infrastructure: MariaDB, RabbitMQ, memcached, Open vSwitch, libvirtd) failed:\n${[...pre, ...errors].join('\n')}`);
  }
  return planned;
}

/**
 * Connects to every host of `d` a container service runs on (ONE SSH connection each, kept for
 * the whole operation), locks it, makes sure each runs a Docker engine, runs `fn`, and closes
 * everything in finally. `planned`: the deploy's own plan, whose hardware decisions and files
 * the containers use; without it (upgrade, rollback) each node's hardware is read here and
 * decided by the same planner, so an upgrade renders the nova.conf the deploy rendered.
 */
async function withNodes<R>(d: Deployment, opts: NodeOptions, planned: Planned | undefined, fn: (ctx: OpsContext) => Promise<R>): Promise<R> {
  // Placement does not depend on hardware: the deploy's files, or the undecided ones, say where.
  const placement = planned?.files ?? planDeployment(d).files;
  const hosts: Host[] = d.hosts.filter((h) => containerServices.some((s) => serviceHosts(d, s, placement).some((x) => x.name === h.name)));
  const transports: SshTransport[] = [];
  const dockers: NodeDocker[] = [];
  const connected = new Map<string, SshTransport>();
  const owner = `containers ${process.pid} ${userInfo().username}@${hostname()} ${new Date().toISOString()}`;
  const locked: SshTransport[] = [];
  try {
    for (const host of hosts) {
      const t = await connectSsh(host, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) });
      transports.push(t);
      const note = await acquireLock(t, owner, false);
      locked.push(t);
      if (note) opts.log(`${host.name}: ${note}`);
      await ensureEngine(t);
      connected.set(host.name, t);
    }
    let decided = planned;
    if (!decided) {
      const hardware = new Map<string, Hardware>();
      await Promise.all([...connected].map(async ([name, t]) => hardware.set(name, parseHardware((await t.run({ argv: ['sh', '-c', HARDWARE_SCRIPT] })).stdout))));
      decided = planDeployment(d, hardware);
    }
    const nodes = new Map<string, ContainerNode>();
    for (const h of decided.deployment.hosts) {
      const t = connected.get(h.name);
      if (!t) continue;
      const nd = nodeDocker(t);
      dockers.push(nd);
      nodes.set(h.name, { host: h, transport: t, docker: nd.docker });
    }
    return await fn({ deployment: decided.deployment, rendered: decided.files, nodes, local: await connectDocker(), log: opts.log, historyFile: historyFileIn(opts.stateDir), healthDeadlineMs: opts.healthDeadlineMs });
  } finally {
    for (const nd of dockers) nd.close();
    await Promise.all(locked.map((t) => releaseLock(t, owner)));
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
  }
}
