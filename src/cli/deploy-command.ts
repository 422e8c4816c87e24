/**
 * `cairn deploy`: answer file -> Deployment -> rendered files -> Plan -> apply over SSH
 * (or --dry-run: the same plan, read-only, with diffs) -> summary. Registered on the program
 * by main.ts.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { applyPlan, type ApplyReport } from '../apply/apply-plan.js';
import { decideVirtType } from '../apply/prechecks.js';
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import type { Plan } from '../plan/steps.js';
import type { RenderedFile } from '../render/render-files.js';
import { CLOUD_NAME } from '../services/credentials.js';
import { dashboardUrl } from '../verify/checks.js';
import { formatTable, verifyDeployment } from './verify-command.js';
import type { VerifyReport } from '../verify/run-verify.js';
import { runContainersDeploy } from './containers-command.js';
import { secretsOf } from '../config/secrets.js';
import { buildPlan } from '../plan/build-plan.js';
import { loadPlaybooks, type Playbook } from '../plan/playbook.js';
import { renderFiles } from '../render/render-files.js';
import { packageRoot, TemplateSet } from '../render/templates.js';
import { allServices } from '../services/index.js';
import { connectSsh } from '../transport/ssh-transport.js';
import { formatProblem } from '../config/problems.js';
import { EXIT, UsageError } from '../errors.js';
import { loadFromFiles, printProblems } from './load.js';
import type { Io } from './main.js';
import { jsonProgress, listrProgress, plainProgress } from './progress.js';
import { openRunDir, planForDisk } from './run-dir.js';

/** Options of `cairn deploy`. */
export interface DeployOptions {
  answerFile?: string;
  inventory?: string;
  dryRun?: boolean;
  forks: string;
  trustNewHosts?: boolean;
  breakLock?: boolean;
  json?: boolean;
  verbose?: boolean;
  stateDir: string;
  /** commander's negatable --no-verify. */
  verify: boolean;
  verifyWait: string;
}

/** Loads the playbooks shipped with cairn; a broken one is reported like any input. */
export function shippedPlaybooks(): Playbook[] {
  const { playbooks, problems } = loadPlaybooks(join(packageRoot(), 'playbooks'), allServices.map((s) => s.name));
  if (problems.length > 0) throw new UsageError(`playbooks are invalid:\n${problems.map(formatProblem).join('\n')}`);
  return playbooks;
}

/** Runs a deploy; returns the exit code. */
export async function runDeploy(opts: DeployOptions, io: Io): Promise<number> {
  if (!opts.answerFile) throw new UsageError('deploy needs --answer-file FILE (or --gen-answer-file FILE to write one)');
  const forks = Number(opts.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks must be a whole number of at least 1, got '${opts.forks}'`);
  const verifyWait = Number(opts.verifyWait);
  if (!Number.isFinite(verifyWait) || verifyWait < 0) throw new UsageError(`--verify-wait must be a number of seconds, got '${opts.verifyWait}'`);
  const loaded = loadFromFiles({ answerFile: opts.answerFile, ...(opts.inventory ? { inventory: opts.inventory } : {}) });
  printProblems(loaded, io.err);
  if (!loaded.deployment) {
    io.err(`${opts.answerFile}: invalid; no host was touched`);
    return EXIT.invalid;
  }
  const d = loaded.deployment;
  if (d.mode === 'containers') return deployInContainers(d, opts, { verifyWait, forks }, io);
  const playbooks = shippedPlaybooks();
  const templates = new TemplateSet();
  const planFor = (dep: Deployment) => buildPlan(dep, renderFiles(dep, allServices, templates), playbooks, allServices);
  const plan = planFor(d);

  const run = openRunDir(opts.stateDir);
  const secrets = secretsOf(d);
  const progress = opts.json ? jsonProgress(io) : process.stderr.isTTY && !opts.verbose ? listrProgress(plan.hosts.map((h) => h.host)) : plainProgress(io, Boolean(opts.verbose));
  const started = Date.now();
  const phaseMarks: { phase: string; at: number }[] = [];
  let report: ApplyReport;
  try {
    report = await applyPlan(d, plan, {
      dryRun: Boolean(opts.dryRun),
      forks,
      connect: (host) => connectSsh(host, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}), log: (line) => run.log(host.name, line) }),
      onEvent: (e) => {
        if (e.type === 'phase') phaseMarks.push({ phase: e.phase, at: Date.now() });
        run.event(e);
        progress.onEvent(e);
      },
      log: run.log,
      owner: `${run.id} ${userInfo().username}@${hostname()}`,
      breakLock: Boolean(opts.breakLock),
      secrets,
      refine: (facts) => {
        if (d.nova.virtType !== 'auto') return plan;
        const hosts = d.hosts.map((h) => {
          const f = facts.get(h.name);
          if (!f || !h.roles.includes('compute')) return h;
          const { virtType, note } = decideVirtType(d, f);
          if (note) progress.onEvent({ type: 'note', host: h.name, message: `virt_type ${virtType}: ${note}` });
          return { ...h, virtType };
        });
        return planFor({ ...d, hosts });
      },
    });
  } finally {
    await progress.done();
  }
  run.writeJson('plan.json', planForDisk(plan));
  run.writeJson('report.json', report);
  const code = summarise(report, opts, io, run.path, Date.now() - started);
  if (code !== EXIT.ok || opts.dryRun) return code;

  const say = opts.json ? io.err : io.out;
  const credentials = writeLocalCredentials(d, renderFiles(d, allServices, templates), opts.stateDir);
  let verifyMs = 0;
  let healthy = true;
  if (opts.verify) {
    const health = await verifyAndSay(d, 'the cloud', { verifyWait, forks, ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) }, say);
    run.writeJson('verify.json', health);
    verifyMs = health.ms;
    healthy = health.ok;
  }
  say(`times: ${phaseTimes(phaseMarks, report, plan, verifyMs)}`);
  if (d.services.horizon) say(`dashboard: ${dashboardUrl(d)} (user ${d.keystone.adminUser}, password in the answer file: CONFIG_KEYSTONE_ADMIN_PW)`);
  say(credentialsLine(d, credentials));
  return healthy ? EXIT.ok : EXIT.failed;
}

/** The end-of-deploy health checks: what is checked, the table, and a one-line verdict. */
async function verifyAndSay(d: Deployment, what: string, opts: { verifyWait: number; forks: number; trustNewHosts?: boolean }, say: (line: string) => void): Promise<VerifyReport> {
  say(`verify: checking ${what} (retrying failures for up to ${opts.verifyWait} s while services report in)`);
  const health = await verifyDeployment(d, { waitMs: opts.verifyWait * 1000, forks: opts.forks, ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) });
  for (const l of formatTable(health.results)) say(l);
  const failed = health.results.filter((r) => !r.ok).length;
  say(failed === 0 ? `health: all ${health.results.length} checks passed` : `health: ${failed} of ${health.results.length} checks FAILED (see hints above; re-check with cairn verify)`);
  return health;
}

/** Where the admin credentials are, on the control host and here. */
function credentialsLine(d: Deployment, local: readonly string[]): string {
  return `credentials: /root/keystonerc_admin on ${controllerOf(d).name}; here: ${local.join(', ')} (source the first, or openstack --os-cloud ${CLOUD_NAME} with OS_CLIENT_CONFIG_FILE set to the second)`;
}

/**
 * CAIRN_DEPLOY_MODE=containers: the same command converges the host side and every service
 * container (what `cairn containers deploy` does), then runs the containers-mode health checks.
 * The packages-mode dry run previews systemd units and package steps that containers mode does
 * not have, so it is refused here, saying so, rather than showing the wrong thing.
 */
async function deployInContainers(d: Deployment, opts: DeployOptions, { verifyWait, forks }: { verifyWait: number; forks: number }, io: Io): Promise<number> {
  if (opts.dryRun) throw new UsageError('--dry-run is not available with CAIRN_DEPLOY_MODE=containers yet (it previews packages-mode steps only); no host was touched');
  io.err('CAIRN_DEPLOY_MODE=containers: host side on packages, OpenStack services in containers');
  await runContainersDeploy(
    {
      answerFile: opts.answerFile ?? '',
      ...(opts.inventory ? { inventory: opts.inventory } : {}),
      ...(opts.trustNewHosts ? { trustNewHosts: true } : {}),
      healthTimeout: '120',
      stateDir: opts.stateDir,
    },
    io,
    d,
  );
  const credentials = writeLocalCredentials(d, renderFiles(d, allServices), opts.stateDir);
  const say = opts.json ? io.err : io.out;
  const healthy = opts.verify ? (await verifyAndSay(d, 'the containers and their APIs', { verifyWait, forks, ...(opts.trustNewHosts ? { trustNewHosts: true } : {}) }, say)).ok : true;
  say(credentialsLine(d, credentials));
  return healthy ? EXIT.ok : EXIT.failed;
}

/**
 * Copies of the admin credentials for the deploy host, from the rendered files (mode 0600):
 * Packstack leaves keystonerc_admin where it ran; cairn puts it in its state directory.
 */
function writeLocalCredentials(d: Deployment, files: readonly RenderedFile[], stateDir: string): string[] {
  const ctrl = controllerOf(d).name;
  const written: string[] = [];
  for (const [path, name] of [['/root/keystonerc_admin', 'keystonerc_admin'], ['/root/.config/openstack/clouds.yaml', 'clouds.yaml']] as const) {
    const f = files.find((x) => x.host === ctrl && x.path === path);
    if (!f) continue;
    mkdirSync(stateDir, { recursive: true });
    const local = join(stateDir, name);
    writeFileSync(local, f.content, { mode: 0o600 });
    chmodSync(local, 0o600);
    written.push(local);
  }
  return written;
}

/** "connect 0.3 s, facts 1.0 s, ..., apply 612 s (packages 420 s, ...), verify 30 s". */
function phaseTimes(marks: readonly { phase: string; at: number }[], report: ApplyReport, plan: Plan, verifyMs: number): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const parts: string[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const { phase, at } = marks[i]!;
    let text = `${phase === 'connect' ? 'connect+facts' : phase} ${s(marks[i + 1]!.at - at)}`;
    if (phase === 'apply') {
      // Per step phase, the slowest host's total: hosts run in parallel.
      const phaseOf = new Map(plan.hosts.flatMap((h) => h.steps.map((st) => [`${h.host}\u0000${st.id}`, st.kind === 'unit' ? 'units' : st.phase] as const)));
      const totals = new Map<string, number>();
      for (const h of report.hosts) {
        const mine = new Map<string, number>();
        for (const st of h.steps) {
          const p = phaseOf.get(`${h.host}\u0000${st.id}`) ?? 'other';
          mine.set(p, (mine.get(p) ?? 0) + st.ms);
        }
        for (const [p, ms] of mine) totals.set(p, Math.max(totals.get(p) ?? 0, ms));
      }
      const big = [...totals].filter(([, ms]) => ms >= 100).sort((a, b) => b[1] - a[1]);
      if (big.length > 0) text += ` (slowest host per phase: ${big.map(([p, ms]) => `${p} ${s(ms)}`).join(', ')})`;
    }
    parts.push(text);
  }
  if (verifyMs > 0) parts.push(`verify ${s(verifyMs)}`);
  return parts.join(', ');
}

function summarise(report: ApplyReport, opts: DeployOptions, io: Io, runPath: string, ms: number): number {
  const say = opts.json ? io.err : io.out;
  if (report.abortedBefore === 'connect') {
    for (const h of report.hosts) if (h.error) io.err(`cairn: ${h.error}`);
    io.err(`no host was changed: cannot connect to every host (logs: ${runPath})`);
    return EXIT.failed;
  }
  if (report.abortedBefore === 'lock') {
    for (const h of report.hosts) if (h.error) io.err(`cairn: ${h.error}`);
    io.err(`no host was changed: another run holds the lock on ${report.hosts.filter((h) => h.error).length} host(s) (logs: ${runPath})`);
    return EXIT.failed;
  }
  if (report.abortedBefore === 'prechecks') {
    for (const f of report.prechecks.filter((p) => p.severity === 'error')) io.err(`cairn: host ${f.host}: precheck ${f.check}: ${f.message}`);
    io.err(`no host was changed: ${report.prechecks.filter((p) => p.severity === 'error').length} precheck(s) failed (logs: ${runPath})`);
    return EXIT.failed;
  }
  for (const h of report.hosts) {
    const changed = h.steps.filter((s) => s.status === 'changed' || s.status === 'would-change');
    const verb = opts.dryRun ? 'would change' : 'changed';
    say(`${h.host}: ${h.error ? 'FAILED' : 'ok'}: ${changed.length} ${verb}, ${h.steps.filter((s) => s.status === 'ok').length} unchanged`);
    for (const s of changed) {
      say(`  ${opts.dryRun ? '?' : '~'} ${s.title}: ${s.reason}`);
      if (opts.dryRun && s.diff && !opts.json) say(s.diff.trimEnd().split('\n').map((l) => `      ${l}`).join('\n'));
    }
    if (h.error) io.err(`cairn: ${h.error}`);
  }
  const failed = report.hosts.filter((h) => h.error).length;
  say(`${opts.dryRun ? 'dry run' : 'deploy'} ${failed ? `failed on ${failed} host(s)` : 'finished'} in ${(ms / 1000).toFixed(1)} s; logs: ${runPath}`);
  return failed ? EXIT.failed : EXIT.ok;
}

/** Adds `cairn deploy` to the program. */
export function registerDeployCommand(program: Command, io: Io, setCode: (code: number) => void, writeAnswerFile: (file: string, force: boolean) => void): void {
  program
    .command('deploy')
    .description('deploy the cloud over SSH: prechecks on every host, then only the changes each host still needs')
    .option('-a, --answer-file <file>', 'Packstack-style answer file (INI)')
    .option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)')
    .option('-n, --dry-run', 'connect read-only and show, per host, what would change (with diffs, secrets masked)')
    .option('--forks <n>', 'hosts worked on at once', '50')
    .option('--trust-new-hosts', 'accept and record SSH host keys not yet in known_hosts (a changed key is always refused)')
    .option('--break-lock', 'remove a deploy lock left by a run that no longer exists')
    .option('--json', 'print events as JSON lines on stdout')
    .option('-v, --verbose', 'plain lines for every step, also on a terminal')
    .option('--state-dir <dir>', 'where run directories and the admin credentials go', '.cairn')
    .option('--no-verify', 'skip the health checks after the deploy')
    .option('--verify-wait <seconds>', 'how long the health checks after the deploy retry failures', '240')
    .option('--gen-answer-file <file>', 'write a new answer file instead of deploying (as in Packstack)')
    .option('-f, --force', 'with --gen-answer-file: overwrite an existing file')
    .action(async (opts: DeployOptions & { genAnswerFile?: string; force?: boolean }) => {
      if (opts.genAnswerFile) {
        writeAnswerFile(opts.genAnswerFile, Boolean(opts.force));
        io.out(`wrote ${opts.genAnswerFile} (mode 0600); edit it, then: cairn validate --answer-file ${opts.genAnswerFile}`);
        return;
      }
      setCode(await runDeploy(opts, io));
    });
}
