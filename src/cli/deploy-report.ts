/** What `cairn deploy` prints about a run: per-host changes or why it stopped, and phase times. */
import type { ApplyReport } from '../apply/apply-plan.js';
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import { EXIT } from '../errors.js';
import type { Plan } from '../plan/steps.js';
import { CLOUD_NAME } from '../services/credentials.js';
import type { ProvisionReport } from '../provision/run-provision.js';

/** Prints the outcome of the apply stage; returns its exit code. `say`: stdout (stderr with --json). */
export function printApplyReport(report: ApplyReport, dryRun: boolean, json: boolean, say: (l: string) => void, err: (l: string) => void, runPath: string, ms: number): number {
  const stopped = { connect: 'cannot connect to', lock: 'another run holds the lock on', prechecks: '' } as const;
  if (report.abortedBefore === 'connect' || report.abortedBefore === 'lock') {
    // Each host's reason was shown by the progress display as it failed; name them once here.
    const failed = report.hosts.filter((h) => h.error).map((h) => h.host);
    err(`no host was changed: ${stopped[report.abortedBefore]} ${failed.join(', ')} (${failed.length} of ${report.hosts.length} hosts; the reasons are above; logs: ${runPath})`);
    return EXIT.failed;
  }
  if (report.abortedBefore === 'prechecks') {
    const errors = report.prechecks.filter((p) => p.severity === 'error');
    for (const f of errors) err(`cairn: host ${f.host}: precheck ${f.check}: ${f.message}`);
    err(`no host was changed: ${errors.length} precheck(s) failed (logs: ${runPath})`);
    return EXIT.failed;
  }
  for (const h of report.hosts) {
    const changed = h.steps.filter((s) => s.status === 'changed' || s.status === 'would-change');
    say(`${h.host}: ${h.error ? 'FAILED' : 'ok'}: ${changed.length} ${dryRun ? 'would change' : 'changed'}, ${h.steps.filter((s) => s.status === 'ok').length} unchanged`);
    for (const s of changed) {
      say(`  ${dryRun ? '?' : '~'} ${s.title}: ${s.reason}`);
      if (dryRun && s.diff && !json) say(s.diff.trimEnd().split('\n').map((l) => `      ${l}`).join('\n'));
    }
    if (h.error) err(`cairn: ${h.error}`);
  }
  const failed = report.hosts.filter((h) => h.error).length;
  say(`${dryRun ? 'dry run' : 'deploy'} ${failed ? `failed on ${failed} host(s)` : 'finished'} in ${(ms / 1000).toFixed(1)} s; logs: ${runPath}`);
  return failed ? EXIT.failed : EXIT.ok;
}

/** "connect+facts 0.3 s, prechecks 0.0 s, apply 612 s (slowest host per phase: packages 420 s, ...), verify 30 s". */
export function phaseTimes(marks: readonly { phase: string; at: number }[], report: ApplyReport, plan: Plan, verifyMs: number): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const parts: string[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const { phase, at } = marks[i]!;
    let text = `${phase === 'connect' ? 'connect+facts' : phase} ${s(marks[i + 1]!.at - at)}`;
    if (phase === 'apply') {
      // Per step phase, the slowest host's total: hosts run in parallel. Steps of a host's
      // background lane ran beside the others, so they count apart ("background"), not in the
      // phase whose time they overlapped.
      const phaseOf = new Map(plan.hosts.flatMap((h) => h.steps.map((st) => [`${h.host}\u0000${st.id}`, st.background ? 'background' : st.kind === 'unit' ? 'units' : st.phase] as const)));
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

/** Where the admin credentials are, on the control host and here. */
export function credentialsLine(d: Deployment, local: readonly string[]): string {
  return `credentials: /root/keystonerc_admin on ${controllerOf(d).name}; here: ${local.join(', ')} (source the first, or openstack --os-cloud ${CLOUD_NAME} with OS_CLIENT_CONFIG_FILE set to the second)`;
}

/** One line on demo provisioning: what it made, or why it failed and where to look. */
export function provisionLine(r: ProvisionReport): string {
  const s = (r.ms / 1000).toFixed(1);
  if (!r.ok) return `demo provisioning FAILED after ${s} s: ${r.error ?? 'unknown error'} (a re-run of cairn deploy resumes it; the run directory has provision.json)`;
  if (r.unchanged) return 'demo provisioning: unchanged since the last run';
  const made = r.changes.filter((c) => c.action !== 'exists');
  return `demo provisioning in ${s} s: ${made.length === 0 ? 'everything existed' : `made ${made.map((c) => c.resource).join(', ')}`}`;
}
