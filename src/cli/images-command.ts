/**
 * `cairn images build` and `cairn images list`: the service images of containers mode, built on
 * this machine's Docker engine from Debian's packages.
 */
import type { Command } from 'commander';
import { buildServiceImages, listCairnImages } from '../containers/image-build.js';
import { nextTag, parseTag } from '../containers/images.js';
import { selectServices } from '../deploy/containers.js';
import { UsageError } from '../errors.js';
import { connectDocker } from '../local/docker-engine.js';
import { Progress } from '../local/progress.js';
import { buildGuestImage, exportGuestImage } from '../guest/guest-image.js';
import type { Io } from './io.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
/** Where guest images are cached (one directory per content key). */
const GUEST_CACHE = '.cairn/images/guest';

/** Adds `images` and its subcommands to `program`. */
export function registerImagesCommands(program: Command, io: Io): void {
  const progressOut = { write: (text: string) => io.err(text.replace(/\n$/, '')) };
  const images = program.command('images').description('service images for containers mode, built locally from Debian packages');

  images
    .command('build')
    .description('build cairn/openstack-base and one image per service, tagged <release>-<build> (next build number unless --tag)')
    .option('--release <release>', 'OpenStack release the Debian packages are (bookworm ships zed)', 'zed')
    .option('--tag <tag>', 'tag to build, e.g. zed-2 (default: the next build number)')
    .option('--service <name>', 'only this service (repeatable)', collect)
    .option('--no-cache', 'rebuild every layer (picks up new Debian package versions); default: reuse unchanged layers')
    .action(async (opts: { release: string; tag?: string; service?: string[]; cache: boolean }) => {
      const services = selectServices(opts.service);
      if (opts.tag !== undefined && parseTag(opts.tag)?.release !== opts.release) {
        throw new UsageError(`--tag ${opts.tag}: expected ${opts.release}-<build number>, e.g. ${opts.release}-1`);
      }
      const docker = await connectDocker();
      const tag = opts.tag ?? nextTag(opts.release, (await listCairnImages(docker)).map((r) => r.tag));
      const progress = new Progress(progressOut, '.cairn/images/build.log');
      for (const ref of await buildServiceImages(docker, services, opts.release, tag, progress, !opts.cache)) io.out(ref);
    });

  images
    .command('guest')
    .description("build cairn's guest (Debian's cloud kernel + a busybox/dropbear initramfs: DHCP, metadata, SSH) from Debian packages; cached")
    .option('--out <dir>', 'also copy vmlinuz, initrd.img and manifest.json there')
    .option('--json', 'print the manifest as JSON')
    .action(async (opts: { out?: string; json?: boolean }) => {
      const progress = new Progress(progressOut, '.cairn/images/guest.log');
      const image = await buildGuestImage(GUEST_CACHE, progress);
      const copies = opts.out ? exportGuestImage(image, opts.out) : [];
      if (opts.json) {
        io.out(JSON.stringify({ dir: image.dir, kernel: image.kernel, initrd: image.initrd, cached: image.cached, ...image.manifest }, null, 2));
        return;
      }
      const { kernel, initrd } = image.manifest.files;
      io.out(`kernel  ${image.kernel} (${image.manifest.kernelRelease}, ${(kernel.bytes / 1e6).toFixed(1)} MB)`);
      io.out(`ramdisk ${image.initrd} (${(initrd.bytes / 1e6).toFixed(1)} MB)${image.cached ? ' (cached)' : ''}`);
      for (const c of copies) io.out(`copied  ${c}`);
    });

  images
    .command('list')
    .description("cairn's images on this machine's engine, newest first")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await listCairnImages(await connectDocker());
      if (opts.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      for (const r of rows) io.out(`${r.ref.padEnd(36)} ${new Date(r.created * 1000).toISOString()}  ${(r.sizeBytes / 1e6).toFixed(0)} MB  ${r.id.slice(7, 19)}`);
    });
}
