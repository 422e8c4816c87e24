/**
 * Image names and tags, as data. Every service image is `cairn/<service>:<release>-<build>`
 * (e.g. `cairn/keystone:zed-1`): the release says which OpenStack the Debian packages are, the
 * build number counts cairn's builds of it, so a rebuild is a new tag that can be upgraded to and
 * rolled back from. Pure.
 */

/** Repository prefix of every cairn image. */
export const IMAGE_PREFIX = 'cairn';

/** The common base of the service images (Debian, the host's apt sources, python3). */
export const OPENSTACK_BASE = 'openstack-base';

/** `cairn/<name>`. */
export function imageRepository(name: string): string {
  return `${IMAGE_PREFIX}/${name}`;
}

/** `cairn/<name>:<tag>`. */
export function imageRef(name: string, tag: string): string {
  return `${imageRepository(name)}:${tag}`;
}

/** `<release>-<build>`. */
export function imageTag(release: string, build: number): string {
  return `${release}-${build}`;
}

/** A tag cairn understands: release and build number. */
export interface ParsedTag {
  release: string;
  build: number;
}

/** Parses `zed-3`; undefined for anything else (user input is checked with this). */
export function parseTag(tag: string): ParsedTag | undefined {
  const m = /^([a-z][a-z0-9]*)-([1-9][0-9]{0,5})$/.exec(tag);
  return m ? { release: m[1]!, build: Number(m[2]) } : undefined;
}

/** The next build tag of `release` given the tags that exist (any repository's). */
export function nextTag(release: string, existing: readonly string[]): string {
  const builds = existing.map(parseTag).filter((t): t is ParsedTag => t !== undefined && t.release === release).map((t) => t.build);
  return imageTag(release, builds.length ? Math.max(...builds) + 1 : 1);
}

/** Newest first: builds of the same release by number, other tags after, by name. */
export function sortTags(tags: readonly string[]): string[] {
  return [...tags].sort((a, b) => {
    const pa = parseTag(a);
    const pb = parseTag(b);
    if (pa && pb && pa.release === pb.release) return pb.build - pa.build;
    if (pa && !pb) return -1;
    if (!pa && pb) return 1;
    return b.localeCompare(a);
  });
}

/** One file of an image's build context. */
export interface BuildFile {
  name: string;
  content: string;
  mode: number;
}

/** What `cairn images build` makes: the base, then one image per service, all with one tag. */
export interface ImageBuild {
  /** Image reference and the build context that makes it, in build order. */
  images: { ref: string; name: string; context: BuildFile[] }[];
}

/** What both image Dockerfiles render: what they build on, install, and whose user. */
interface PackageImageView {
  baseImage: string;
  /** Space-separated Debian package names. */
  packages: string;
  user: string;
  uid: number;
  gid: number;
  home: string;
}

/** View of templates/images/service/Dockerfile.hbs. */
export interface ServiceImageView extends PackageImageView {
  service: string;
  /**
   * The image has the user already: Debian's own (www-data), or made by the layer it builds on
   * (nova-base); the Dockerfile makes none.
   */
  userMade: boolean;
  configDir: string;
  links: { path: string; target: string }[];
  /** A shell command run after the links (Horizon's enabled Apache site); '' for none. */
  setup: string;
  release: string;
}

/** View of templates/images/layer/Dockerfile.hbs. */
export interface LayerImageView extends PackageImageView {
  layer: string;
}

/**
 * Labels a cairn image gets at build time (build API `labels`): its name for `images list`, and
 * for service images the tag, which makes each build its own image even when every layer
 * came from the build cache.
 */
export function imageBuildLabels(name: string, tag: string | undefined): Record<string, string> {
  return { 'cairn.image': name, ...(tag !== undefined ? { 'cairn.tag': tag } : {}) };
}
