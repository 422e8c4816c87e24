/** Writes a freshly generated answer file (`cairn gen-answer-file`). */
import { lstatSync } from 'node:fs';
import { generateAnswerFile } from '../config/generate.js';
import { UsageError } from '../errors.js';
import { writePrivateFile } from '../local/user-files.js';

/**
 * Writes a generated answer file, refusing to overwrite unless forced. The file is 0600 before
 * any password is in it, also when --force replaces a file that was readable by others.
 */
export function writeAnswerFile(file: string, force: boolean): void {
  if (!force && exists(file)) throw new UsageError(`${file} exists; pass --force to overwrite it`);
  // Without --force the open is exclusive too, so a file that appeared since the check is kept.
  writePrivateFile(file, generateAnswerFile(), { overwrite: force, what: 'answer file' });
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
