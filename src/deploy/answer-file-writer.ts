/** Writes a freshly generated answer file (`cairn gen-answer-file`). */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { generateAnswerFile } from '../config/generate.js';
import { UsageError } from '../errors.js';

/** Writes a generated answer file, refusing to overwrite unless forced; mode 0600 from creation. */
export function writeAnswerFile(file: string, force: boolean): void {
  if (!force && existsSync(file)) throw new UsageError(`${file} exists; pass --force to overwrite it`);
  try {
    // 'wx' refuses a file that appeared since the check; the mode applies from creation on, so
    // the passwords are never readable by others, not even for an instant.
    writeFileSync(file, generateAnswerFile(), { mode: 0o600, flag: force ? 'w' : 'wx' });
    chmodSync(file, 0o600); // an overwritten file keeps its old mode otherwise
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}
