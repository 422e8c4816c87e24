/**
 * The Debian base image built on this machine, shared by the lab's node image and the
 * containers mode's service images (same inputs, same tag, so either build reuses the other's):
 *
 *   cairn-lab-base:HASH  `debootstrap --variant=minbase SUITE` from this machine's Debian mirror,
 *                        imported with `docker import` (no registry is ever contacted).
 *
 * The tag is a hash of its inputs. The commands here are data; callers run them with
 * run-command.ts (src/lab/image-build.ts, src/containers/image-build.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tail } from '../errors.js';
import type { Progress } from './progress.js';
import { runCommand } from './run-command.js';

/** Repository name of the base image (named when only the lab used it; kept so caches stay valid). */
export const BASE_IMAGE_REPO = 'cairn-lab-base';

/** How the base root file system is made. */
export interface BaseImageInputs {
  suite: string;
  variant: 'minbase';
  mirror: string;
}

/** 12 hex digits of sha256 over `parts` (length-prefixed, so parts cannot run together). */
export function shortHash(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}\n`);
  return h.digest('hex').slice(0, 12);
}

/** `cairn-lab-base:HASH` for these inputs. */
export function baseImageTag(inputs: BaseImageInputs): string {
  return `${BASE_IMAGE_REPO}:${shortHash([inputs.suite, inputs.variant, inputs.mirror])}`;
}

/** `debootstrap` making the base root file system in `rootfs`. */
export function debootstrapArgv(inputs: BaseImageInputs, rootfs: string): string[] {
  return ['debootstrap', `--variant=${inputs.variant}`, inputs.suite, rootfs, inputs.mirror];
}

/** `tar` streaming `rootfs` to stdout, owners kept as numbers (the host's names may differ). */
export function tarRootfsArgv(rootfs: string): string[] {
  return ['tar', '--numeric-owner', '-C', rootfs, '-c', '.'];
}

/** `docker import` reading the root file system tar from stdin. */
export function dockerImportArgv(tag: string): string[] {
  return ['docker', 'import', '--message', 'cairn lab base: debootstrap root file system', '-', tag];
}

/**
 * Removes a debootstrap target. debootstrap unmounts what it mounted, but if it failed half way
 * /proc or /sys may still be mounted inside: unmount those first, and never cross into another
 * file system while deleting.
 */
export async function removeRootfs(rootfs: string, progress: Progress): Promise<void> {
  const prefix = `${resolve(rootfs)}/`;
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await runCommand(['umount', '-l', m], progress);
  const r = await runCommand(['rm', '-rf', '--one-file-system', rootfs], progress);
  if (r.code !== 0) progress.warn(`could not remove ${rootfs}: ${tail(r.stderr, 3)}`);
}
