/**
 * Makes the lab node image when the engine does not have it yet (see node-image.ts for the
 * what and why). Cold: debootstrap (~50 s), docker import (~3 s), then a build that installs
 * systemd, OpenSSH and chrony from the host's Debian archive. Warm: one image inspect.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { packageRoot } from '../render/templates.js';
import { nodeAptSources, type DebianArchive } from './apt-sources.js';
import { imageExists } from './docker-engine.js';
import { HostError, tail } from '../errors.js';
import {
  baseImageTag,
  debootstrapArgv,
  dockerImportArgv,
  nodeImageBuildOptions,
  nodeImageTag,
  tarRootfsArgv,
  type BaseImageInputs,
  type ContextFile,
} from './node-image.js';
import type { Progress } from './progress.js';
import { runChecked, runCommand, runPipe } from './run-command.js';

/** The templates/lab/node directory: the node image's Dockerfile and the files it copies. */
export function nodeTemplateDir(): string {
  return join(packageRoot(), 'templates', 'lab', 'node');
}

/** The node image's build context: the template files plus apt sources made from the host's. */
export function nodeImageContext(archive: DebianArchive, dir = nodeTemplateDir()): ContextFile[] {
  const files: ContextFile[] = readdirSync(dir)
    .sort()
    .map((name) => ({
      name,
      content: readFileSync(join(dir, name), 'utf8'),
      // Only the executable bit matters (policy-rc.d); git does not keep the rest.
      mode: statSync(join(dir, name)).mode & 0o111 ? 0o755 : 0o644,
    }));
  files.push({ name: 'debian.sources', content: nodeAptSources(archive), mode: 0o644 });
  return files;
}

/** Both image tags for this archive and template directory (cheap: no engine call). */
export function nodeImageTags(archive: DebianArchive, dir = nodeTemplateDir()): { base: string; node: string; inputs: BaseImageInputs; context: ContextFile[] } {
  const inputs: BaseImageInputs = { suite: archive.suite, variant: 'minbase', mirror: archive.mirror };
  const base = baseImageTag(inputs);
  const context = nodeImageContext(archive, dir);
  return { base, node: nodeImageTag(base, context), inputs, context };
}

/** Returns the node image's tag, building whatever of it the engine does not have. */
export async function ensureNodeImage(docker: Docker, archive: DebianArchive, progress: Progress): Promise<string> {
  const { base, node, inputs, context } = nodeImageTags(archive);
  if (await imageExists(docker, node)) {
    progress.phase(`node image ${node}: cached`);
    return node;
  }
  if (await imageExists(docker, base)) {
    progress.phase(`base image ${base}: cached`);
  } else {
    await buildBaseImage(inputs, base, progress);
  }
  await buildNodeImage(docker, base, node, context, progress);
  return node;
}

async function buildBaseImage(inputs: BaseImageInputs, tag: string, progress: Progress): Promise<void> {
  if (process.getuid?.() !== 0) throw new HostError('building the lab base image runs debootstrap, which needs root');
  const rootfs = mkdtempSync(join(tmpdir(), 'cairn-rootfs-'));
  try {
    progress.phase(`base image ${tag}: debootstrap ${inputs.suite} from ${inputs.mirror} (about a minute)`);
    await runChecked(debootstrapArgv(inputs, rootfs), progress);
    progress.phase(`base image ${tag}: docker import`);
    await runPipe(tarRootfsArgv(rootfs), dockerImportArgv(tag), progress);
  } finally {
    await removeRootfs(rootfs, progress);
  }
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

async function buildNodeImage(docker: Docker, base: string, tag: string, context: readonly ContextFile[], progress: Progress): Promise<void> {
  progress.phase(`node image ${tag}: docker build (apt-get install systemd openssh-server chrony …)`);
  const dir = mkdtempSync(join(tmpdir(), 'cairn-node-image-'));
  try {
    for (const f of context) {
      writeFileSync(join(dir, f.name), f.content);
      chmodSync(join(dir, f.name), f.mode);
    }
    const stream = await docker.buildImage({ context: dir, src: context.map((f) => f.name) }, nodeImageBuildOptions(tag, base));
    let lastLines: string[] = [];
    let buildError: string | undefined;
    const streamError = await new Promise<string | undefined>((resolvePromise) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => resolvePromise(err ? err.message : undefined),
        (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.stream) {
            progress.log(event.stream);
            lastLines = [...lastLines, ...event.stream.split('\n').filter(Boolean)].slice(-15);
          }
          if (event.error) {
            buildError = event.errorDetail?.message ?? event.error;
            progress.log(`error: ${event.error}`);
          }
        },
      );
    });
    const failure = buildError ?? streamError;
    if (failure || !(await imageExists(docker, tag))) {
      throw new HostError(`building ${tag} failed${failure ? `: ${failure}` : ''}:\n${lastLines.join('\n')}`, { logFile: progress.logFile });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
