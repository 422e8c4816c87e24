/**
 * `cairn verify`: the cloud's health at a glance, as a table (or JSON), each failed check with a
 * hint. Exit 0 only when every check passes. `cairn deploy` runs the same checks at its end.
 */
import type { Command } from 'commander';
import { planDeployment } from '../deploy/plan-deployment.js';
import { containersVerify, verifyCloud } from '../deploy/verify-cloud.js';
import { verifyWorkload } from '../verify/workload.js';
import { EXIT } from '../errors.js';
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
}

/** Adds `cairn verify` to the program. */
export function registerVerifyCommand(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command('verify')
    .description('check the deployed cloud: services on every host, clocks, bridges, and the APIs through the openstack client')
    .requiredOption('-a, --answer-file <file>', 'Packstack-style answer file, INI (required)')
    .option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)')
    .option('--json', 'print the results as JSON')
    .option('--wait <seconds>', 'retry failed checks for up to this long', '0')
    .option('--forks <n>', 'hosts checked at once', '50')
    .option('--trust-new-hosts', 'accept and record SSH host keys not yet in known_hosts')
    .option('--workload', 'also boot a guest on every compute host and reach it: DHCP, metadata, floating IP ping and SSH, east-west ping; everything made is deleted after (needs CONFIG_PROVISION_DEMO=y)')
    .action(async (opts: VerifyCommandOptions) => {
      const wait = seconds(opts.wait, '--wait');
      const forks = wholeNumber(opts.forks, '--forks');
      const d = loadOrReport(opts, io, 'nothing checked');
      if (!d) return setCode(EXIT.invalid);
      // What runs where does not depend on the hosts' hardware: the plan without it says enough.
      const { plan, files } = planDeployment(d);
      const report = await verifyCloud(d, plan, {
        waitMs: wait * 1000,
        forks,
        trustNewHosts: Boolean(opts.trustNewHosts),
        files,
        onRound: (r, round) => {
          if (!opts.json && round > 1) io.err(`verify: round ${round}: ${r.filter((x) => !x.ok).length} check(s) still failing`);
        },
      });
      if (!opts.json) {
        for (const l of formatTable(report.results)) io.out(l);
        const failed = report.results.filter((r) => !r.ok).length;
        io.out(failed === 0 ? `all ${report.results.length} checks passed in ${(report.ms / 1000).toFixed(1)} s` : `${failed} of ${report.results.length} checks failed`);
      }
      if (!opts.workload) {
        if (opts.json) io.out(JSON.stringify(report, null, 2));
        return setCode(report.ok ? EXIT.ok : EXIT.failed);
      }
      if (!opts.json) io.err('verify: workload: booting a guest on every compute host (a minute or two)');
      const workload = await verifyWorkload(d, {
        trustNewHosts: Boolean(opts.trustNewHosts),
        ...(d.mode === 'containers' ? { apiContainer: containersVerify(d, files).apiContainer } : {}),
        onResult: (r) => {
          if (!opts.json) io.err(`verify: workload: ${r.check} ${r.host}: ${r.ok ? 'ok' : 'FAILED'}`);
        },
      });
      if (opts.json) io.out(JSON.stringify({ ...report, ok: report.ok && workload.ok, workload }, null, 2));
      else {
        for (const l of formatTable(workload.results)) io.out(l);
        const failed = workload.results.filter((r) => !r.ok).length;
        io.out(failed === 0 ? `workload: all ${workload.results.length} steps passed in ${(workload.ms / 1000).toFixed(1)} s` : `workload: ${failed} of ${workload.results.length} steps failed`);
      }
      setCode(report.ok && workload.ok ? EXIT.ok : EXIT.failed);
    });
}
