/** Where a command writes, and reading the files a user names, with user-facing errors. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** Where a command writes: injectable so tests can capture output. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Reads a text file the user named, turning I/O errors into one clear line. */
export function readUserFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message);
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  }
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
