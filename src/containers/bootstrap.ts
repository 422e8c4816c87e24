/**
 * A container service's bootstrap steps (migrations, key setup, registration) as one-shot
 * containers. The steps are the packages-mode descriptor's own (src/services/*), so what a
 * migration runs is decided in one place; here they are only adapted: file paths point into the
 * container's config directory, `creates` guards become a shell test, waits are dropped (the
 * container's health gate replaces them), and stdin is read from a file bound into the one-shot.
 */
import { posix } from 'node:path';
import type { Deployment } from '../config/model.js';
import type { HostContext, ServiceDescriptor } from '../services/descriptor.js';
import type { DesiredContainer } from './desired.js';
import { CONTAINER_CONFIG_DIR } from './services.js';

/** One one-shot step. */
export interface OneShotStep {
  /** The descriptor step's name, e.g. `db-sync`. */
  name: string;
  title: string;
  /** before-start: migrations and keys, before the service (re)starts; after-start: registration. */
  when: 'before-start' | 'after-start';
  argv: string[];
  /** Secret input: written to a 0600 file on the node, bound read-only, removed afterwards. */
  stdin?: string;
  timeoutMs: number;
}

/** Where a one-shot finds its stdin file. */
export const ONESHOT_STDIN = '/run/cairn-stdin';

/** `sh -c` wrapper that skips `argv` when `path` exists (a descriptor's `creates` guard). */
export function unlessExists(path: string, argv: readonly string[]): string[] {
  return ['sh', '-c', 'if [ -e "$1" ]; then echo "$1 exists: nothing to do"; exit 0; fi; shift; exec "$@"', 'sh', path, ...argv];
}

/** `sh -c` wrapper feeding ONESHOT_STDIN to `argv` on stdin. */
export function withStdinFile(argv: readonly string[]): string[] {
  return ['sh', '-c', `exec "$@" < ${ONESHOT_STDIN}`, 'sh', ...argv];
}

/**
 * The one-shot steps of `desired` on `ctx.host`. `all` is the services deployed (the catalog
 * step registers every one of them).
 */
export function oneShotSteps(desired: DesiredContainer, ctx: HostContext, all: readonly ServiceDescriptor[]): OneShotStep[] {
  if (desired.service.steps === 'none') return [];
  const steps = desired.service.descriptor.bootstrap?.(ctx, all) ?? [];
  const inContainer = new Map(desired.files.map((f) => [f.servicePath, `${CONTAINER_CONFIG_DIR}/${posix.basename(f.hostPath)}`]));
  const out: OneShotStep[] = [];
  for (const s of steps) {
    if (s.wait) continue; // readiness: the health gate of the service container does this
    if (s.unless) throw new Error(`bug: step ${s.name} of ${desired.service.name} has an 'unless' guard, which containers mode does not run yet`);
    let argv = s.argv.map((a) => inContainer.get(a) ?? a);
    if (s.creates) argv = unlessExists(s.creates, argv);
    out.push({
      name: s.name,
      title: s.title,
      when: s.when,
      argv,
      ...(s.stdin !== undefined ? { stdin: s.stdin } : {}),
      timeoutMs: s.timeoutMs ?? 600_000,
    });
  }
  return out;
}

/** The descriptors of the container services enabled in `d`, each once (for the catalog step). */
export function deployedDescriptors(d: Deployment, services: readonly { descriptor: ServiceDescriptor }[]): ServiceDescriptor[] {
  return [...new Set(services.map((s) => s.descriptor))].filter((x) => x.enabled(d));
}
