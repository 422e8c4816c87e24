/**
 * `cairn images build`: makes the service images on the deploy host's Docker engine.
 *
 *   Debian root file system   debootstrap --variant=minbase from this machine's own Debian
 *                             mirror (read from its apt sources at run time), `docker import`ed;
 *                             the same image, with the same tag, as the lab's base
 *                             (src/local/base-image.ts), so either build reuses the other's.
 *   cairn/openstack-base:TAG  that plus the host's apt sources and python3.
 *   cairn/<layer>:TAG         a project's shared layer (nova-base, neutron-base): its user and
 *                             common package, so its service images share those bytes.
 *   cairn/<service>:TAG       Debian's package of the service (templates/images/service), FROM
 *                             its project's layer or the base.
 *
 * No registry is contacted: every layer comes from Debian's archive.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { debianArchive, nodeAptSources, readHostAptSources, type DebianArchive } from '../local/apt-sources.js';
import { baseImageTag, debootstrapArgv, dockerImportArgv, removeRootfs, tarRootfsArgv, type BaseImageInputs } from '../local/base-image.js';
import { imageExists } from '../local/docker-engine.js';
import type { Progress } from '../local/progress.js';
import { runChecked, runCommand, runPipe } from '../local/run-command.js';
import { TemplateSet, packageRoot } from '../render/templates.js';
import { containersError, tailLines } from './errors.js';
import { OPENSTACK_BASE, imageBuildLabels, imageRef, type BuildFile, type LayerImageView, type ServiceImageView } from './images.js';
import { CONTAINER_CONFIG_DIR, imageOwners, type ContainerService, type ImageLayer } from './services.js';
import { posix } from 'node:path';

/** The Debian archive of this machine for bookworm, or a clear error. */
export function hostArchive(suite = 'bookworm'): DebianArchive {
  const a = debianArchive(readHostAptSources(), suite);
  if (typeof a === 'string') throw containersError(a);
  return a;
}

/** The build context of cairn/openstack-base:TAG (pure apart from reading templates). */
export function baseContext(rootfsImage: string, archive: DebianArchive, templates = new TemplateSet()): BuildFile[] {
  const dir = join(packageRoot(), 'templates', 'images', OPENSTACK_BASE);
  return [
    { name: 'Dockerfile', content: templates.get(`images/${OPENSTACK_BASE}/Dockerfile.hbs`)({ baseImage: rootfsImage }), mode: 0o644 },
    { name: 'debian.sources', content: nodeAptSources(archive), mode: 0o644 },
    { name: 'policy-rc.d', content: readFileSync(join(dir, 'policy-rc.d'), 'utf8'), mode: 0o755 },
  ];
}

/** The view of a service's Dockerfile. */
export function serviceImageView(service: ContainerService, baseRef: string, release: string): ServiceImageView {
  return {
    service: service.name,
    baseImage: baseRef,
    packages: service.packages.join(' '),
    user: service.user.name,
    uid: service.user.uid,
    gid: service.user.gid,
    home: service.user.home,
    userMade: service.user.system === true || service.layer !== undefined,
    configDir: CONTAINER_CONFIG_DIR,
    links: service.configLinks.map((p) => ({ path: p, target: `${CONTAINER_CONFIG_DIR}/${posix.basename(p)}` })),
    setup: service.imageSetup ?? '',
    release,
  };
}

/** The build context of a project's shared layer, cairn/<layer>:TAG (pure apart from reading templates). */
export function layerContext(layer: ImageLayer, baseRef: string, templates = new TemplateSet()): BuildFile[] {
  const view: LayerImageView = { layer: layer.name, baseImage: baseRef, packages: layer.packages.join(' '), user: layer.user.name, uid: layer.user.uid, gid: layer.user.gid, home: layer.user.home };
  return [{ name: 'Dockerfile', content: templates.get('images/layer/Dockerfile.hbs')(view as unknown as Record<string, unknown>), mode: 0o644 }];
}

/** The layers `owners`' images build on, each once, in the order first needed. */
export function layersOf(owners: readonly ContainerService[]): ImageLayer[] {
  return [...new Set(owners.flatMap((s) => (s.layer ? [s.layer] : [])))];
}

/** The build context of cairn/<service>:TAG. */
export function serviceContext(service: ContainerService, baseRef: string, release: string, templates = new TemplateSet()): BuildFile[] {
  return [{ name: 'Dockerfile', content: templates.get('images/service/Dockerfile.hbs')(serviceImageView(service, baseRef, release) as unknown as Record<string, unknown>), mode: 0o644 }];
}

/** Makes the debootstrap root file system image unless the engine has it; returns its tag. */
export async function ensureRootfsImage(docker: Docker, archive: DebianArchive, progress: Progress): Promise<string> {
  const inputs: BaseImageInputs = { suite: archive.suite, variant: 'minbase', mirror: archive.mirror };
  const tag = baseImageTag(inputs);
  if (await imageExists(docker, tag)) {
    progress.phase(`root file system ${tag}: cached`);
    return tag;
  }
  if (process.getuid?.() !== 0) throw containersError('building the base image runs debootstrap, which needs root');
  const rootfs = mkdtempSync(join(tmpdir(), 'cairn-rootfs-'));
  try {
    progress.phase(`root file system ${tag}: debootstrap ${inputs.suite} from ${inputs.mirror} (about a minute)`);
    await runChecked(debootstrapArgv(inputs, rootfs), progress);
    await runPipe(tarRootfsArgv(rootfs), dockerImportArgv(tag), progress);
  } finally {
    await removeRootfs(rootfs, progress);
  }
  return tag;
}


/** Builds one image from `context` with the engine's build API (host network: apt needs it). */
export async function buildImage(
  docker: Docker,
  ref: string,
  name: string,
  tag: string | undefined,
  context: readonly BuildFile[],
  progress: Progress,
  noCache = false,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-image-'));
  try {
    for (const f of context) {
      writeFileSync(join(dir, f.name), f.content);
      chmodSync(join(dir, f.name), f.mode);
    }
    const stream = await docker.buildImage(
      { context: dir, src: context.map((f) => f.name) },
      { t: ref, networkmode: 'host', forcerm: true, nocache: noCache, labels: imageBuildLabels(name, tag) },
    );
    let last: string[] = [];
    let failure: string | undefined;
    const streamError = await new Promise<string | undefined>((resolve) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => resolve(err ? err.message : undefined),
        (e: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (e.stream) {
            progress.log(e.stream);
            last = [...last, ...e.stream.split('\n').filter(Boolean)].slice(-20);
          }
          if (e.error) failure = e.errorDetail?.message ?? e.error;
        },
      );
    });
    failure ??= streamError;
    if (failure || !(await imageExists(docker, ref))) {
      throw containersError(`building ${ref} failed${failure ? `: ${failure}` : ''}`, undefined, tailLines(last.join('\n')));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the base and `services`' images, all tagged `tag`. Returns the refs built. */
export async function buildServiceImages(
  docker: Docker,
  services: readonly ContainerService[],
  release: string,
  tag: string,
  progress: Progress,
  /** Rebuild every layer (new Debian package versions); otherwise unchanged layers are reused. */
  noCache = false,
): Promise<string[]> {
  const archive = hostArchive();
  const rootfs = await ensureRootfsImage(docker, archive, progress);
  const baseRef = imageRef(OPENSTACK_BASE, tag);
  progress.phase(`${baseRef}: building`);
  // The base carries no tag label, so a rebuild with unchanged inputs is the same image (id) and
  // the service images' layers come from the build cache; only their own tag label differs.
  await buildImage(docker, baseRef, OPENSTACK_BASE, undefined, baseContext(rootfs, archive), progress, noCache);
  const built = [baseRef];
  const owners = imageOwners(services);
  // Layers, like the base, carry no tag label: unchanged inputs give the same image (id).
  for (const layer of layersOf(owners)) {
    const ref = imageRef(layer.name, tag);
    progress.phase(`${ref}: building (apt-get install ${layer.packages.join(' ')}, shared by the ${layer.name.replace(/-base$/, '')} images)`);
    await buildImage(docker, ref, layer.name, undefined, layerContext(layer, baseRef), progress, noCache);
    built.push(ref);
  }
  for (const s of owners) {
    const ref = imageRef(s.name, tag);
    progress.phase(`${ref}: building (apt-get install ${s.packages.join(' ')})`);
    await buildImage(docker, ref, s.name, tag, serviceContext(s, s.layer ? imageRef(s.layer.name, tag) : baseRef, release), progress, noCache);
    built.push(ref);
  }
  return built;
}

/** One cairn image on an engine. */
export interface ImageRow {
  ref: string;
  name: string;
  tag: string;
  id: string;
  created: number;
  sizeBytes: number;
}

/** Every image with cairn's build label on `docker`'s engine, newest first. */
export async function listCairnImages(docker: Docker): Promise<ImageRow[]> {
  const images = await docker.listImages({ filters: { label: ['cairn.image'] } });
  const rows: ImageRow[] = [];
  for (const i of images) {
    for (const ref of i.RepoTags ?? []) {
      if (ref === '<none>:<none>') continue;
      const colon = ref.lastIndexOf(':');
      rows.push({ ref, name: i.Labels?.['cairn.image'] ?? ref.slice(0, colon), tag: ref.slice(colon + 1), id: i.Id, created: i.Created, sizeBytes: i.Size });
    }
  }
  return rows.sort((a, b) => b.created - a.created || a.ref.localeCompare(b.ref));
}
