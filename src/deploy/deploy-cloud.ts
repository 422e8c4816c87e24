/**
 * `deployCloud`: the whole packages-mode run as one library call. Connect to every host (one
 * SSH connection each), lock, read hardware, plan once (render once), read facts, precheck,
 * apply, then verify with the plan that was applied and copy the admin credentials here.
 * Nothing is printed: progress goes to `onEvent`, everything else is in the returned value.
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { applyPlan, type ApplyReport } from '../apply/apply-plan.js';
import type { ApplyEvent } from '../apply/events.js';
import type { Deployment, Host } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import { buildGuestImage, type GuestImage } from '../guest/guest-image.js';
import { Progress } from '../local/progress.js';
import { provisionDemo, type ProvisionReport } from '../provision/run-provision.js';
import { secretsOf } from '../config/secrets.js';
import { TemplateSet } from '../render/templates.js';
import { connectSsh } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import type { VerifyReport } from '../verify/run-verify.js';
import { writeLocalCredentials } from './local-credentials.js';
import { planDeployment, type Planned, type Stages } from './plan-deployment.js';
import { shippedPlaybooks } from './playbooks.js';
import { discardingRunDir, openRunDir, planForDisk, type RunDir } from './run-dir.js';
import { verifyCloud } from './verify-cloud.js';

/** How to deploy. */
export interface DeployCloudOptions {
  dryRun?: boolean;
  /** Hosts worked on at once. */
  forks: number;
  trustNewHosts?: boolean;
  breakLock?: boolean;
  /** Where run directories and the local copy of the admin credentials go. */
  stateDir: string;
  /** Progress: every apply event, as it happens. */
  onEvent?: (e: ApplyEvent) => void;
  /** Run the health checks after a successful deploy, retrying failures for this long (ms). */
  verifyWaitMs?: number;
  /**
   * Called once the apply stage is over, with what is known so far (before the health checks,
   * which may take minutes): the caller prints the run's summary here.
   */
  onApplied?: (outcome: DeployOutcome) => void | Promise<void>;
  /** Opens a transport to a host; default: ssh2 with the run's host log. */
  connect?: (host: Host, run: RunDir) => Promise<Transport>;
  /** For tests that count stage calls. */
  stages?: Stages;
}

/** Everything a deploy did, for the caller to print. */
export interface DeployOutcome {
  deployment: Deployment;
  /** The plan that was applied (undefined when the run stopped before planning: connect or lock). */
  planned?: Planned;
  report: ApplyReport;
  run: RunDir;
  ms: number;
  /** When each apply phase began (for the phase times). */
  phaseMarks: { phase: string; at: number }[];
  /** The health checks (a successful, real deploy with verify on). */
  health?: VerifyReport;
  /** Local copies of the admin credentials (a successful, real deploy). */
  credentials: string[];
  /** Demo provisioning (CONFIG_PROVISION_DEMO=y, after a successful, real deploy). */
  provision?: ProvisionReport;
}

/**
 * Demo provisioning: the guest image is built here (or found in the cache), then the control
 * host makes the demo resources (in containers mode, from inside `apiContainer` there).
 * Failures are in the report, never thrown.
 */
export async function provisionAfterDeploy(
  d: Deployment,
  run: RunDir,
  opts: Pick<DeployCloudOptions, 'stateDir' | 'trustNewHosts'>,
  emit: (e: ApplyEvent) => void,
  apiContainer?: string,
  /** An open connection to the control host to use (and leave open); without it one is made. */
  control?: Transport,
): Promise<ProvisionReport> {
  const ctrl = controllerOf(d);
  const note = (message: string): void => emit({ type: 'note', host: ctrl.name, message });
  const started = Date.now();
  let image: GuestImage;
  try {
    const progress = new Progress({ write: (text: string) => note(text.trim()) }, join(run.path, 'guest-image.log'));
    image = await buildGuestImage(join(opts.stateDir, 'images', 'guest'), progress);
  } catch (e) {
    return { ok: false, unchanged: false, changes: [], ms: Date.now() - started, error: `building the guest image: ${(e as Error).message}` };
  }
  let t: Transport | undefined;
  try {
    t = control ?? (await connectSsh(ctrl, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}), log: (line) => run.log(ctrl.name, line) }));
    const report = await provisionDemo(d, t, image, apiContainer);
    const made = report.changes.filter((c) => c.action !== 'exists');
    note(report.unchanged ? 'demo provisioning: unchanged' : `demo provisioning: ${made.length} made (${made.map((c) => c.resource).join(', ') || 'nothing new'})`);
    return report;
  } catch (e) {
    return { ok: false, unchanged: false, changes: [], ms: Date.now() - started, error: (e as Error).message };
  } finally {
    if (t !== control) await t?.close().catch(() => undefined);
  }
}

/** Deploys `d` (packages mode). Expected failures are in the outcome; bugs throw. */
export async function deployCloud(d: Deployment, opts: DeployCloudOptions): Promise<DeployOutcome> {
  const run = opts.dryRun ? discardingRunDir() : openRunDir(opts.stateDir);
  const phaseMarks: { phase: string; at: number }[] = [];
  const connect = opts.connect ?? ((host: Host) => connectSsh(host, { ...(opts.trustNewHosts ? { trustNewHosts: true, recordNewHosts: !opts.dryRun } : {}), log: (line) => run.log(host.name, line) }));
  const emit = (e: ApplyEvent): void => {
    if (e.type === 'phase') phaseMarks.push({ phase: e.phase, at: Date.now() });
    run.event(e);
    opts.onEvent?.(e);
  };
  // The apply's connection to the control host stays open for demo provisioning: a no-op re-run
  // then costs one command there, not a second SSH handshake. Its other connections to that
  // host (a bridge's proof that the host is still reachable) are new ones, as they must be.
  const ctrl = controllerOf(d);
  let control: Transport | undefined;
  const applyConnect = async (host: Host): Promise<Transport> => {
    const t = await connect(host, run);
    if (host.name !== ctrl.name || control || opts.dryRun) return t;
    control = t;
    return closedLater(t);
  };
  try {
    const playbooks = shippedPlaybooks();
    const templates = new TemplateSet();
    const started = Date.now();
    let planned: Planned | undefined;
    const report = await applyPlan(
      d,
      (hardware) => {
        planned = planDeployment(d, hardware, { playbooks, templates, ...(opts.stages ? { stages: opts.stages } : {}) });
        for (const n of planned.notes) emit({ type: 'note', host: n.host, message: n.message });
        return planned.plan;
      },
      {
        dryRun: Boolean(opts.dryRun),
        forks: opts.forks,
        connect: applyConnect,
        onEvent: emit,
        log: run.log,
        owner: `${run.id} ${userInfo().username}@${hostname()}`,
        breakLock: Boolean(opts.breakLock),
        secrets: secretsOf(d),
      },
    );
    const ms = Date.now() - started;
    if (planned) run.writeJson('plan.json', planForDisk(planned.plan));
    run.writeJson('report.json', report);
    const outcome: DeployOutcome = { deployment: d, ...(planned ? { planned } : {}), report, run, ms, phaseMarks, credentials: [] };
    await opts.onApplied?.(outcome);
    if (!report.ok || opts.dryRun || !planned) return outcome;

    outcome.credentials = writeLocalCredentials(planned.deployment, planned.files, opts.stateDir);
    if (planned.deployment.provisionDemo) {
      outcome.provision = await provisionAfterDeploy(planned.deployment, run, opts, emit, undefined, control);
      run.writeJson('provision.json', outcome.provision);
      if (!outcome.provision.ok) return outcome;
    }
    if (opts.verifyWaitMs !== undefined) {
      outcome.health = await verifyCloud(planned.deployment, planned.plan, { waitMs: opts.verifyWaitMs, forks: opts.forks, ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) });
      run.writeJson('verify.json', outcome.health);
    }
    return outcome;
  } finally {
    await control?.close().catch(() => undefined);
  }
}

/** A view of `t` whose close() leaves it open: its owner closes `t` itself, later. */
function closedLater(t: Transport): Transport {
  return {
    host: t.host,
    run: (cmd) => t.run(cmd),
    put: (path, content, o) => t.put(path, content, o),
    get: (path) => t.get(path),
    hashFiles: (paths) => t.hashFiles(paths),
    close: () => Promise.resolve(),
  };
}
