/**
 * Writes a render to a directory: DIR/<host>/<absolute path> plus DIR/manifest.json.
 * Files hold secrets, so they are written 0600 in 0700 directories whatever their mode on the
 * host will be (the manifest records that mode).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Manifest } from '../render/manifest.js';
import type { RenderedFile } from '../render/render-files.js';
import { UsageError } from '../errors.js';

/** Writes `files` and `manifest` under `dir`, replacing a previous cairn render there. */
export function writeRenderTree(dir: string, files: readonly RenderedFile[], manifest: Manifest): void {
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes('manifest.json')) {
      throw new UsageError(`${dir} is not empty and holds no manifest.json from an earlier render; choose a new or empty directory`);
    }
    if (entries.includes('manifest.json')) {
      // Remove exactly what the earlier render wrote, so files of hosts or services dropped
      // since then do not linger.
      const previous = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      for (const h of new Set(previous.files.map((f) => f.host))) rmSync(join(dir, h), { recursive: true, force: true });
      rmSync(manifestPath);
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const target = join(dir, f.host, f.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, f.content, { mode: 0o600 });
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
}
