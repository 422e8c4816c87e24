/**
 * The engine calls containers mode makes on a node (dockerode), each small and named for what
 * it does. Everything here goes through the node's one SSH connection (docker-over-ssh.ts).
 */
import type Docker from 'dockerode';
import { demuxLogs, judgeHealth, lastHealthOutput, type HealthVerdict } from './decide.js';
import type { InspectedContainer } from './compare.js';
import { containersError, tailLines } from './errors.js';
import { createOptions, type ContainerSpec } from './spec.js';

/** Inspect answer of container `name`, undefined when there is none. */
export async function inspectByName(docker: Docker, name: string): Promise<(InspectedContainer & Docker.ContainerInspectInfo) | undefined> {
  try {
    return (await docker.getContainer(name).inspect()) as InspectedContainer & Docker.ContainerInspectInfo;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Removes container `name` if it exists (stopping it first). Never touches volumes or binds. */
export async function removeIfExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getContainer(name).remove({ force: true, v: false });
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

/** Stops `name` (SIGTERM, then SIGKILL after `seconds`); a stopped one is fine. */
export async function stopContainer(docker: Docker, name: string, seconds = 10): Promise<void> {
  try {
    await docker.getContainer(name).stop({ t: seconds });
  } catch (e) {
    const code = (e as { statusCode?: number }).statusCode;
    if (code !== 304 && code !== 404) throw e;
  }
}

/** Creates `spec` as container `name` and starts it. */
export async function createAndStart(docker: Docker, spec: ContainerSpec, name = spec.name): Promise<void> {
  const c = await docker.createContainer(createOptions(spec, name));
  await c.start();
}

/** The last `lines` lines of a container's output. */
export async function logsTail(docker: Docker, name: string, lines = 30): Promise<string> {
  try {
    const buf = (await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
    return tailLines(demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))), lines);
  } catch {
    return '(no logs: the container is gone)';
  }
}

/** Outcome of waiting for a container's health. */
export interface HealthWait {
  verdict: HealthVerdict;
  ms: number;
  lastHealth?: string;
}

/**
 * Polls `name` until the engine calls it healthy, it fails (exits, crash-loops, unhealthy), or
 * `deadlineMs` passes. Polling every `pollMs` keeps the delay between "healthy" and cairn
 * acting on it small without shortening the service's own health interval. `patient` waits out
 * 'unhealthy' while the container still runs (for a version being put back).
 */
export async function waitHealthy(docker: Docker, name: string, deadlineMs: number, pollMs = 500, patient = false): Promise<HealthWait> {
  const start = Date.now();
  for (;;) {
    const i = await inspectByName(docker, name);
    if (!i) return { verdict: { state: 'failed', why: 'the container disappeared' }, ms: Date.now() - start };
    const verdict = judgeHealth(i as never);
    const lastHealth = lastHealthOutput(i as never);
    // Patient: a running container's 'unhealthy' may turn back (one probe timed out on a busy
    // host), so only the deadline or an exit ends the wait.
    const settled = verdict.state !== 'waiting' && !(patient && verdict.state === 'failed' && i.State?.Running === true && i.State?.Restarting !== true);
    if (settled) return { verdict, ms: Date.now() - start, ...(lastHealth ? { lastHealth } : {}) };
    if (Date.now() - start > deadlineMs) {
      return { verdict: { state: 'failed', why: `not healthy within ${Math.round(deadlineMs / 1000)} s` }, ms: Date.now() - start, ...(lastHealth ? { lastHealth } : {}) };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** What a one-shot container returned. */
export interface OneShotResult {
  code: number;
  output: string;
  ms: number;
}

/**
 * Runs `spec` once to completion (a migration, key setup): create, start, wait for exit, read
 * its output, remove it. A leftover of an interrupted run is removed first.
 */
export async function runOneShot(docker: Docker, spec: ContainerSpec, host: string, timeoutMs = 600_000): Promise<OneShotResult> {
  const start = Date.now();
  await removeIfExists(docker, spec.name);
  const c = await docker.createContainer(createOptions(spec));
  let timer: NodeJS.Timeout | undefined;
  try {
    await c.start();
    const waited = (await Promise.race([
      c.wait(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(containersError(`${spec.name} did not finish within ${timeoutMs / 1000} s`, host)), timeoutMs);
      }),
    ])) as { StatusCode: number };
    const output = await logsTail(docker, spec.name, 40);
    return { code: waited.StatusCode, output, ms: Date.now() - start };
  } finally {
    // A pending timer would keep the process alive for the whole timeout after the work is done.
    clearTimeout(timer);
    await c.remove({ force: true, v: false }).catch(() => undefined);
  }
}
