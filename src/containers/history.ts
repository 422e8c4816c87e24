/**
 * What ran where, when, from which image, and how it ended: one JSON line per container change,
 * appended on the deploy host (`.cairn/containers/history.jsonl`). Appends are single writes of
 * one line, so concurrent runs cannot interleave within a record.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Default history file, relative to the working directory like `.cairn/runs/`. */
export const HISTORY_FILE = '.cairn/containers/history.jsonl';

/** The history file under a state directory (`.cairn` by default). */
export function historyFileIn(stateDir: string): string {
  return join(stateDir, 'containers', 'history.jsonl');
}

/** One record. */
export interface HistoryRecord {
  /** ISO time the change finished. */
  at: string;
  operation: 'deploy' | 'upgrade' | 'rollback';
  service: string;
  host: string;
  /** Image tag before (undefined: there was no container). */
  from?: string;
  to: string;
  image: string;
  /**
   * ok: the new version serves; restored: it failed its health gate and the old one was put
   * back; failed: neither (see why).
   */
  outcome: 'ok' | 'restored' | 'failed' | 'unchanged';
  why?: string;
  ms: number;
  /** For upgrades and rollbacks: how long no healthy instance was listening (ms), when known. */
  gapMs?: number;
  /** For a refused version: from the failed health verdict to the old version healthy again (ms). */
  restoreMs?: number;
}

/** Appends `r` to `file`. */
export function appendHistory(r: HistoryRecord, file = HISTORY_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(r)}\n`);
}

/** Every record of `file` (a torn last line from a crash is skipped), optionally one service's. */
export function readHistory(file = HISTORY_FILE, service?: string): HistoryRecord[] {
  if (!existsSync(file)) return [];
  const out: HistoryRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as HistoryRecord;
      if (service === undefined || r.service === service) out.push(r);
    } catch {
      // an interrupted append: the rest of the file is still good
    }
  }
  return out;
}

/** A fixed-width line for `cairn history`. */
export function formatHistory(r: HistoryRecord): string {
  const change = r.from && r.from !== r.to ? `${r.from} -> ${r.to}` : r.to;
  return [r.at, r.operation.padEnd(8), r.service.padEnd(14), r.host.padEnd(12), change.padEnd(16), r.outcome.padEnd(9), `${(r.ms / 1000).toFixed(1)}s`, r.why ?? ''].join('  ').trimEnd();
}

/**
 * The tag `service` ran before its current one on `host`, from the history: the `from` of the
 * last successful change to the current tag. Undefined when the history does not know.
 */
export function previousTag(records: readonly HistoryRecord[], service: string, host: string, current: string): string | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.service === service && r.host === host && r.outcome === 'ok' && r.to === current && r.from && r.from !== current) return r.from;
  }
  return undefined;
}
