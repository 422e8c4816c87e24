/**
 * `cairn deploy`: parses its options, loads the deployment, calls the library (deployCloud, or
 * deployContainersCloud with CAIRN_DEPLOY_MODE=containers) and prints what happened.
 */
import type { Command } from 'commander';
import { writeAnswerFile } from '../deploy/answer-file-writer.js';
import { deployCloud } from '../deploy/deploy-cloud.js';
import { EXIT, UsageError } from '../errors.js';
import { dashboardUrl } from '../verify/checks.js';
import { credentialsLine, phaseTimes, printApplyReport, provisionLine } from './deploy-report.js';
import { deployInContainers } from './containers-command.js';
import { printHealth } from './health-table.js';
import { seconds, wholeNumber, type Io } from './io.js';
import { loadOrReport } from './load.js';
import { jsonProgress, listrProgress, plainProgress } from './progress.js';

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

/** Runs a deploy; returns the exit code. */
export async function runDeploy(opts: DeployOptions, io: Io): Promise<number> {
  if (!opts.answerFile) throw new UsageError('deploy needs --answer-file FILE (or --gen-answer-file FILE to write one)');
  const forks = wholeNumber(opts.forks, '--forks');
  const verifyWait = seconds(opts.verifyWait, '--verify-wait');
  const d = loadOrReport({ answerFile: opts.answerFile, inventory: opts.inventory }, io, 'no host was touched');
  if (!d) return EXIT.invalid;
  const say = opts.json ? io.err : io.out;
  const checking = (what: string): void => say(`verify: checking ${what} (retrying failures for up to ${verifyWait} s while services report in)`);
  if (d.mode === 'containers') return deployInContainers(d, opts, { verifyWait, forks }, io, checking);

  const progress = opts.json ? jsonProgress(io) : process.stderr.isTTY && !opts.verbose ? listrProgress(d.hosts.map((h) => h.name)) : plainProgress(io, Boolean(opts.verbose));
  let code: number = EXIT.ok;
  const outcome = await deployCloud(d, {
    dryRun: Boolean(opts.dryRun),
    forks,
    trustNewHosts: Boolean(opts.trustNewHosts),
    breakLock: Boolean(opts.breakLock),
    stateDir: opts.stateDir,
    onEvent: (e) => progress.onEvent(e),
    ...(opts.verify ? { verifyWaitMs: verifyWait * 1000 } : {}),
    onApplied: async (o) => {
      await progress.done();
      code = printApplyReport(o.report, Boolean(opts.dryRun), Boolean(opts.json), say, io.err, o.run.path, o.ms);
      if (code === EXIT.ok && !opts.dryRun && opts.verify) checking('the cloud');
    },
  });
  await progress.done();
  if (code !== EXIT.ok || opts.dryRun || !outcome.planned) return code;
  if (outcome.provision) {
    say(provisionLine(outcome.provision));
    if (!outcome.provision.ok) return EXIT.failed;
  }
  if (outcome.health) printHealth(outcome.health, say);
  say(`times: ${phaseTimes(outcome.phaseMarks, outcome.report, outcome.planned.plan, outcome.health?.ms ?? 0)}`);
  if (d.services.horizon) say(`dashboard: ${dashboardUrl(d)} (user ${d.keystone.adminUser}, password in the answer file: CONFIG_KEYSTONE_ADMIN_PW)`);
  say(credentialsLine(d, outcome.credentials));
  return outcome.health && !outcome.health.ok ? EXIT.failed : EXIT.ok;
}

/** Adds `cairn deploy` to the program. */
export function registerDeployCommand(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command('deploy')
    .description('deploy the cloud over SSH: prechecks on every host, then only the changes each host still needs')
    .option('-a, --answer-file <file>', 'Packstack-style answer file, INI (required unless --gen-answer-file)')
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
