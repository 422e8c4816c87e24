/** Where a command writes, and the numbers a user gives on the command line. */
import { UsageError } from '../errors.js';

/** Where a command writes: injectable so tests can capture output. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A whole number of at least `min` given as `flag`, or a usage error. */
export function wholeNumber(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, got '${value}'`);
  return n;
}

/** A number of seconds of at least `min` given as `flag`, or a usage error. */
export function seconds(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${flag} must be a number of seconds${min > 0 ? ` of at least ${min}` : ''}, got '${value}'`);
  return n;
}
