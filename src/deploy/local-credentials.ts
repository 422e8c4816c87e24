/**
 * Copies of the admin credentials for the deploy host, from the rendered files (mode 0600):
 * Packstack leaves keystonerc_admin where it ran; cairn puts it in its state directory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import type { RenderedFile } from '../render/render-files.js';
import { writePrivateFile } from '../local/user-files.js';

/** Writes keystonerc_admin and clouds.yaml into `stateDir`; returns the paths written. */
export function writeLocalCredentials(d: Deployment, files: readonly RenderedFile[], stateDir: string): string[] {
  const ctrl = controllerOf(d).name;
  const written: string[] = [];
  for (const [path, name] of [['/root/keystonerc_admin', 'keystonerc_admin'], ['/root/.config/openstack/clouds.yaml', 'clouds.yaml']] as const) {
    const f = files.find((x) => x.host === ctrl && x.path === path);
    if (!f) continue;
    mkdirSync(stateDir, { recursive: true });
    const local = join(stateDir, name);
    // Never through a symlink planted in the state directory; 0600 also when it existed.
    writePrivateFile(local, f.content, { overwrite: true, what: 'admin credentials' });
    written.push(local);
  }
  return written;
}
