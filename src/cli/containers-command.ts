/**
 * Containers mode on the command line: `cairn containers deploy`, `upgrade`, `rollback` and
 * `history` (and `cairn deploy` with CAIRN_DEPLOY_MODE=containers). Each parses its options,
 * loads the deployment, calls src/deploy/containers.ts and prints; progress goes to stderr,
 * results to stdout.
 */
import { Command, Option } from 'commander';
import type { Deployment } from '../config/model.js';
import { HISTORY_FILE, formatHistory, historyFileIn, readHistory } from '../containers/history.js';
import { containerServices } from '../containers/services.js';
import { deployContainersCloud, provisionContainersCloud, rollbackService, selectServices, upgradeService, type NodeOptions } from '../deploy/containers.js';
import { writeLocalCredentials } from '../deploy/local-credentials.js';
import { verifyCloud } from '../deploy/verify-cloud.js';
import { EXIT, UsageError } from '../errors.js';
import { credentialsLine, provisionLine } from './deploy-report.js';
import { printHealth } from './health-table.js';
import { registerImagesCommands } from './images-command.js';
import { seconds, type Io } from './io.js';
import { loadFromFiles, printProblems } from './load.js';
import { plainProgress } from './progress.js';

/** Options every command that touches nodes takes. */
interface NodeFlags {
  answerFile: string;
  inventory?: string;
  trustNewHosts?: boolean;
  healthTimeout: string;
  stateDir: string;
}

/** The containers-mode deployment and node options of `flags`, checked before any host is touched. */
function load(flags: NodeFlags, io: Io): { d: Deployment; opts: NodeOptions } {
  const loaded = loadFromFiles(flags);
  printProblems(loaded, io.err);
  const d = loaded.deployment;
  if (!d) throw new UsageError(`${flags.answerFile}: invalid; no host was touched`);
  if (d.mode !== 'containers') throw new UsageError(`${flags.answerFile}: CAIRN_DEPLOY_MODE is '${d.mode}'; set CAIRN_DEPLOY_MODE=containers to run OpenStack services in containers`);
  const healthDeadlineMs = seconds(flags.healthTimeout, '--health-timeout', 5) * 1000;
  return { d, opts: { trustNewHosts: Boolean(flags.trustNewHosts), healthDeadlineMs, stateDir: flags.stateDir, log: io.err, onEvent: plainProgress(io, false).onEvent } };
}

/** A containers-mode deploy's table and summary. */
async function deploy(d: Deployment, opts: NodeOptions & { tag?: string; skipHostSide?: boolean }, io: Io) {
  const outcome = await deployContainersCloud(d, opts);
  for (const e of outcome.entries) io.out(`${e.host}  ${e.container.padEnd(22)} ${e.tag.padEnd(8)} ${e.action === 'none' ? 'unchanged' : e.action}`);
  io.out(`${outcome.entries.length} containers, ${outcome.entries.filter((e) => e.action !== 'none').length} changed`);
  return outcome.planned;
}

/**
 * `cairn deploy` with CAIRN_DEPLOY_MODE=containers: converges the host side and every service
 * container (what `cairn containers deploy` does), then runs the containers-mode health checks.
 * The packages-mode dry run previews systemd units and package steps that containers mode does
 * not have, so it is refused, saying so, rather than showing the wrong thing.
 */
export async function deployInContainers(d: Deployment, flags: { dryRun?: boolean; json?: boolean; verify: boolean; trustNewHosts?: boolean; stateDir: string }, { verifyWait, forks }: { verifyWait: number; forks: number }, io: Io, checking: (what: string) => void): Promise<number> {
  if (flags.dryRun) throw new UsageError('--dry-run is not available with CAIRN_DEPLOY_MODE=containers yet (it previews packages-mode steps only); no host was touched');
  io.err('CAIRN_DEPLOY_MODE=containers: host side on packages, OpenStack services in containers');
  const trustNewHosts = Boolean(flags.trustNewHosts);
  const planned = await deploy(d, { trustNewHosts, healthDeadlineMs: 120_000, stateDir: flags.stateDir, log: io.err, onEvent: plainProgress(io, false).onEvent }, io);
  const credentials = writeLocalCredentials(planned.deployment, planned.files, flags.stateDir);
  const say = flags.json ? io.err : io.out;
  const provision = await provisionContainersCloud(planned, { trustNewHosts, stateDir: flags.stateDir, log: io.err });
  if (provision) {
    say(provisionLine(provision.report));
    if (!provision.report.ok) return EXIT.failed;
  }
  let healthy = true;
  if (flags.verify) {
    checking('the containers and their APIs');
    const health = await verifyCloud(planned.deployment, planned.plan, { waitMs: verifyWait * 1000, forks, trustNewHosts, files: planned.files });
    printHealth(health, say);
    healthy = health.ok;
  }
  say(credentialsLine(d, credentials));
  return healthy ? EXIT.ok : EXIT.failed;
}

function nodeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-a, --answer-file <file>', 'Packstack-style answer file, INI (required)').makeOptionMandatory())
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
    .action(async (flags: NodeFlags & { tag?: string; skipHostSide?: boolean }) => {
      const { d, opts } = load(flags, io);
      await deploy(d, { ...opts, ...(flags.tag !== undefined ? { tag: flags.tag } : {}), skipHostSide: Boolean(flags.skipHostSide) }, io);
    });

  const withService = (cmd: Command): Command => nodeOptions(cmd).requiredOption('--service <name>', `container service, one of ${containerServices.map((x) => x.name).join(', ')} (required)`);
  withService(program.command('upgrade'))
    .description('move one service to a new image tag: canary host first, migrations once, each host health-gated; a refused version is replaced by the old one automatically')
    .requiredOption('--tag <tag>', 'image tag to move to, e.g. zed-2 (required)')
    .option('--hosts <names>', 'only these hosts (comma-separated; the first is the canary)')
    .action(async (flags: NodeFlags & { service: string; tag: string; hosts?: string }) => {
      const [service] = selectServices([flags.service]);
      const { d, opts } = load(flags, io);
      const hosts = flags.hosts?.split(',').map((h) => h.trim()).filter(Boolean);
      for (const r of await upgradeService(d, service!, flags.tag, { ...opts, ...(hosts ? { hosts } : {}) })) {
        io.out(`${r.host}  ${service!.name}  ${r.from ?? '(none)'} -> ${r.to}  ok  unavailable ${((r.result.gapMs ?? 0) / 1000).toFixed(1)} s`);
      }
    });

  withService(program.command('rollback'))
    .description('return one service to its previous (or a named) image tag on every host it runs on')
    .option('--to <tag>', 'tag to return to (default: the one before the running one)')
    .action(async (flags: NodeFlags & { service: string; to?: string }) => {
      const [service] = selectServices([flags.service]);
      const { d, opts } = load(flags, io);
      for (const r of await rollbackService(d, service!, flags.to, opts)) io.out(`${r.host}  ${service!.name}  ${r.from ?? '(none)'} -> ${r.to}  ok`);
    });

  program
    .command('history')
    .description(`what containers mode changed where and when, from which image, and the outcome (${HISTORY_FILE})`)
    .option('--service <name>', 'only this service')
    .option('--json', 'print JSON lines')
    .option('--state-dir <dir>', "cairn's state directory", '.cairn')
    .action((opts: { service?: string; json?: boolean; stateDir: string }) => {
      if (opts.service) selectServices([opts.service]);
      for (const r of readHistory(historyFileIn(opts.stateDir), opts.service)) io.out(opts.json ? JSON.stringify(r) : formatHistory(r));
    });
}
