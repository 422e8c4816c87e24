/**
 * Containers mode on the command line:
 *
 *   cairn images build [--release zed] [--tag TAG] [--service NAME...]
 *   cairn images list [--json]
 *
 * Expected failures become UserError (exit 1 for engine and host failures, 2 for bad usage);
 * progress goes to stderr, results to stdout.
 */
import { Command } from 'commander';
import { ContainersError, ContainersUsageError } from '../containers/errors.js';
import { buildServiceImages, listCairnImages } from '../containers/image-build.js';
import { nextTag, parseTag } from '../containers/images.js';
import { containerService, containerServices, type ContainerService } from '../containers/services.js';
import { LabError } from '../lab/errors.js';
import { connectDocker } from '../lab/docker-engine.js';
import { Progress } from '../lab/progress.js';
import { EXIT, UserError } from './errors.js';
import type { Io } from './main.js';

/** Turns containers-mode errors into the CLI's UserError; anything else stays a bug. */
export async function guardedContainers(io: Io, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof ContainersUsageError) throw new UserError(e.message, EXIT.invalid);
    if (e instanceof ContainersError || e instanceof LabError) {
      if (e instanceof ContainersError && e.detail) io.err(e.detail);
      throw new UserError(e.message, EXIT.failed);
    }
    throw e;
  }
}

/** The container services named by --service (all when none). */
export function selectServices(names: readonly string[] | undefined): ContainerService[] {
  if (!names || names.length === 0) return [...containerServices];
  return names.map((n) => {
    const s = containerService(n);
    if (!s) throw new ContainersUsageError(`--service ${n}: no such container service (known: ${containerServices.map((x) => x.name).join(', ')})`);
    return s;
  });
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

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
    .action((opts: { release: string; tag?: string; service?: string[] }) =>
      guardedContainers(io, async () => {
        const services = selectServices(opts.service);
        if (opts.tag !== undefined && parseTag(opts.tag)?.release !== opts.release) {
          throw new ContainersUsageError(`--tag ${opts.tag}: expected ${opts.release}-<build number>, e.g. ${opts.release}-1`);
        }
        const docker = await connectDocker();
        const tag = opts.tag ?? nextTag(opts.release, (await listCairnImages(docker)).map((r) => r.tag));
        const progress = new Progress(progressOut, '.cairn/images/build.log');
        const built = await buildServiceImages(docker, services, opts.release, tag, progress);
        for (const ref of built) io.out(ref);
      }),
    );

  images
    .command('list')
    .description("cairn's images on this machine's engine, newest first")
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      guardedContainers(io, async () => {
        const rows = await listCairnImages(await connectDocker());
        if (opts.json) {
          io.out(JSON.stringify(rows, null, 2));
          return;
        }
        for (const r of rows) io.out(`${r.ref.padEnd(36)} ${new Date(r.created * 1000).toISOString()}  ${(r.sizeBytes / 1e6).toFixed(0)} MB  ${r.id.slice(7, 19)}`);
      }),
    );
}

/** Registers every containers-mode command. */
export function registerContainersCommands(program: Command, io: Io): void {
  registerImagesCommands(program, io);
}
