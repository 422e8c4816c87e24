/**
 * The three containers-mode operations over connected nodes: deploy (converge every container
 * service to its spec), upgrade (one service to a new tag, canary host first, migrations once),
 * rollback (one service back to its previous or a named tag). Each change is appended to the
 * history; a refused version leaves the old one serving and says why.
 */
import type Docker from 'dockerode';
import type { Deployment, Host } from '../config/model.js';
import type { RenderedFile } from '../render/render-files.js';
import type { Transport } from '../transport/transport.js';
import { deployedDescriptors, ONESHOT_STDIN, oneShotSteps, withStdinFile, type OneShotStep } from './bootstrap.js';
import { decideContainer } from './decide.js';
import { desiredContainer, oneShotSpec, type DesiredContainer } from './desired.js';
import { ensureImage, ensureImages } from './distribute.js';
import { createAndStart, inspectByName, runOneShot, waitHealthy } from './engine.js';
import { containersError } from './errors.js';
import { HostError, UsageError } from '../errors.js';
import { appendHistory, previousTag, readHistory, type HistoryRecord } from './history.js';
import { imageRepository, parseTag } from './images.js';
import { pruneUnusedImages } from './prune.js';
import { replaceContainer, previousName, type RolloutResult } from './rollout.js';
import { containerServices, imageOf, type ContainerService } from './services.js';
import { syncFiles } from './node-prep.js';
import { LABELS } from './spec.js';

/** A node cairn holds one SSH connection to, and its engine over that connection. */
export interface ContainerNode {
  host: Host;
  transport: Transport;
  docker: Docker;
}

/** What the operations share. */
export interface OpsContext {
  deployment: Deployment;
  rendered: readonly RenderedFile[];
  nodes: ReadonlyMap<string, ContainerNode>;
  /** This machine's engine, where images are built. */
  local: Docker;
  log: (line: string) => void;
  historyFile: string;
  healthDeadlineMs: number;
}

/** One container's result in a deploy. */
export interface DeployEntry {
  host: string;
  container: string;
  action: 'none' | 'create' | 'start' | 'recreate';
  reason: string;
  tag: string;
}

/** The hosts `service` runs on, in inventory order (the first is the canary). */
export function serviceHosts(d: Deployment, service: ContainerService, rendered: readonly RenderedFile[]): Host[] {
  return d.hosts.filter((h) => desiredContainer(service, h, rendered, 'probe-1') !== undefined);
}

function node(ctx: OpsContext, host: string): ContainerNode {
  const n = ctx.nodes.get(host);
  if (!n) throw new Error(`bug: no connection to ${host}`);
  return n;
}

/**
 * Where a node remembers end-of-run steps still owed (one empty file per service): written
 * before the first change that calls for them, removed once they pass, so a run cut off in
 * between leaves the debt for the re-run, which would otherwise find every container unchanged.
 */
export const PENDING_FINAL_DIR = '/var/lib/cairn/containers/pending-final';

const pendingFile = (service: string): string => `${PENDING_FINAL_DIR}/${service}`;

async function markPending(n: ContainerNode, service: string): Promise<void> {
  await n.transport.run({ argv: ['sh', '-c', 'mkdir -p "$1" && touch "$2"', 'sh', PENDING_FINAL_DIR, pendingFile(service)] });
}

async function isPending(n: ContainerNode, service: string): Promise<boolean> {
  return (await n.transport.run({ argv: ['test', '-e', pendingFile(service)] })).code === 0;
}

function record(ctx: OpsContext, r: Omit<HistoryRecord, 'at'>): void {
  appendHistory({ at: new Date().toISOString(), ...r }, ctx.historyFile);
}

/** Runs one bootstrap step as a one-shot container; stdin through a 0600 file, removed after. */
async function runStep(ctx: OpsContext, n: ContainerNode, desired: DesiredContainer, step: OneShotStep): Promise<void> {
  const stdinPath = `/run/cairn/containers/${desired.spec.name}-${step.name}.stdin`;
  let spec = oneShotSpec(desired, step.argv, step.name);
  if (step.stdin !== undefined) {
    await n.transport.put(stdinPath, step.stdin, { mode: '0600', owner: 'root', group: 'root' });
    spec = { ...spec, command: withStdinFile(step.argv), binds: [...spec.binds, { host: stdinPath, container: ONESHOT_STDIN, readOnly: true }] };
  }
  try {
    ctx.log(`${n.host.name}: ${step.title} (one-shot ${spec.name} from ${spec.image})`);
    const r = await runOneShot(n.docker, spec, n.host.name, step.timeoutMs);
    if (r.code !== 0) throw containersError(`${step.title} failed in ${spec.name} (exit ${r.code})`, n.host.name, r.output);
    ctx.log(`${n.host.name}: ${step.title}: done in ${(r.ms / 1000).toFixed(1)} s`);
  } finally {
    if (step.stdin !== undefined) await n.transport.run({ argv: ['rm', '-f', '--', stdinPath] });
  }
}

/**
 * Runs `desired`'s one-shot steps of phase `when`. `final`: the steps of the end of a run, its
 * finalSteps and refreshSteps; otherwise every step but the finalSteps.
 */
async function runSteps(ctx: OpsContext, n: ContainerNode, desired: DesiredContainer, when: OneShotStep['when'], final = false): Promise<void> {
  const all = deployedDescriptors(ctx.deployment, containerServices);
  const deferred = desired.service.finalSteps ?? [];
  const atEnd = [...deferred, ...(desired.service.refreshSteps ?? [])];
  const steps = oneShotSteps(desired, { deployment: ctx.deployment, host: n.host, os: n.host.osFamily }, all).filter(
    (s) => s.when === when && (final ? atEnd.includes(s.name) : !deferred.includes(s.name)),
  );
  for (const s of steps) await runStep(ctx, n, desired, s);
}

/**
 * After `service` moved to another version on `n`: its images no container uses any more leave
 * the node (prune.ts), said in the log; what the engine would not remove is said and stays.
 */
async function pruneAfterMove(ctx: OpsContext, n: ContainerNode, service: ContainerService): Promise<void> {
  const { removed, kept } = await pruneUnusedImages(n.docker, imageRepository(imageOf(service)));
  if (removed.length) ctx.log(`${n.host.name}: removed ${removed.join(', ')} (no container uses them; the running and the kept previous version stay)`);
  for (const k of kept) ctx.log(`${n.host.name}: kept ${k.ref}: ${k.why}`);
}

function failure(service: string, host: string, r: RolloutResult, untouched: readonly string[]): HostError {
  const kept = r.outcome === 'restored' ? `; the previous version (${r.from}) was put back and serves` : '';
  const rest = untouched.length ? `; not touched: ${untouched.join(', ')}` : '';
  return containersError(`${service}: the new version was refused: ${r.why}${kept}${rest}`, host, r.detail);
}

/**
 * Converges every container service: on each of its hosts, files written if changed, then the
 * container created, started or recreated only when its spec differs (a no-op run restarts
 * nothing). `tagFor` picks the tag of a service that has no container yet (or `force`d).
 */
export async function deployContainers(ctx: OpsContext, tagFor: (s: ContainerService, running?: string) => string): Promise<DeployEntry[]> {
  const entries: DeployEntry[] = [];
  // The containers whose final or refresh steps run at the end of a run that changed anything
  // (nova's discover-hosts waits for every nova-compute; keystone's catalog registers a service
  // added since), first on their first host.
  const finals: { n: ContainerNode; desired: DesiredContainer }[] = [];
  let changed = false;
  // Services that changed version on a node: their unused images go at the end of the run, not
  // at once (an image loaded for a container further on, e.g. nova-metadata-api's nova-api
  // image, is not in use yet).
  const moved: { n: ContainerNode; service: ContainerService }[] = [];
  // Every container of the run, inspected once, in deployment order.
  const targets: { service: ContainerService; host: Host; n: ContainerNode; current: Awaited<ReturnType<typeof inspectByName>>; tag: string; desired: DesiredContainer }[] = [];
  for (const service of containerServices) {
    if (!service.descriptor.enabled(ctx.deployment)) continue;
    for (const host of serviceHosts(ctx.deployment, service, ctx.rendered)) {
      const n = node(ctx, host.name);
      const current = await inspectByName(n.docker, `cairn-${service.name}`);
      const tag = tagFor(service, current?.Config?.Labels?.[LABELS.version]);
      const desired = desiredContainer(service, host, ctx.rendered, tag)!;
      targets.push({ service, host, n, current, tag, desired });
      const owesAtEnd = (service.finalSteps?.length ?? 0) + (service.refreshSteps?.length ?? 0) > 0;
      if (owesAtEnd && !finals.some((f) => f.desired.service === service)) finals.push({ n, desired });
    }
  }
  // Every image a node is going to need, onto it first in one stream per node (shared layers
  // once); a container whose image is unchanged runs on an image the node already has.
  const needed = new Map<string, string[]>();
  for (const t of targets) {
    if (t.current?.Config?.Image !== t.desired.spec.image) needed.set(t.host.name, [...(needed.get(t.host.name) ?? []), t.desired.spec.image]);
  }
  // Every node at once: each has its own SSH connection and engine, and a compute's two images
  // need not wait behind the controller's eighteen.
  await Promise.all(
    [...needed].map(async ([host, refs]) => {
      const started = Date.now();
      const loaded = await ensureImages(ctx.local, node(ctx, host), refs, (missing, bytes) =>
        ctx.log(`${host}: sending ${missing.length} image(s) the node lacks (up to ${(bytes / 1e9).toFixed(1)} GB before shared layers) over SSH; this takes a few minutes`),
      );
      if (loaded.length) ctx.log(`${host}: loaded ${loaded.join(', ')} in one docker save | docker load over SSH (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }),
  );
  for (const { service, host, n, current, tag, desired } of targets) {
    const written = await syncFiles(n.transport, desired.dirs, desired.files);
    if (written.length) ctx.log(`${host.name}: wrote ${written.join(', ')}`);
    const decision = decideContainer(current, desired.spec);
    ctx.log(`${host.name}: ${desired.spec.name}: ${decision.action === 'none' ? 'unchanged' : decision.action}: ${decision.reason}`);
    entries.push({ host: host.name, container: desired.spec.name, action: decision.action, reason: decision.reason, tag });
    if (decision.action === 'none') continue;
    if (!changed) {
      // Before the first change: a run cut off from here on still owes the end steps.
      changed = true;
      for (const f of finals) await markPending(f.n, f.desired.service.name);
    }
    const started = Date.now();
    if (decision.action === 'start') {
      await n.docker.getContainer(desired.spec.name).start();
      const h = await waitHealthy(n.docker, desired.spec.name, ctx.healthDeadlineMs);
      if (h.verdict.state !== 'healthy') throw containersError(`${desired.spec.name} started but is not healthy: ${h.verdict.state === 'failed' ? h.verdict.why : ''}`, host.name, h.lastHealth);
      continue;
    }
    await runSteps(ctx, n, desired, 'before-start');
    const r = await replaceContainer(n.docker, desired.spec, { overlap: service.overlapOnUpgrade, healthDeadlineMs: ctx.healthDeadlineMs, log: (l) => ctx.log(`${host.name}: ${l}`) });
    record(ctx, { operation: 'deploy', service: service.name, host: host.name, ...(r.from ? { from: r.from } : {}), to: tag, image: desired.spec.image, outcome: r.outcome, ...(r.why ? { why: r.why } : {}), ms: Date.now() - started, ...(r.gapMs !== undefined ? { gapMs: r.gapMs } : {}) });
    if (r.outcome !== 'ok') throw failure(service.name, host.name, r, []);
    await runSteps(ctx, n, desired, 'after-start');
    if (r.from !== undefined && r.from !== tag) moved.push({ n, service });
  }
  for (const f of finals) {
    const name = f.desired.service.name;
    if (!changed && !(await isPending(f.n, name))) continue;
    await runSteps(ctx, f.n, f.desired, 'after-start', true);
    await f.n.transport.run({ argv: ['rm', '-f', '--', pendingFile(name)] });
  }
  for (const m of moved) await pruneAfterMove(ctx, m.n, m.service);
  return entries;
}

/** The outcome of an upgrade or rollback on each host. */
export interface MoveResult {
  host: string;
  from?: string;
  to: string;
  result: RolloutResult;
}

/**
 * Moves `service` to `tag` on `hosts` (default: every host it runs on), first host first (the
 * canary): images onto every host before anything changes, migrations once on the canary (with
 * the new image) for an upgrade, then host by host, stopping at the first refusal.
 */
export async function moveService(
  ctx: OpsContext,
  service: ContainerService,
  tag: string,
  operation: 'upgrade' | 'rollback',
  hosts?: readonly string[],
): Promise<MoveResult[]> {
  let targets = serviceHosts(ctx.deployment, service, ctx.rendered);
  if (targets.length === 0) throw new UsageError(`${service.name} runs on no host of this deployment`);
  if (hosts && hosts.length) {
    const unknown = hosts.filter((h) => !targets.some((t) => t.name === h));
    if (unknown.length) throw new UsageError(`--hosts: ${service.name} does not run on ${unknown.join(', ')} (it runs on ${targets.map((t) => t.name).join(', ')})`);
    targets = targets.filter((t) => hosts.includes(t.name));
  }
  const desired = targets.map((h) => desiredContainer(service, h, ctx.rendered, tag)!);
  for (const d of desired) {
    const n = node(ctx, d.host);
    if ((await ensureImage(ctx.local, n, d.spec.image)) === 'loaded') ctx.log(`${d.host}: loaded ${d.spec.image}`);
  }
  if (operation === 'upgrade') {
    // Migrations once, from the canary, before any host moves (they are the new code's). Its
    // files first: a migration reads the deployment's config as it is now, and on a node whose
    // earlier deploy stopped short of this service's files it would otherwise find none and
    // fall back to the package's defaults (keystone: a SQLite file, "unable to open database").
    const canary = desired[0]!;
    await syncFiles(node(ctx, canary.host).transport, canary.dirs, canary.files);
    await runSteps(ctx, node(ctx, canary.host), canary, 'before-start');
  }
  const results: MoveResult[] = [];
  for (const [i, d] of desired.entries()) {
    const n = node(ctx, d.host);
    await syncFiles(n.transport, d.dirs, d.files);
    ctx.log(`${d.host}: ${operation} ${d.spec.name} to ${tag}${i === 0 && desired.length > 1 ? ' (canary)' : ''}`);
    const started = Date.now();
    const r = await replaceContainer(n.docker, d.spec, { overlap: service.overlapOnUpgrade, healthDeadlineMs: ctx.healthDeadlineMs, log: (l) => ctx.log(`${d.host}: ${l}`) });
    record(ctx, { operation, service: service.name, host: d.host, ...(r.from ? { from: r.from } : {}), to: tag, image: d.spec.image, outcome: r.outcome, ...(r.why ? { why: r.why } : {}), ms: Date.now() - started, ...(r.gapMs !== undefined ? { gapMs: r.gapMs } : {}), ...(r.restoreMs !== undefined ? { restoreMs: r.restoreMs } : {}) });
    results.push({ host: d.host, ...(r.from ? { from: r.from } : {}), to: tag, result: r });
    if (r.outcome !== 'ok') throw failure(service.name, d.host, r, desired.slice(i + 1).map((x) => x.host));
    if (r.from !== tag) await pruneAfterMove(ctx, n, service);
  }
  return results;
}

/**
 * The tag a rollback returns `service` to on its first host: `to`, else the one before the
 * running one in the history, else the kept `-previous` container's. Refuses a tag of another
 * release: a release upgrade migrated the database forward and OpenStack has no downgrade
 * migrations, so the old code would run against a schema it does not know.
 */
export async function rollbackTarget(ctx: OpsContext, service: ContainerService, to?: string): Promise<{ from: string; to: string }> {
  const first = serviceHosts(ctx.deployment, service, ctx.rendered)[0];
  if (!first) throw new UsageError(`${service.name} runs on no host of this deployment`);
  const n = node(ctx, first.name);
  const running = (await inspectByName(n.docker, `cairn-${service.name}`))?.Config?.Labels?.[LABELS.version];
  if (!running) throw new UsageError(`${service.name} has no container on ${first.name}: nothing to roll back`);
  let target = to ?? previousTag(readHistory(ctx.historyFile, service.name), service.name, first.name, running);
  if (!target) target = (await inspectByName(n.docker, previousName(`cairn-${service.name}`)))?.Config?.Labels?.[LABELS.version];
  if (!target) throw new UsageError(`no previous version of ${service.name} is known on ${first.name}; name one with --to TAG`);
  if (target === running) throw new UsageError(`${service.name} already runs ${running} on ${first.name}`);
  const a = parseTag(running);
  const b = parseTag(target);
  if (!b) throw new UsageError(`--to ${target}: not a cairn tag (<release>-<build>, e.g. zed-1)`);
  if (a && a.release !== b.release) {
    throw new UsageError(
      `refusing to roll ${service.name} back from ${running} to ${target}: ${a.release} -> ${b.release} crosses a release, whose database migrations cannot be undone (the ${b.release} code would run against a ${a.release} schema); restore the database backup taken before the upgrade instead`,
    );
  }
  return { from: running, to: target };
}
