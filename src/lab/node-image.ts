/**
 * The lab node image as data: what goes in, what it is called, and how it is built.
 *
 *   cairn-lab-node:HASH  the base image (src/local/base-image.ts: debootstrap from the host's
 *                        Debian mirror) plus templates/lab/node/Dockerfile (systemd, OpenSSH,
 *                        chrony…), tagged with a hash of its inputs so a later `lab up` reuses it.
 * Nothing here runs anything; image-build.ts builds it.
 */
import { shortHash } from '../local/base-image.js';

/** Repository name of the node image. */
export const NODE_IMAGE_REPO = 'cairn-lab-node';

/** A file of the node image's build context. */
export interface ContextFile {
  name: string;
  content: string;
  /** File mode, e.g. 0o755 for policy-rc.d. */
  mode: number;
}

/** `cairn-lab-node:HASH`: covers the base image's tag and every file of the build context. */
export function nodeImageTag(baseTag: string, context: readonly ContextFile[]): string {
  const files = [...context].sort((a, b) => a.name.localeCompare(b.name));
  return `${NODE_IMAGE_REPO}:${shortHash([baseTag, ...files.flatMap((f) => [f.name, f.mode.toString(8), f.content])])}`;
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
