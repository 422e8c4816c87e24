/**
 * The run directory: everything a user needs after a failure, in one place —
 * `.cairn/runs/<id>/` with the plan (contents left out: they hold passwords), the event stream,
 * one command log per host (secrets redacted) and the final report; `.cairn/runs/latest`
 * points at the newest run.
 */
import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Plan } from '../plan/steps.js';

/** An open run directory. */
export interface RunDir {
  id: string;
  path: string;
  log: (host: string, line: string) => void;
  event: (e: unknown) => void;
  writeJson: (name: string, value: unknown) => void;
}

/** Creates `<base>/runs/<id>` and repoints `<base>/runs/latest` at it. */
export function openRunDir(base: string, now: Date = new Date()): RunDir {
  const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
  const runs = join(base, 'runs');
  const path = join(runs, id);
  mkdirSync(join(path, 'hosts'), { recursive: true, mode: 0o700 });
  const latest = join(runs, 'latest');
  rmSync(latest, { force: true });
  symlinkSync(id, latest);
  return {
    id,
    path,
    log: (host, line) => appendFileSync(join(path, 'hosts', `${host}.log`), `${new Date().toISOString()} ${line}\n`, { mode: 0o600 }),
    event: (e) => appendFileSync(join(path, 'events.jsonl'), JSON.stringify(e) + '\n', { mode: 0o600 }),
    writeJson: (name, value) => writeFileSync(join(path, name), JSON.stringify(value, null, 2) + '\n', { mode: 0o600 }),
  };
}

/**
 * A run directory that keeps nothing, for a dry run (which must write nothing anywhere, its
 * own logs included: --verbose shows each step as it happens instead).
 */
export function discardingRunDir(now: Date = new Date()): RunDir {
  const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-dry-run`;
  return { id, path: 'none kept (a dry run writes nothing; --verbose shows every step)', log: () => {}, event: () => {}, writeJson: () => {} };
}

/** The plan without file contents (they carry passwords); hashes say what would be written. */
export function planForDisk(plan: Plan): unknown {
  return {
    hosts: plan.hosts.map((h) => ({
      ...h,
      steps: h.steps.map((s) => (s.kind === 'file' ? { ...s, content: undefined } : s.kind === 'command' && s.stdin ? { ...s, stdin: '<stdin>' } : s)),
    })),
  };
}
