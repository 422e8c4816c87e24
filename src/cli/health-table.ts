/** Prints health checks: the aligned CHECK HOST RESULT DETAIL table, with hints under failures. */
import type { CheckResult } from '../verify/checks.js';
import type { VerifyReport } from '../verify/run-verify.js';

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

/** The end-of-deploy verdict line under the table. */
export function healthLine(results: readonly CheckResult[]): string {
  const failed = results.filter((r) => !r.ok).length;
  return failed === 0 ? `health: all ${results.length} checks passed` : `health: ${failed} of ${results.length} checks FAILED (see hints above; re-check with cairn verify)`;
}

/** Prints the table and the verdict line. */
export function printHealth(health: VerifyReport, say: (l: string) => void): void {
  for (const l of formatTable(health.results)) say(l);
  say(healthLine(health.results));
}
