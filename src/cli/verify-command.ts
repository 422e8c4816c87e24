/**
 * `cairn verify`: the cloud's health at a glance, as a table (or JSON), each failed check with a
 * hint. Exit 0 only when every check passes. `cairn deploy` runs the same checks at its end.
 */
import type { Command } from 'commander';
import type { Deployment } from '../config/model.js';
import { connectSsh } from '../transport/ssh-transport.js';
import type { CheckResult } from '../verify/checks.js';
import { verify, type VerifyReport } from '../verify/run-verify.js';
import { buildPlan } from '../plan/build-plan.js';
import { renderFiles } from '../render/render-files.js';
import { allServices } from '../services/index.js';
import { shippedPlaybooks } from './deploy-command.js';
import { containersVerify, hostSidePlan } from './containers-command.js';
import { EXIT, UsageError } from '../errors.js';
import { loadFromFiles, printProblems } from './load.js';
import type { Io } from './main.js';

/** Options of `cairn verify`. */
interface VerifyCommandOptions {
  answerFile: string;
  inventory?: string;
  json?: boolean;
  wait: string;
  forks: string;
  trustNewHosts?: boolean;
}

/** Runs the checks of `d` and returns the report (shared with deploy). */
export async function verifyDeployment(d: Deployment, opts: { waitMs: number; forks: number; trustNewHosts?: boolean; onRound?: (r: CheckResult[], round: number) => void }): Promise<VerifyReport> {
  // Containers mode: the host side's units, plus the service containers and their APIs.
  const containers = d.mode === 'containers';
  const plan = containers ? hostSidePlan(d) : buildPlan(d, renderFiles(d, allServices), shippedPlaybooks(), allServices);
  return verify(d, plan, {
    ...(containers ? { containers: containersVerify(d) } : {}),
    connect: (host) => connectSsh(host, opts.trustNewHosts ? { trustNewHosts: true } : {}),
    forks: opts.forks,
    waitMs: opts.waitMs,
    ...(opts.onRound ? { onRound: opts.onRound } : {}),
  });
}

/** The results as an aligned table: CHECK HOST RESULT DETAIL, with hints under failures. */
export function formatTable(results: readonly CheckResult[]): string[] {
  const rows = results.map((r) => [r.check, r.host, r.ok ? 'ok' : 'FAIL', r.detail.replace(/\s+/g, ' ')] as const);
  const width = (i: number): number => Math.max(...[['CHECK', 'HOST', 'RESULT'][i]!.length, ...rows.map((r) => r[i]!.length)]);
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(width(i)) : c)).join('  ');
  const out = [line(['CHECK', 'HOST', 'RESULT', 'DETAIL'])];
  results.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (!r.ok && r.hint) out.push(`${' '.repeat(width(0) + width(1) + width(2) + 6)}hint: ${r.hint}`);
  });
  return out;
}

/** Adds `cairn verify` to the program. */
export function registerVerifyCommand(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command('verify')
    .description('check the deployed cloud: services on every host, clocks, bridges, and the APIs through the openstack client')
    .requiredOption('-a, --answer-file <file>', 'Packstack-style answer file (INI)')
    .option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)')
    .option('--json', 'print the results as JSON')
    .option('--wait <seconds>', 'retry failed checks for up to this long', '0')
    .option('--forks <n>', 'hosts checked at once', '50')
    .option('--trust-new-hosts', 'accept and record SSH host keys not yet in known_hosts')
    .action(async (opts: VerifyCommandOptions) => {
      const wait = Number(opts.wait);
      const forks = Number(opts.forks);
      if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`--wait must be a number of seconds, got '${opts.wait}'`);
      if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks must be a whole number of at least 1, got '${opts.forks}'`);
      const loaded = loadFromFiles({ answerFile: opts.answerFile, ...(opts.inventory ? { inventory: opts.inventory } : {}) });
      printProblems(loaded, io.err);
      if (!loaded.deployment) {
        io.err(`${opts.answerFile}: invalid; nothing checked`);
        setCode(EXIT.invalid);
        return;
      }
      const report = await verifyDeployment(loaded.deployment, {
        waitMs: wait * 1000,
        forks,
        ...(opts.trustNewHosts ? { trustNewHosts: true } : {}),
        onRound: (r, round) => {
          if (!opts.json && round > 1) io.err(`verify: round ${round}: ${r.filter((x) => !x.ok).length} check(s) still failing`);
        },
      });
      if (opts.json) io.out(JSON.stringify(report, null, 2));
      else {
        for (const l of formatTable(report.results)) io.out(l);
        const failed = report.results.filter((r) => !r.ok).length;
        io.out(failed === 0 ? `all ${report.results.length} checks passed in ${(report.ms / 1000).toFixed(1)} s` : `${failed} of ${report.results.length} checks failed`);
      }
      setCode(report.ok ? EXIT.ok : EXIT.failed);
    });
}
