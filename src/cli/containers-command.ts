/**
 * Containers mode on the command line:
 *
 *   cairn images build [--release zed] [--tag TAG] [--service NAME...]
 *   cairn images list [--json]
 *   cairn containers deploy -a FILE [-i INVENTORY] [--tag TAG]
 *   cairn upgrade -a FILE --service NAME --tag TAG [--hosts h1,h2]
 *   cairn rollback -a FILE --service NAME [--to TAG]
 *   cairn history [--service NAME] [--json]
 *
 * Expected failures become CairnError (exit 1 for engine and host failures, 2 for bad usage);
 * progress goes to stderr, results to stdout.
 */
import { Command, Option } from 'commander';
import Docker from 'dockerode';
import type { Host } from '../config/model.js';
import { nodeDocker, type NodeDocker } from '../containers/docker-over-ssh.js';
import { HISTORY_FILE, formatHistory, historyFileIn, readHistory } from '../containers/history.js';
import { deployContainers, moveService, rollbackTarget, serviceHosts, type ContainerNode, type OpsContext } from '../containers/operations.js';
import { ensureEngine } from '../containers/node-prep.js';
import { renderFiles } from '../render/render-files.js';
import { allServices } from '../services/index.js';
import { connectSsh, type SshTransport } from '../transport/ssh-transport.js';
import { loadFromFiles, printProblems } from './load.js';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../apply/apply-plan.js';
import { acquireLock, releaseLock } from '../apply/lock.js';
import type { Deployment } from '../config/model.js';
import { secretsOf } from '../config/secrets.js';
import { hostSideServices } from '../containers/infra.js';
import { buildPlan } from '../plan/build-plan.js';
import { loadPlaybooks } from '../plan/playbook.js';
import { packageRoot } from '../render/templates.js';
import { plainProgress } from './progress.js';
import { containersError } from '../containers/errors.js';
import { buildServiceImages, listCairnImages } from '../containers/image-build.js';
import { nextTag, parseTag } from '../containers/images.js';
import {
  containerService,
  containerServices,
  imageOf,
  keystoneContainer,
  type ContainerService,
} from '../containers/services.js';
import { decideVirtType } from '../apply/prechecks.js';
import { hasRole } from '../config/model.js';
import type { Transport } from '../transport/transport.js';
import { containerName } from '../containers/desired.js';
import { adminEnvScript } from '../services/credentials.js';
import type { Plan } from '../plan/steps.js';
import type { ContainersVerify } from '../verify/run-verify.js';
import { connectDocker } from '../lab/docker-engine.js';
import { Progress } from '../lab/progress.js';
import { CairnError, UsageError } from '../errors.js';
import type { Io } from './main.js';

/** Turns containers-mode errors into the CLI's CairnError; anything else stays a bug. */
export async function guardedContainers(io: Io, run: () => Promise<void>): Promise<void> {
  await run();
}

/** The container services named by --service (all when none). */
export function selectServices(names: readonly string[] | undefined): ContainerService[] {
  if (!names || names.length === 0) return [...containerServices];
  return names.map((n) => {
    const s = containerService(n);
    if (!s) throw new UsageError(`--service ${n}: no such container service (known: ${containerServices.map((x) => x.name).join(', ')})`);
    return s;
  });
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Adds `images` and its subcommands to `program`. */
export function registerImagesCommands(program: Command, io: Io): void {
  const progressOut = { write: (text: string) => io.err(text.replace(/\n$/, '')) };
  const images = program.command('images').description('service images for containers mode, built locally from Debian packages');

  images
    .command('build')
    .description('build cairn/openstack-base and one image per service, tagged <release>-<build> (next build number unless --tag)')
    .option('--release <release>', 'OpenStack release the Debian packages are (bookworm ships zed)', 'zed')
    .option('--tag <tag>', 'tag to build, e.g. zed-2 (default: the next build number)')
    .option('--service <name>', 'only this service (repeatable)', collect)
    .option('--no-cache', "rebuild every layer (picks up new Debian package versions); default: reuse unchanged layers")
    .action((opts: { release: string; tag?: string; service?: string[]; cache: boolean }) =>
      guardedContainers(io, async () => {
        const services = selectServices(opts.service);
        if (opts.tag !== undefined && parseTag(opts.tag)?.release !== opts.release) {
          throw new UsageError(`--tag ${opts.tag}: expected ${opts.release}-<build number>, e.g. ${opts.release}-1`);
        }
        const docker = await connectDocker();
        const tag = opts.tag ?? nextTag(opts.release, (await listCairnImages(docker)).map((r) => r.tag));
        const progress = new Progress(progressOut, '.cairn/images/build.log');
        const built = await buildServiceImages(docker, services, opts.release, tag, progress, !opts.cache);
        for (const ref of built) io.out(ref);
      }),
    );

  images
    .command('list')
    .description("cairn's images on this machine's engine, newest first")
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      guardedContainers(io, async () => {
        const rows = await listCairnImages(await connectDocker());
        if (opts.json) {
          io.out(JSON.stringify(rows, null, 2));
          return;
        }
        for (const r of rows) io.out(`${r.ref.padEnd(36)} ${new Date(r.created * 1000).toISOString()}  ${(r.sizeBytes / 1e6).toFixed(0)} MB  ${r.id.slice(7, 19)}`);
      }),
    );
}

/**
 * The host-side plan of containers mode (what `containers deploy` applies and `cairn verify`
 * checks the units of): the packages-mode plan restricted to chrony, repositories, MariaDB
 * (with the container services' databases), RabbitMQ, memcached, Open vSwitch with the provider
 * bridges, libvirtd and the admin credentials.
 */
export function hostSidePlan(d: Deployment): Plan {
  const services = hostSideServices(containerServices);
  const { playbooks, problems } = loadPlaybooks(join(packageRoot(), 'playbooks'), allServices.map((s) => s.name));
  if (problems.length) throw new Error(`bug: shipped playbooks are invalid: ${problems.map((p) => p.message).join('; ')}`);
  // The provider bridges and forwarding stay (Open vSwitch is on the host, the agents' routers
  // forward); a playbook's own commands do not (they may call tools only packages mode installs).
  const hostPlaybooks = playbooks.map((p) => ({ ...p, commands: [] }));
  return buildPlan(d, renderFiles(d, services), hostPlaybooks, services);
}

/**
 * What `cairn verify` checks in containers mode: every enabled service container on its hosts,
 * and the APIs of those services, from inside the keystone container (the host has no client).
 */
export function containersVerify(d: Deployment): ContainersVerify {
  const rendered = renderFiles(d, allServices);
  const on = new Map<string, string[]>();
  const enabled = containerServices.filter((s) => s.descriptor.enabled(d));
  for (const s of enabled) {
    for (const h of serviceHosts(d, s, rendered)) on.set(h.name, [...(on.get(h.name) ?? []), containerName(s.name)]);
  }
  // Which APIs verify expects is verify's apiServices (the same rule for both modes).
  return {
    on,
    apiContainer: containerName(keystoneContainer.name),
    adminEnv: adminEnvScript(d),
  };
}

/**
 * The host side of containers mode (see hostSidePlan), applied by the same engine as
 * `cairn deploy` (facts, prechecks, only what is needed).
 */
async function applyHostSide(d: Deployment, opts: { trustNewHosts?: boolean }, io: Io): Promise<void> {
  const plan = hostSidePlan(d);
  const progress = plainProgress(io, false);
  const report = await applyPlan(d, plan, {
    dryRun: false,
    forks: 10,
    connect: (host) => connectSsh(host, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) }),
    onEvent: (e) => progress.onEvent(e),
    log: () => undefined,
    owner: `containers ${userInfo().username}@${hostname()}`,
    secrets: secretsOf(d),
  });
  await progress.done();
  if (!report.ok) {
    const errors = report.hosts.filter((h) => h.error).map((h) => `${h.host}: ${h.error}`);
    const pre = report.prechecks.filter((p) => p.severity === 'error').map((p) => `${p.host}: ${p.message}`);
    throw containersError(`the host side (infrastructure: MariaDB, RabbitMQ, memcached, Open vSwitch, libvirtd) failed:\n${[...pre, ...errors].join('\n')}`);
  }
}

/** Options every command that touches nodes takes. */
export interface NodeOptions {
  answerFile: string;
  inventory?: string;
  trustNewHosts?: boolean;
  healthTimeout: string;
  stateDir: string;
}

/**
 * The containers-mode deployment of `opts`, checked before any host is touched: the files
 * (their problems printed once), the mode, and --health-timeout.
 */
function loadContainersDeployment(opts: NodeOptions, io: Io): Deployment {
  const loaded = loadFromFiles({ answerFile: opts.answerFile, ...(opts.inventory ? { inventory: opts.inventory } : {}) });
  printProblems(loaded, io.err);
  const d = loaded.deployment;
  if (!d) throw new UsageError(`${opts.answerFile}: invalid; no host was touched`);
  if (d.mode !== 'containers') {
    throw new UsageError(`${opts.answerFile}: CAIRN_DEPLOY_MODE is '${d.mode}'; set CAIRN_DEPLOY_MODE=containers to run OpenStack services in containers`);
  }
  healthDeadlineMs(opts);
  return d;
}

function healthDeadlineMs(opts: NodeOptions): number {
  const seconds = Number(opts.healthTimeout);
  if (!Number.isFinite(seconds) || seconds < 5) throw new UsageError(`--health-timeout must be a number of seconds of at least 5, got '${opts.healthTimeout}'`);
  return seconds * 1000;
}

/**
 * Connects to every host of `d` a container service runs on (ONE SSH connection each, kept for
 * the whole command), makes sure each runs a Docker engine, runs `fn`, and closes everything in
 * finally.
 */
async function withNodes<R>(given: Deployment, opts: NodeOptions, io: Io, fn: (ctx: OpsContext) => Promise<R>): Promise<R> {
  let d = given;
  let rendered = renderFiles(d, allServices);
  const hosts: Host[] = d.hosts.filter((h) => containerServices.some((s) => serviceHosts(d, s, rendered).some((x) => x.name === h.name)));
  const transports: SshTransport[] = [];
  const dockers: NodeDocker[] = [];
  const nodes = new Map<string, ContainerNode>();
  const log = (line: string): void => io.err(line);
  // The deploy lock of packages mode: a container operation and a deploy never interleave.
  const owner = `containers ${process.pid} ${userInfo().username}@${hostname()} ${new Date().toISOString()}`;
  const locked: SshTransport[] = [];
  try {
    for (const host of hosts) {
      const t = await connectSsh(host, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) });
      transports.push(t);
      const note = await acquireLock(t, owner, false);
      locked.push(t);
      if (note) log(`${host.name}: ${note}`);
      await ensureEngine(t);
      const nd = nodeDocker(t);
      dockers.push(nd);
      nodes.set(host.name, { host, transport: t, docker: nd.docker });
    }
    if (d.nova.virtType === 'auto') {
      // Nova's virt_type is decided per compute host, as packages mode does from its facts; every
      // command decides it again, so an upgrade renders the nova.conf the deploy rendered.
      const decided = await Promise.all(d.hosts.map(async (h) => {
        const n = nodes.get(h.name);
        return n && hasRole(h, 'compute') ? { ...h, virtType: await probeVirtType(d, n.transport) } : h;
      }));
      d = { ...d, hosts: decided };
      rendered = renderFiles(d, allServices);
      for (const h of d.hosts) {
        const n = nodes.get(h.name);
        if (n) nodes.set(h.name, { ...n, host: h });
      }
    }
    return await fn({ deployment: d, rendered, nodes, local: new Docker(), log, historyFile: historyFileIn(opts.stateDir), healthDeadlineMs: healthDeadlineMs(opts) });
  } finally {
    for (const nd of dockers) nd.close();
    await Promise.all(locked.map((t) => releaseLock(t, owner)));
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
  }
}

/** kvm or qemu for a compute host, from /dev/kvm and its CPU flags (decideVirtType's rule). */
async function probeVirtType(d: Deployment, t: Transport): Promise<'kvm' | 'qemu'> {
  const r = await t.run({ argv: ['sh', '-c', "test -e /dev/kvm && echo kvm; grep -m1 -owE 'vmx|svm' /proc/cpuinfo || true"] });
  const words = r.stdout.split(/\s+/);
  return decideVirtType(d, { kvm: words.includes('kvm'), cpuFlags: words.filter((w) => w === 'vmx' || w === 'svm') }).virtType;
}

/** Options of a containers-mode deploy (`cairn containers deploy`, or `cairn deploy` in that mode). */
export interface ContainersDeployOptions extends NodeOptions {
  tag?: string;
  skipHostSide?: boolean;
}

/**
 * A containers-mode deploy: the host side (chrony, repositories, MariaDB, RabbitMQ, memcached,
 * admin credentials) through the packages engine, then every service container converged to its spec. `loaded`:
 * the deployment when the caller has already loaded and checked it (`cairn deploy`).
 */
export function runContainersDeploy(opts: ContainersDeployOptions, io: Io, loaded?: Deployment): Promise<void> {
  return guardedContainers(io, async () => {
    if (opts.tag !== undefined && !parseTag(opts.tag)) throw new UsageError(`--tag ${opts.tag}: expected <release>-<build>, e.g. zed-1`);
    const d = loaded ?? loadContainersDeployment(opts, io);
    const local = await connectDocker();
    const built = await listCairnImages(local);
    if (!opts.skipHostSide) {
      io.err('host side: chrony, repositories, MariaDB, RabbitMQ, memcached, Open vSwitch and its bridges, libvirtd, admin credentials (packages-mode steps)');
      await applyHostSide(d, opts, io);
    }
    const entries = await withNodes(d, opts, io, (ctx) =>
      deployContainers(ctx, (s, running) => {
        const tag = running ?? opts.tag ?? built.find((r) => r.name === imageOf(s) && parseTag(r.tag)?.release === ctx.deployment.release)?.tag;
        if (!tag) throw new UsageError(`no image of ${s.name} for ${ctx.deployment.release} is built: run 'cairn images build'`);
        return tag;
      }),
    );
    const changed = entries.filter((e) => e.action !== 'none');
    for (const e of entries) io.out(`${e.host}  ${e.container.padEnd(22)} ${e.tag.padEnd(8)} ${e.action === 'none' ? 'unchanged' : e.action}`);
    io.out(`${entries.length} containers, ${changed.length} changed`);
  });
}

function nodeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-a, --answer-file <file>', 'Packstack-style answer file (INI)').makeOptionMandatory())
    .option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)')
    .option('--trust-new-hosts', 'accept and record host keys not in known_hosts (never a changed key)')
    .option('--health-timeout <seconds>', 'how long a new container may take to become healthy', '120')
    .option('--state-dir <dir>', "cairn's state directory (the history is STATE/containers/history.jsonl)", '.cairn');
}

/** Registers every containers-mode command. */
export function registerContainersCommands(program: Command, io: Io): void {
  registerImagesCommands(program, io);

  const containers = program.command('containers').description('containers mode (CAIRN_DEPLOY_MODE=containers): one container per OpenStack service');
  nodeOptions(containers.command('deploy'))
    .description('converge every service container to its spec: create, start or recreate only what differs (a re-run with nothing changed restarts nothing)')
    .option('--tag <tag>', 'image tag for services that have no container yet (default: the newest built); running ones keep theirs (use upgrade)')
    .option('--skip-host-side', 'do not apply the host-side steps (MariaDB, RabbitMQ, memcached), only converge containers')
    .action((opts: ContainersDeployOptions) => runContainersDeploy(opts, io));

  const withService = (cmd: Command): Command => nodeOptions(cmd).requiredOption('--service <name>', `container service (${containerServices.map((x) => x.name).join(', ')})`);

  withService(program.command('upgrade'))
    .description('move one service to a new image tag: canary host first, migrations once, each host health-gated; a refused version is replaced by the old one automatically')
    .requiredOption('--tag <tag>', 'image tag to move to, e.g. zed-2')
    .option('--hosts <names>', 'only these hosts (comma-separated; the first is the canary)')
    .action((opts: NodeOptions & { service: string; tag: string; hosts?: string }) =>
      guardedContainers(io, async () => {
        const [service] = selectServices([opts.service]);
        if (!parseTag(opts.tag)) throw new UsageError(`--tag ${opts.tag}: expected <release>-<build>, e.g. zed-2`);
        const hosts = opts.hosts?.split(',').map((h) => h.trim()).filter(Boolean);
        const results = await withNodes(loadContainersDeployment(opts, io), opts, io, (ctx) => moveService(ctx, service!, opts.tag, 'upgrade', hosts));
        for (const r of results) io.out(`${r.host}  ${service!.name}  ${r.from ?? '(none)'} -> ${r.to}  ok  unavailable ${((r.result.gapMs ?? 0) / 1000).toFixed(1)} s`);
      }),
    );

  withService(program.command('rollback'))
    .description('return one service to its previous (or a named) image tag on every host it runs on')
    .option('--to <tag>', 'tag to return to (default: the one before the running one)')
    .action((opts: NodeOptions & { service: string; to?: string }) =>
      guardedContainers(io, async () => {
        const [service] = selectServices([opts.service]);
        const results = await withNodes(loadContainersDeployment(opts, io), opts, io, async (ctx) => {
          const { from, to } = await rollbackTarget(ctx, service!, opts.to);
          io.err(`rolling ${service!.name} back from ${from} to ${to}`);
          return moveService(ctx, service!, to, 'rollback');
        });
        for (const r of results) io.out(`${r.host}  ${service!.name}  ${r.from ?? '(none)'} -> ${r.to}  ok`);
      }),
    );

  program
    .command('history')
    .description(`what containers mode changed where and when, from which image, and the outcome (${HISTORY_FILE})`)
    .option('--service <name>', 'only this service')
    .option('--json', 'print JSON lines')
    .option('--state-dir <dir>', "cairn's state directory", '.cairn')
    .action((opts: { service?: string; json?: boolean; stateDir: string }) =>
      guardedContainers(io, async () => {
        if (opts.service) selectServices([opts.service]);
        for (const r of readHistory(historyFileIn(opts.stateDir), opts.service)) io.out(opts.json ? JSON.stringify(r) : formatHistory(r));
      }),
    );
}
