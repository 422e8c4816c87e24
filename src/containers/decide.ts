/**
 * What converge does with one container, decided from its inspect answer and desired spec.
 * Pure: deployContainers (operations.ts) carries the decision out, and a no-op says why.
 */
import { compareSpec, describeDifferences, type InspectedContainer, type SpecDifference } from './compare.js';
import type { ContainerSpec } from './spec.js';

/** The decision for one container. */
export type ContainerDecision =
  | { action: 'none'; reason: string }
  | { action: 'create'; reason: string }
  | { action: 'start'; reason: string }
  | { action: 'recreate'; reason: string; differences: SpecDifference[] };

/** Decides what `desired` needs given `current` (undefined: no container by that name). */
export function decideContainer(current: InspectedContainer | undefined, desired: ContainerSpec): ContainerDecision {
  if (!current) return { action: 'create', reason: `${desired.name} does not exist` };
  const differences = compareSpec(current, desired);
  if (differences.length > 0) return { action: 'recreate', reason: describeDifferences(differences), differences };
  const state = current.State?.Status ?? 'unknown';
  if (state !== 'running') return { action: 'start', reason: `${desired.name} is ${state}` };
  return { action: 'none', reason: `${desired.name} runs ${desired.image} with the desired spec (config ${desired.labels['cairn.config-hash']?.slice(0, 12)})` };
}

/** One entry of a container's health log, as the engine reports it. */
export interface HealthLogEntry {
  ExitCode?: number;
  Output?: string;
}

/** The outcome of one look at a starting container. */
export type HealthVerdict = { state: 'healthy' } | { state: 'waiting' } | { state: 'failed'; why: string };

/**
 * Judges a starting container from its inspect answer: healthy, still starting, or failed
 * (exited, restarting after a crash, or declared unhealthy by its health check).
 */
export function judgeHealth(i: InspectedContainer & { State?: { Restarting?: boolean; ExitCode?: number; Health?: { Status?: string; Log?: HealthLogEntry[] } } }): HealthVerdict {
  const s = i.State ?? {};
  if (s.Status === 'exited' || s.Status === 'dead') return { state: 'failed', why: `the container exited (code ${s.ExitCode ?? '?'})` };
  if (s.Restarting || s.Status === 'restarting') return { state: 'failed', why: `the container keeps exiting (code ${s.ExitCode ?? '?'}) and restarting` };
  const h = s.Health?.Status;
  if (h === 'healthy') return { state: 'healthy' };
  if (h === 'unhealthy') return { state: 'failed', why: 'its health check failed' };
  return { state: 'waiting' };
}

/** The last health check output of a container, trimmed, or undefined. */
export function lastHealthOutput(i: { State?: { Health?: { Log?: HealthLogEntry[] } } }): string | undefined {
  const last = i.State?.Health?.Log?.at(-1);
  if (!last) return undefined;
  return `exit ${last.ExitCode ?? '?'}: ${(last.Output ?? '').trim() || '(no output)'}`;
}

/**
 * Splits Docker's multiplexed log stream (8-byte frame headers: stream 1 stdout, 2 stderr, then
 * a big-endian length) into text, stdout and stderr interleaved in order.
 */
export function demuxLogs(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const len = buf.readUInt32BE(i + 4);
    if (kind !== 0 && kind !== 1 && kind !== 2) return buf.toString('utf8'); // a TTY container: not multiplexed
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}
