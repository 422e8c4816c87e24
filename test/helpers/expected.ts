/**
 * Compares actual text with an expected file; UPDATE_EXPECTED=1 rewrites the file instead
 * (then review the diff before committing: the expected files are the specification).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';

/** Asserts that `actual` equals the content of `file`. */
export function matchesExpected(t: ExecutionContext, actual: string, file: string): void {
  if (process.env['UPDATE_EXPECTED'] === '1') {
    writeFileSync(file, actual);
    t.pass();
    return;
  }
  if (!existsSync(file)) {
    t.fail(`missing expected file ${file}; run with UPDATE_EXPECTED=1 and review it`);
    return;
  }
  t.is(actual, readFileSync(file, 'utf8'));
}
