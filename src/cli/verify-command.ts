/**
 * `cairn verify`: the cloud's health at a glance, as a table (or JSON), each failed check with a
 * hint. Exit 0 only when every check passes. `cairn deploy` runs the same checks at its end.
 */
import type { Command } from 'commander';
import { planDeployment } from '../deploy/plan-deployment.js';
import { containersVerify, verifyCloud } from '../deploy/verify-cloud.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '../config/model.js';
import { openRunDir } from '../deploy/run-dir.js';
import { WORKSPACE, runTempest, selectionArgs, tempestPreconditions } from '../tempest/run-tempest.js';
import { formatDuration, formatTempestReport } from '../tempest/tempest-report.js';
import { verifyWorkload, type WorkloadReport } from '../verify/workload.js';
import { formatDiagnostics } from '../verify/datapath-diagnostics.js';
import { CairnError, EXIT } from '../errors.js';
import { formatTable } from './health-table.js';
import { seconds, wholeNumber, type Io } from './io.js';
import { loadOrReport } from './load.js';

/** Options of `cairn verify`. */
interface VerifyCommandOptions {
  answerFile: string;
  inventory?: string;
  json?: boolean;
  wait: string;
  forks: string;
  trustNewHosts?: boolean;
  workload?: boolean;
  tempest?: boolean;
  smoke?: boolean;
  regex?: string;
  concurrency: string;
  stateDir: string;
}

/** Adds `cairn verify` to the program. */
export function registerVerifyCommand(
  program: Command,
  io: Io,
  setCode: (code: number) => void,
): void {
  program
    .command('verify')
    .description(
      'check the deployed cloud: services on every host, clocks, bridges, and the APIs through the openstack client',
    )
    .requiredOption('-a, --answer-file <file>', 'Packstack-style answer file, INI (required)')
    .option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)')
    .option('--json', 'print the results as JSON')
    .option('--wait <seconds>', 'retry failed checks for up to this long', '0')
    .option('--forks <n>', 'hosts checked at once', '50')
    .option('--trust-new-hosts', 'accept and record SSH host keys not yet in known_hosts')
    .option(
      '--workload',
      'also boot a guest on every compute host and reach it: DHCP, metadata, floating IP ping and SSH, east-west ping; everything made is deleted after (needs CONFIG_PROVISION_DEMO=y)',
    )
    .option(
      '--tempest',
      "also run Tempest, OpenStack's own test suite, from the control host: Debian's tempest, a tempest.conf written from the deployment (needs CONFIG_PROVISION_DEMO=y); results in the run directory",
    )
    .option(
      '--smoke',
      "with --tempest: Tempest's smoke tests, scenario tests included (the default)",
    )
    .option(
      '--regex <re>',
      'with --tempest: the tests whose ids match this regular expression instead (tempest run --regex)',
    )
    .option('--concurrency <n>', 'with --tempest: tests run at once', '2')
    .option('--state-dir <dir>', 'where the run directory with the Tempest results goes', '.cairn')
    .action(async (opts: VerifyCommandOptions) => {
      const wait = seconds(opts.wait, '--wait');
      const forks = wholeNumber(opts.forks, '--forks');
      const concurrency = wholeNumber(opts.concurrency, '--concurrency');
      if ((opts.smoke || opts.regex !== undefined) && !opts.tempest) {
        io.err('cairn verify: --smoke and --regex choose Tempest tests: add --tempest');
        return setCode(EXIT.invalid);
      }
      // Before any host is touched: Tempest asked for in a way that cannot work (the selection,
      // then what the deployment lacks) is a usage error.
      const refused = (check: () => unknown): boolean => {
        try {
          check();
          return false;
        } catch (e) {
          io.err(`cairn ${(e as Error).message}`);
          return true;
        }
      };
      if (opts.tempest && refused(() => selectionArgs(opts))) return setCode(EXIT.invalid);
      const d = loadOrReport(opts, io, 'nothing checked');
      if (!d) return setCode(EXIT.invalid);
      if (opts.tempest && refused(() => tempestPreconditions(d))) return setCode(EXIT.invalid);
      // What runs where does not depend on the hosts' hardware: the plan without it says enough.
      const { plan, files } = planDeployment(d);
      const report = await verifyCloud(d, plan, {
        waitMs: wait * 1000,
        forks,
        trustNewHosts: Boolean(opts.trustNewHosts),
        files,
        onRound: (r, round) => {
          if (!opts.json && round > 1)
            io.err(
              `verify: round ${round}: ${r.filter((x) => !x.ok).length} check(s) still failing`,
            );
        },
      });
      if (!opts.json) {
        for (const l of formatTable(report.results)) io.out(l);
        const failed = report.results.filter((r) => !r.ok).length;
        io.out(
          failed === 0
            ? `all ${report.results.length} checks passed in ${(report.ms / 1000).toFixed(1)} s`
            : `${failed} of ${report.results.length} checks failed`,
        );
      }
      const result: Record<string, unknown> = { ...report };
      let ok = report.ok;
      if (opts.workload) {
        const workload = await runWorkload(d, files, opts, io);
        result.workload = workload;
        ok &&= workload.ok;
      }
      if (opts.tempest) {
        if (!ok) {
          io.err(
            'verify: tempest: not run: the checks above failed (fix them first; Tempest would fail on the same cause, slowly)',
          );
          result.tempest = { ok: false, notRun: 'the checks before it failed' };
        } else {
          const tempest = await runTempestCommand(d, opts, concurrency, io);
          if (tempest.code === EXIT.invalid) return setCode(EXIT.invalid);
          result.tempest = tempest.json;
          ok &&= tempest.code === EXIT.ok;
        }
      }
      if (opts.json) io.out(JSON.stringify({ ...result, ok }, null, 2));
      setCode(ok ? EXIT.ok : EXIT.failed);
    });
}

/** The workload check, printed as its own table. */
async function runWorkload(
  d: Deployment,
  files: ReturnType<typeof planDeployment>['files'],
  opts: VerifyCommandOptions,
  io: Io,
): Promise<WorkloadReport> {
  if (!opts.json)
    io.err('verify: workload: booting a guest on every compute host (a minute or two)');
  const workload = await verifyWorkload(d, {
    trustNewHosts: Boolean(opts.trustNewHosts),
    ...(d.mode === 'containers' ? { apiContainer: containersVerify(d, files).apiContainer } : {}),
    onResult: (r) => {
      if (!opts.json) io.err(`verify: workload: ${r.check} ${r.host}: ${r.ok ? 'ok' : 'FAILED'}`);
    },
  });
  if (workload.diagnostics) {
    // Kept after the run: the guests, their ports and flows are gone once it ends.
    const rd = openRunDir(opts.stateDir);
    const file = join(rd.path, 'workload-diagnostics.txt');
    writeFileSync(file, formatDiagnostics(workload.diagnostics), { mode: 0o600 });
    io.err(`verify: workload: the datapath state of ${workload.diagnostics.map((x) => x.host).join(', ')} before the guests were deleted: ${file}`);
  }
  if (!opts.json) {
    for (const l of formatTable(workload.results)) io.out(l);
    const failed = workload.results.filter((r) => !r.ok).length;
    io.out(
      failed === 0
        ? `workload: all ${workload.results.length} steps passed in ${(workload.ms / 1000).toFixed(1)} s`
        : `workload: ${failed} of ${workload.results.length} steps failed`,
    );
  }
  return workload;
}

/**
 * Tempest, with a progress line, its report printed and kept in a new run directory with the
 * subunit stream. Exit 0 only with no failure; 2 for a selection that is the user's mistake.
 */
async function runTempestCommand(
  d: Deployment,
  opts: VerifyCommandOptions,
  concurrency: number,
  io: Io,
): Promise<{ code: number; json: unknown }> {
  const rd = openRunDir(opts.stateDir);
  try {
    const run = await runTempest(d, {
      ...(opts.smoke ? { smoke: true } : {}),
      ...(opts.regex !== undefined ? { regex: opts.regex } : {}),
      concurrency,
      trustNewHosts: Boolean(opts.trustNewHosts),
      onPhase: (what) => io.err(`verify: tempest: ${what}`),
      onProgress: (p) =>
        io.err(
          `verify: tempest: ${p.done}/${p.total} done${p.failed ? `, ${p.failed} failed` : ''} (${formatDuration(p.ms)})`,
        ),
    });
    const text = formatTempestReport(run.report);
    writeFileSync(join(rd.path, 'tempest.subunit'), run.subunit, { mode: 0o600 });
    writeFileSync(join(rd.path, 'tempest-output.log'), run.output, { mode: 0o600 });
    writeFileSync(
      join(rd.path, 'tempest-report.txt'),
      formatTempestReport(run.report, 40).join('\n') + '\n',
      { mode: 0o600 },
    );
    rd.writeJson('tempest.json', {
      selection: run.selection,
      report: run.report,
      tests: run.tests,
    });
    if (!opts.json) {
      for (const l of text) io.out(l);
      io.out(
        `tempest: results in ${rd.path} (tempest-report.txt, tempest.subunit; the workspace is ${WORKSPACE} on ${d.controller})`,
      );
    }
    return {
      code: run.report.ok ? EXIT.ok : EXIT.failed,
      json: { ...run.report, runDir: rd.path },
    };
  } catch (e) {
    if (!(e instanceof CairnError)) throw e;
    io.err(`cairn ${e.message}`);
    rd.writeJson('tempest.json', { error: e.message });
    return { code: e.exitCode, json: { ok: false, error: e.message, runDir: rd.path } };
  }
}
