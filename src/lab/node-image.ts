/**
 * The lab node image as data: what goes in, what it is called, and the commands that make it.
 *
 * Two images, each tagged with a hash of its inputs so a later `lab up` reuses them:
 *   cairn-lab-base:HASH  `debootstrap --variant=minbase SUITE` from the host's Debian mirror,
 *                        imported with `docker import` (no registry is ever contacted).
 *   cairn-lab-node:HASH  the base plus templates/lab/node/Dockerfile (systemd, OpenSSH, chrony…).
 * Nothing here runs anything; image-build.ts executes these commands.
 */
import { createHash } from 'node:crypto';

/** Repository names of the two images. */
export const BASE_IMAGE_REPO = 'cairn-lab-base';
export const NODE_IMAGE_REPO = 'cairn-lab-node';

/** How the base root file system is made. */
export interface BaseImageInputs {
  suite: string;
  variant: 'minbase';
  mirror: string;
}

/** A file of the node image's build context. */
export interface ContextFile {
  name: string;
  content: string;
  /** File mode, e.g. 0o755 for policy-rc.d. */
  mode: number;
}

function shortHash(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}\n`);
  return h.digest('hex').slice(0, 12);
}

/** `cairn-lab-base:HASH` for these inputs. */
export function baseImageTag(inputs: BaseImageInputs): string {
  return `${BASE_IMAGE_REPO}:${shortHash([inputs.suite, inputs.variant, inputs.mirror])}`;
}

/** `cairn-lab-node:HASH`: covers the base image's tag and every file of the build context. */
export function nodeImageTag(baseTag: string, context: readonly ContextFile[]): string {
  const files = [...context].sort((a, b) => a.name.localeCompare(b.name));
  return `${NODE_IMAGE_REPO}:${shortHash([baseTag, ...files.flatMap((f) => [f.name, f.mode.toString(8), f.content])])}`;
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
 * Options of the node image build (Docker's build API): the host network, because the build
 * runs apt-get against the host's Debian archive (LAB.md: `docker build --network host`).
 */
export function nodeImageBuildOptions(nodeTag: string, baseTag: string): {
  t: string;
  buildargs: Record<string, string>;
  networkmode: string;
  forcerm: boolean;
  labels: Record<string, string>;
} {
  return {
    t: nodeTag,
    buildargs: { BASE_IMAGE: baseTag },
    networkmode: 'host',
    forcerm: true,
    labels: { 'cairn.lab.image': 'node' },
  };
}
