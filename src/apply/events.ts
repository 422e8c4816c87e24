/** Events the apply stage emits; the CLI shows them (listr2, plain lines or --json). */

/** Outcome of one step. */
export type StepStatus = 'ok' | 'changed' | 'would-change' | 'failed';

/** Phases: connect (each host: connect, lock, read its facts), prechecks (all hosts), apply, done. */
export type ApplyEvent =
  | { type: 'phase'; phase: 'connect' | 'prechecks' | 'apply' | 'done'; hosts: number }
  | { type: 'host'; host: string; state: 'connected' | 'locked' | 'unlocked' | 'done' | 'failed'; detail?: string }
  | { type: 'step-start'; host: string; step: string; title: string }
  | { type: 'step'; host: string; step: string; title: string; status: StepStatus; reason: string; ms: number; detail?: string }
  | { type: 'precheck'; host: string; check: string; severity: 'error' | 'warning'; message: string }
  | { type: 'note'; host: string; message: string };
