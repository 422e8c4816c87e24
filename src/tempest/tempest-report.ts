/**
 * What a Tempest run came to, from the per-test lines templates/tempest/results.py prints off
 * the run's subunit stream: counts, each failure with its test id and first error lines, and
 * the skips grouped by their reason. Pure.
 */
import { jsonLines } from '../provision/api-runner.js';

/** One test's outcome as results.py prints it. */
export interface TempestTest {
  id: string;
  /** Tempest's (subunit's) word: success, fail, skip, xfail, uxsuccess. */
  status: string;
  secs: number;
  detail: string;
}

/** The summary of a run. */
export interface TempestReport {
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  /** Failures (fail, and an unexpected success) with the end of their traceback. */
  failures: { id: string; detail: string }[];
  /** Skip reasons, most frequent first, with the tests each one skipped. */
  skips: { reason: string; tests: string[] }[];
  /** Wall time of the run. */
  ms: number;
}

/** The tests results.py printed. */
export function parseTempestLines(stdout: string): TempestTest[] {
  return jsonLines<TempestTest>(
    stdout,
    (v) => typeof v.id === 'string' && typeof v.status === 'string',
  );
}

/**
 * A test id without Tempest's attribute suffix (`[id-…,smoke]`), as `tempest run --regex` and
 * users write it.
 */
export function shortId(id: string): string {
  return id.replace(/\[[^\]]*\]$/, '');
}

/** The report of `tests`; ok only when at least one test ran and none failed. */
export function summarize(tests: readonly TempestTest[], ms: number): TempestReport {
  const failures = tests
    .filter((t) => t.status === 'fail' || t.status === 'uxsuccess')
    .map((t) => ({ id: shortId(t.id), detail: t.detail }));
  const passed = tests.filter((t) => t.status === 'success' || t.status === 'xfail').length;
  const byReason = new Map<string, string[]>();
  for (const t of tests.filter((x) => x.status === 'skip')) {
    const reason = t.detail.trim() || '(no reason given)';
    byReason.set(reason, [...(byReason.get(reason) ?? []), shortId(t.id)]);
  }
  const skips = [...byReason]
    .map(([reason, ids]) => ({ reason, tests: ids }))
    .sort((a, b) => b.tests.length - a.tests.length || a.reason.localeCompare(b.reason));
  const skipped = skips.reduce((n, s) => n + s.tests.length, 0);
  return {
    ok: failures.length === 0 && passed > 0,
    passed,
    failed: failures.length,
    skipped,
    failures,
    skips,
    ms,
  };
}

/** The report as text for a terminal and for the run directory: counts, failures, skips. */
export function formatTempestReport(r: TempestReport, errorLines = 6): string[] {
  const out: string[] = [];
  out.push(
    `tempest: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped in ${formatDuration(r.ms)}`,
  );
  for (const f of r.failures) {
    out.push(`FAILED ${f.id}`);
    const lines = f.detail.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines.slice(-errorLines)) out.push(`    ${l}`);
  }
  if (r.skips.length > 0) out.push('skipped, by reason:');
  for (const s of r.skips) out.push(`  ${s.tests.length} × ${s.reason.split('\n')[0]}`);
  return out;
}

/** `12m 5s`, `41s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}
