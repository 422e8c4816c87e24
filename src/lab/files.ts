/**
 * Writing lab files so that a run which changes nothing writes nothing (`lab up` twice is a
 * no-op down to file modification times).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `content` to `file` unless it already holds exactly that; returns whether it wrote.
 * Written via a temporary file and rename, so a reader never sees half a file; `mode` applies
 * from creation on (answer files hold passwords).
 */
export function writeFileIfChanged(file: string, content: string, mode = 0o644): boolean {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
  return true;
}
