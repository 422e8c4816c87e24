/**
 * Shows apply events: listr2 on a terminal (a task per host, its current step below it),
 * plain lines elsewhere (logs, CI), or JSON lines with --json.
 */
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { ApplyEvent } from '../apply/events.js';
import type { Io } from './io.js';

/** A sink for events plus a way to wait until the display has finished drawing. */
export interface Progress {
  onEvent: (e: ApplyEvent) => void;
  done: () => Promise<void>;
}

const SYMBOL = { ok: ' ', changed: '~', 'would-change': '?', failed: '!' } as const;

/** Plain lines: one per phase, per changed or failed step, per host outcome. */
export function plainProgress(io: Io, verbose: boolean): Progress {
  return {
    onEvent: (e) => {
      switch (e.type) {
        case 'phase':
          if (e.phase !== 'done') io.err(`== ${e.phase === 'connect' ? 'connect, lock, read facts' : e.phase} (${e.hosts} hosts)`);
          break;
        case 'host':
          if (e.state === 'failed') io.err(`${e.host}: FAILED: ${e.detail ?? ''}`);
          else if (e.state === 'done' || verbose) io.err(`${e.host}: ${e.state}`);
          break;
        case 'step':
          // A changed step's reason is the state before (why it ran), its detail what its action
          // printed after; a check's detail is what it read.
          if (e.status !== 'ok' || verbose) io.err(`${e.host}: ${SYMBOL[e.status]} ${e.title}: ${e.reason}${e.detail ? (e.status === 'changed' ? `; now: ${e.detail}` : ` (${e.detail})`) : ''} [${e.ms} ms]`);
          break;
        case 'precheck':
          io.err(`${e.host}: precheck ${e.check}: ${e.severity === 'warning' ? 'warning: ' : ''}${e.message}`);
          break;
        case 'note':
          io.err(`${e.host}: note: ${e.message}`);
          break;
        case 'step-start':
          break;
      }
    },
    done: async () => undefined,
  };
}

/** JSON lines on stdout, one event each. */
export function jsonProgress(io: Io): Progress {
  return { onEvent: (e) => io.out(JSON.stringify(e)), done: async () => undefined };
}

/** listr2 tasks, one per host, driven by the events of a run that is already going. */
export function listrProgress(hosts: readonly string[]): Progress {
  type Task = ListrTaskWrapper<unknown, never, never>;
  const waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void; task?: Task; changed: number; ok: number }>();
  const finished = new Map<string, Promise<void>>();
  for (const h of hosts) {
    finished.set(h, new Promise<void>((resolve, reject) => waiting.set(h, { resolve, reject, changed: 0, ok: 0 })));
  }
  const list = new Listr(
    hosts.map((h) => ({
      title: h,
      task: async (_ctx: unknown, task: Task) => {
        waiting.get(h)!.task = task;
        await finished.get(h);
      },
    })),
    { concurrent: true, exitOnError: false },
  );
  const running = list.run().catch(() => undefined);
  const settle = (h: string, error?: string): void => {
    const w = waiting.get(h);
    if (!w) return;
    if (w.task) w.task.title = `${h}: ${w.changed} changed, ${w.ok} unchanged`;
    if (error) w.reject(new Error(error));
    else w.resolve();
  };
  return {
    onEvent: (e) => {
      if (e.type === 'step-start') {
        const w = waiting.get(e.host);
        if (w?.task) w.task.output = e.title;
      } else if (e.type === 'step') {
        const w = waiting.get(e.host);
        if (w) e.status === 'ok' ? w.ok++ : w.changed++;
      } else if (e.type === 'host' && (e.state === 'done' || e.state === 'failed')) {
        settle(e.host, e.state === 'failed' ? e.detail ?? 'failed' : undefined);
      } else if (e.type === 'phase' && e.phase === 'done') {
        for (const h of hosts) settle(h);
      }
    },
    done: async () => {
      // Hosts that never started (a run stopped by prechecks) close as skipped.
      for (const h of hosts) settle(h, 'not run');
      await running;
    },
  };
}
