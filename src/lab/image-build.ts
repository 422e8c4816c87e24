/**
 * Makes the lab node image when the engine does not have it yet (see node-image.ts and
 * src/local/base-image.ts for the what and why). Cold: debootstrap (~50 s), docker import (~3 s), then a build that installs
 * systemd, OpenSSH and chrony from the host's Debian archive. Warm: one image inspect.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { packageRoot } from '../render/templates.js';
import { nodeAptSources, type DebianArchive } from '../local/apt-sources.js';
import { baseImageTag, debootstrapArgv, dockerImportArgv, removeRootfs, tarRootfsArgv, type BaseImageInputs } from '../local/base-image.js';
import { imageExists } from '../local/docker-engine.js';
import type { Progress } from '../local/progress.js';
import { runChecked, runPipe } from '../local/run-command.js';
import { HostError } from '../errors.js';
import { nodeImageBuildOptions, nodeImageTag, type ContextFile } from './node-image.js';

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
