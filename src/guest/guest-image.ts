/**
 * `cairn images guest`: a bootable guest made on this machine from Debian's own packages, no
 * image download: Debian's cloud kernel plus an initramfs of busybox-static, dropbear and the
 * few libraries dropbear needs, with cairn's init (templates/guest/init). It plays cirros'
 * part: DHCP, the metadata service (hostname, SSH key, user-data), an SSH server, markers on
 * the serial console. Nova boots it as a kernel + ramdisk pair (aki/ari images).
 *
 * Cached by content: the key is the package versions apt would download plus the bytes of
 * the init files, so a re-run with nothing new is instant, and the same inputs give the same
 * image bytes (fixed times and owners in the archive, gzip without a timestamp).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { HostError } from '../errors.js';
import type { Progress } from '../local/progress.js';
import { createDirectories, writePrivateFile } from '../local/user-files.js';
import { runChecked } from '../local/run-command.js';
import { packageRoot } from '../render/templates.js';
import { writeCpio, type CpioEntry } from './cpio.js';

/** The guest's version, in its /etc/os-release (the cache key also covers this file's code). */
const BUILDER_VERSION = 2;
/** Debian's metapackage that names the current cloud kernel. */
const KERNEL_META = 'linux-image-cloud-amd64';
/** What the initramfs is made of, besides the kernel's modules. */
const USERSPACE_PACKAGES = [
  'busybox-static', 'dropbear-bin', 'libc6', 'libcrypt1', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'zlib1g',
  // util-linux's lsblk (busybox has none): Tempest lists a guest's disks with `lsblk -lb --nodeps`.
  'util-linux', 'libblkid1', 'libmount1', 'libsmartcols1', 'libudev1', 'libselinux1', 'libpcre2-8-0',
];
/**
 * Shell stand-ins for the two commands Tempest's remote client runs in a guest that busybox
 * lacks (cirros has both): path in the guest -> file in templates/guest.
 */
const GUEST_TOOLS: Readonly<Record<string, string>> = { 'usr/bin/sudo': 'sudo', 'usr/bin/curl': 'curl' };
/** The shared libraries dropbear, dropbearkey and lsblk load (with the loader). */
const LIBRARIES = [
  'ld-linux-x86-64.so.2', 'libc.so.6', 'libcrypt.so.1', 'libtomcrypt.so.1', 'libtommath.so.1', 'libgmp.so.10', 'libz.so.1',
  'libblkid.so.1', 'libmount.so.1', 'libsmartcols.so.1', 'libudev.so.1', 'libselinux.so.1', 'libpcre2-8.so.0',
];
/** The NIC and disk drivers a Nova guest needs, loaded with their dependencies. */
const MODULES = ['virtio_pci', 'virtio_net', 'virtio_blk'];
/**
 * Module parameters. virtio_net without checksum and segmentation offload: with Open vSwitch's
 * userspace (netdev) datapath, which labs use, a guest that leaves TCP checksums to its NIC
 * gets no TCP through (the OVS maintainers' answer in openvswitch/ovs-issues#273). The cost
 * is a little CPU in a test guest.
 */
const MODULE_PARAMS: Readonly<Record<string, string>> = { virtio_net: 'csum=0 gso=0' };
const MULTIARCH = 'lib/x86_64-linux-gnu';

/** What was built: the two files Glance takes, and how they were made. */
export interface GuestImage {
  dir: string;
  kernel: string;
  initrd: string;
  manifest: GuestManifest;
  /** True when the cache already held it. */
  cached: boolean;
}

/** manifest.json beside the image. */
export interface GuestManifest {
  builder: number;
  kernelRelease: string;
  packages: { name: string; version: string }[];
  modules: string[];
  files: { kernel: { bytes: number; sha256: string }; initrd: { bytes: number; sha256: string } };
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Builds the guest image under `cacheRoot` (or finds it there). */
export async function buildGuestImage(cacheRoot: string, progress: Progress): Promise<GuestImage> {
  const { kernelPackage, packages } = await resolvePackages(cacheRoot, progress);
  const names = packages.map((p) => p.name);
  const init = readFileSync(join(packageRoot(), 'templates', 'guest', 'init'));
  const udhcpc = readFileSync(join(packageRoot(), 'templates', 'guest', 'udhcpc.script'));
  const tools = new Map(Object.entries(GUEST_TOOLS).map(([path, name]) => [path, readFileSync(join(packageRoot(), 'templates', 'guest', name))]));
  // The builder's own code is part of the key: a change to what goes in makes a new image.
  const builder = sha256(readFileSync(fileURLToPath(import.meta.url)));
  const toolHashes = Object.fromEntries([...tools].map(([path, data]) => [path, sha256(data)]));
  const key = sha256(JSON.stringify({ BUILDER_VERSION, builder, packages, init: sha256(init), udhcpc: sha256(udhcpc), tools: toolHashes })).slice(0, 16);
  const dir = join(cacheRoot, key);
  const cached = readCached(dir);
  if (cached) {
    progress.phase(`guest image: cached in ${dir}`);
    return { dir, kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), manifest: cached, cached: true };
  }

  const work = mkdtempSync(join(tmpdir(), 'cairn-guest-'));
  try {
    progress.phase(`guest image: downloading ${names.length} packages from the host's apt sources`);
    await runChecked(['apt-get', 'download', ...packages.map((p) => `${p.name}=${p.version}`)], progress, undefined, work);
    const root = join(work, 'root');
    mkdirSync(root);
    for (const deb of readdirSync(work).filter((f) => f.endsWith('.deb'))) await runChecked(['dpkg-deb', '-x', join(work, deb), root], progress);

    progress.phase('guest image: assembling the initramfs');
    const kernelRelease = readdirSync(join(root, 'lib', 'modules'))[0];
    if (!kernelRelease) throw new HostError(`${kernelPackage} holds no /lib/modules/<release>: not a kernel package?`);
    const modules = moduleLoadOrder(join(root, 'lib', 'modules', kernelRelease), MODULES);
    const entries = initramfsEntries(root, kernelRelease, modules, init, udhcpc, tools);
    const initrd = gzipSync(writeCpio(entries), { level: 9 });
    const kernel = readFileSync(join(root, 'boot', `vmlinuz-${kernelRelease}`));

    const staging = `${dir}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'vmlinuz'), kernel);
    writeFileSync(join(staging, 'initrd.img'), initrd);
    const manifest: GuestManifest = {
      builder: BUILDER_VERSION,
      kernelRelease,
      packages,
      modules,
      files: { kernel: { bytes: kernel.length, sha256: sha256(kernel) }, initrd: { bytes: initrd.length, sha256: sha256(initrd) } },
    };
    writeFileSync(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    // Whole or not at all: a build killed half-way leaves only the .partial directory.
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    progress.phase(`guest image: built in ${dir} (kernel ${(kernel.length / 1e6).toFixed(1)} MB, initramfs ${(initrd.length / 1e6).toFixed(1)} MB)`);
    return { dir, kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), manifest, cached: false };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The cached image's manifest when both files are there and match it. Hashing them (18 MB) was
 * a tenth of a second of every no-op deploy with demo provisioning, so once they matched, their
 * size, modification time and inode are kept in verified.json and the hash is taken again only
 * when one of those differs.
 */
function readCached(dir: string): GuestManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GuestManifest;
    const files = { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
    const seen = JSON.stringify(Object.fromEntries(Object.entries(files).map(([k, f]) => [k, fileIdentity(f)])));
    const verified = join(dir, 'verified.json');
    if (existsSync(verified) && readFileSync(verified, 'utf8') === seen) return m;
    if (sha256(readFileSync(files.kernel)) !== m.files.kernel.sha256) return undefined;
    if (sha256(readFileSync(files.initrd)) !== m.files.initrd.sha256) return undefined;
    try {
      writeFileSync(verified, seen);
    } catch {
      // A cache this user may not write: hashed again next time.
    }
    return m;
  } catch {
    return undefined;
  }
}

/** What changes when a file is rewritten or replaced. */
function fileIdentity(path: string): { bytes: number; mtimeMs: number; ino: number } {
  const st = statSync(path);
  return { bytes: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/**
 * Which packages (and versions) the image is made of. Asking apt costs seconds (each apt-cache
 * run loads its whole cache), which every deploy with demo provisioning would pay; the answer
 * only changes when apt's package lists do, so it is kept beside the images, keyed by the
 * lists' and apt's cache's modification times.
 */
async function resolvePackages(cacheRoot: string, progress: Progress): Promise<{ kernelPackage: string; packages: { name: string; version: string }[] }> {
  const file = join(cacheRoot, 'resolved.json');
  const stamp = APT_STATE.map((p) => {
    try {
      return `${p}:${statSync(p).mtimeMs}`;
    } catch {
      return `${p}:absent`;
    }
  }).join(' ');
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { stamp: string; kernelPackage: string; packages: { name: string; version: string }[] };
    // Kept only for the same apt state and the same package list (the kernel, then these).
    const names = kept.packages.slice(1).map((p) => p.name);
    if (kept.stamp === stamp && names.join(' ') === USERSPACE_PACKAGES.join(' ')) return kept;
  } catch {
    // not resolved yet
  }
  progress.phase('guest image: asking apt which packages it would use');
  const kernelPackage = await resolveKernelPackage(progress);
  const packages = await candidateVersions([kernelPackage, ...USERSPACE_PACKAGES], progress);
  mkdirSync(cacheRoot, { recursive: true });
  writeFileSync(file, JSON.stringify({ stamp, kernelPackage, packages }) + '\n');
  return { kernelPackage, packages };
}

/** What apt's answers depend on: its package lists and the cache apt-cache builds from them. */
const APT_STATE = ['/var/lib/apt/lists', '/var/cache/apt/pkgcache.bin', '/etc/apt/sources.list', '/etc/apt/sources.list.d'];

async function resolveKernelPackage(progress: Progress): Promise<string> {
  const r = await runChecked(['apt-cache', 'depends', KERNEL_META], progress);
  const dep = /^\s*Depends: (linux-image-\S+)$/m.exec(r.stdout)?.[1];
  if (!dep) throw new HostError(`apt-cache depends ${KERNEL_META} names no kernel package: is Debian's main archive among this machine's apt sources (apt-get update)?`);
  return dep;
}

/** The version apt would download of each package (one apt-cache run: each costs a second). */
async function candidateVersions(names: readonly string[], progress: Progress): Promise<{ name: string; version: string }[]> {
  const r = await runChecked(['apt-cache', 'show', '--no-all-versions', ...names], progress);
  const found = new Map<string, string>();
  for (const block of r.stdout.split(/\n\s*\n/)) {
    const name = /^Package: (\S+)$/m.exec(block)?.[1];
    const version = /^Version: (\S+)$/m.exec(block)?.[1];
    if (name && version && !found.has(name)) found.set(name, version);
  }
  return names.map((name) => {
    const version = found.get(name);
    if (!version) throw new HostError(`apt knows no version of ${name}: run apt-get update`);
    return { name, version };
  });
}

/**
 * The modules to insmod for `wanted`, dependencies first, as paths under /lib/modules. The
 * package ships no modules.dep (depmod makes it on install), so each module's own
 * `depends=` modinfo string is read.
 */
function moduleLoadOrder(moduleDir: string, wanted: readonly string[]): string[] {
  const paths = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (lstatSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ko')) paths.set(name.slice(0, -3).replace(/-/g, '_'), p);
    }
  };
  walk(join(moduleDir, 'kernel'));
  const order: string[] = [];
  const visit = (mod: string, chain: string[]): void => {
    if (order.includes(mod)) return;
    if (chain.includes(mod)) throw new HostError(`kernel module dependency cycle: ${[...chain, mod].join(' -> ')}`);
    const path = paths.get(mod);
    if (!path) throw new HostError(`kernel module ${mod} is not in ${moduleDir} (built into this kernel or not shipped)`);
    const info = readFileSync(path);
    const at = info.indexOf('\0depends=');
    const deps = at < 0 ? '' : info.subarray(at + 9, info.indexOf(0, at + 9)).toString('latin1');
    for (const d of deps.split(',').filter(Boolean)) visit(d.replace(/-/g, '_'), [...chain, mod]);
    order.push(mod);
  };
  for (const m of wanted) visit(m, []);
  return order.map((m) => relative(moduleDir, paths.get(m)!));
}

/** Every file, directory and link of the initramfs. */
function initramfsEntries(root: string, kernelRelease: string, modules: readonly string[], init: Buffer, udhcpc: Buffer, tools: ReadonlyMap<string, Buffer>): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const dir = (path: string): void => {
    for (let p = path; p !== '.' && !dirs.has(p); p = dirname(p)) {
      dirs.add(p);
      entries.push({ kind: 'dir', path: p });
    }
  };
  const file = (path: string, data: Buffer, mode = 0o644): void => {
    dir(dirname(path));
    entries.push({ kind: 'file', path, data, mode });
  };
  for (const d of ['dev', 'proc', 'sys', 'tmp', 'run', 'root', 'var/log', 'etc/dropbear']) dir(d);

  file('init', init, 0o755);
  file('etc/udhcpc.script', udhcpc, 0o755);
  for (const [path, data] of tools) file(path, data, 0o755);
  file('bin/busybox', readFileSync(join(root, 'bin', 'busybox')), 0o755);
  dir('bin');
  entries.push({ kind: 'symlink', path: 'bin/sh', target: 'busybox' });
  file('usr/sbin/dropbear', readFileSync(join(root, 'usr', 'sbin', 'dropbear')), 0o755);
  file('usr/bin/dropbearkey', readFileSync(join(root, 'usr', 'bin', 'dropbearkey')), 0o755);
  file('bin/lsblk', readFileSync(join(root, 'bin', 'lsblk')), 0o755);
  for (const lib of LIBRARIES) file(`${MULTIARCH}/${lib}`, readFileSync(findLibrary(root, lib)), 0o755);
  dir('lib64');
  entries.push({ kind: 'symlink', path: 'lib64/ld-linux-x86-64.so.2', target: `/${MULTIARCH}/ld-linux-x86-64.so.2` });
  for (const m of modules) file(`lib/modules/${m}`, readFileSync(join(root, 'lib', 'modules', kernelRelease, m)));
  const line = (m: string): string => {
    const params = MODULE_PARAMS[basename(m, '.ko').replace(/-/g, '_')];
    return params ? `${m} ${params}` : m;
  };
  file('etc/cairn-modules', Buffer.from(modules.map(line).join('\n') + '\n'));
  file('etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\n'));
  file('etc/group', Buffer.from('root:x:0:\n'));
  file('etc/shells', Buffer.from('/bin/sh\n'));
  // Files only: the static busybox's resolver would otherwise try DNS modules it cannot load
  // (its wget died with a segfault on an IP literal); the metadata URL is an address anyway.
  file('etc/nsswitch.conf', Buffer.from('passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\n'));
  file('etc/hosts', Buffer.from('127.0.0.1 localhost\n'));
  file('etc/os-release', Buffer.from(`NAME="cairn guest"\nID=cairn-guest\nVERSION_ID=${BUILDER_VERSION}\n`));
  return entries;
}

/** The real file behind a library's soname in the unpacked packages (symlinks followed inside `root`). */
function findLibrary(root: string, soname: string): string {
  for (const d of [MULTIARCH, `usr/${MULTIARCH}`]) {
    let p = join(root, d, soname);
    for (let hops = 0; hops < 10 && existsSync(p) && lstatSync(p).isSymbolicLink(); hops++) {
      const target = readlinkSync(p);
      p = target.startsWith('/') ? join(root, target) : join(dirname(p), target);
    }
    if (existsSync(p) && lstatSync(p).isFile()) return p;
  }
  throw new HostError(`${soname} is in none of the downloaded packages (${USERSPACE_PACKAGES.join(', ')})`);
}

/** Copies the image's two files and its manifest to `outDir` (for a user who wants them elsewhere). */
export function exportGuestImage(image: GuestImage, outDir: string): string[] {
  createDirectories(outDir, '--out');
  return [image.kernel, image.initrd, join(image.dir, 'manifest.json')].map((f) => {
    const to = join(outDir, basename(f));
    // The user's directory: never through a link planted there, never into a FIFO or device.
    writePrivateFile(to, readFileSync(f), { overwrite: true, mode: 0o644, what: 'guest image file' });
    return to;
  });
}
