/** Small file helpers for the CLI: reading inputs with user-facing errors. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

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
