/**
 * Replacing one service container on one node, behind its health check (Kamal's rule: the new
 * version must prove itself before the old one goes; if it cannot, the old one comes back).
 *
 *   overlap (uwsgi --reuse-port): start NAME-next beside NAME, wait healthy, stop NAME.
 *   no overlap (own listener):    stop NAME, start NAME-next, wait healthy.
 *   healthy: NAME becomes NAME-previous (stopped, kept for rollback; an older -previous goes),
 *            NAME-next becomes NAME.
 *   not healthy: its logs and last health output are kept for the message, NAME-next is
 *            removed, NAME is started again if it was stopped, and waited for.
 * Volumes and host data are never removed: containers are removed with v=false and every bit
 * of state lives in bind-mounted host directories.
 */
import type Docker from 'dockerode';
import { createAndStart, inspectByName, logsTail, removeIfExists, stopContainer, waitHealthy, type HealthWait } from './engine.js';
import { LABELS, type ContainerSpec } from './spec.js';

/** How a replacement ended. */
export interface RolloutResult {
  outcome: 'ok' | 'restored' | 'failed';
  /** Tag that ran before (undefined: no container). */
  from?: string;
  ms: number;
  /** Time during which no healthy instance listened (0 with overlap), when the old one existed. */
  gapMs?: number;
  /** Why the new version was refused, and its logs and last health output. */
  why?: string;
  detail?: string;
  /** From the failed health verdict to the old version healthy again. */
  restoreMs?: number;
}

/** Options of a replacement. */
export interface RolloutOptions {
  overlap: boolean;
  /** How long the new container may take to become healthy. */
  healthDeadlineMs: number;
  log: (line: string) => void;
}

const nextName = (name: string): string => `${name}-next`;
/** Name of the kept previous container. */
export const previousName = (name: string): string => `${name}-previous`;

/** Replaces container `spec.name` on `docker` with `spec` (see the file comment). */
export async function replaceContainer(docker: Docker, spec: ContainerSpec, opts: RolloutOptions): Promise<RolloutResult> {
  const start = Date.now();
  const old = await inspectByName(docker, spec.name);
  const from = old?.Config?.Labels?.[LABELS.version];
  const oldRunning = old?.State?.Running === true;
  const next = nextName(spec.name);
  await removeIfExists(docker, next); // a leftover of an interrupted run

  let stoppedAt: number | undefined;
  if (oldRunning && !opts.overlap) {
    opts.log(`stopping ${spec.name} (${from}) first: two ${spec.service} cannot run side by side (a port of its own, or state only one may manage)`);
    stoppedAt = Date.now();
    await stopContainer(docker, spec.name);
  }
  opts.log(`starting ${next} from ${spec.image}`);
  let health: HealthWait;
  try {
    await createAndStart(docker, spec, next);
    health = await waitHealthy(docker, next, opts.healthDeadlineMs);
  } catch (e) {
    // The engine refused the container (a missing bind path, a bad option): the old one must
    // still come back, so this is a refusal like any other, not an exception past it.
    health = { verdict: { state: 'failed', why: `the engine could not start it: ${(e as Error).message}` }, ms: 0 };
  }

  if (health.verdict.state === 'healthy') {
    opts.log(`${next} healthy after ${(health.ms / 1000).toFixed(1)} s`);
    const healthyAt = Date.now();
    if (old) {
      await stopContainer(docker, spec.name);
      await removeIfExists(docker, previousName(spec.name));
      await docker.getContainer(spec.name).rename({ name: previousName(spec.name) });
    }
    await docker.getContainer(next).rename({ name: spec.name });
    return {
      outcome: 'ok',
      ...(from !== undefined ? { from } : {}),
      ms: Date.now() - start,
      ...(oldRunning ? { gapMs: stoppedAt !== undefined ? healthyAt - stoppedAt : 0 } : {}),
    };
  }

  const failedAt = Date.now();
  const why = health.verdict.state === 'failed' ? health.verdict.why : 'not healthy';
  const logs = await logsTail(docker, next, 30);
  const detail = [`--- last ${spec.name} (${spec.version}) output:`, logs, `--- last health check: ${health.lastHealth ?? '(none ran)'}`].join('\n');
  opts.log(`${next} refused: ${why}`);
  await removeIfExists(docker, next);
  if (!old) return { outcome: 'failed', ms: Date.now() - start, why, detail };

  if (stoppedAt !== undefined) {
    opts.log(`starting ${spec.name} (${from}) again`);
    await docker.getContainer(spec.name).start();
  }
  // The old version is given the whole deadline to come back: it was healthy a moment ago.
  const back = await waitHealthy(docker, spec.name, opts.healthDeadlineMs, 500, true);
  const restoreMs = Date.now() - failedAt;
  if (back.verdict.state !== 'healthy') {
    return { outcome: 'failed', ...(from !== undefined ? { from } : {}), ms: Date.now() - start, why: `${why}; and the old version did not come back healthy: ${back.verdict.state === 'failed' ? back.verdict.why : ''}`, detail, restoreMs };
  }
  return {
    outcome: 'restored',
    ...(from !== undefined ? { from } : {}),
    ms: Date.now() - start,
    why,
    detail,
    restoreMs,
    ...(stoppedAt !== undefined ? { gapMs: Date.now() - stoppedAt } : { gapMs: 0 }),
  };
}
