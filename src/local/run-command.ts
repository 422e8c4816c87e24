/**
 * Runs commands on this machine given as argv arrays (never through a shell), with their output
 * going to the Progress log file. The only place lab and containers code start local processes,
 * apart from `cairn lab ssh`.
 */
import { spawn } from 'node:child_process';
import type { Progress } from './progress.js';
import { HostError, tail } from '../errors.js';
import { shJoin } from '../transport/quote.js';

/** What a finished command returned. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function missingTool(argv: readonly string[], err: NodeJS.ErrnoException): HostError {
  return err.code === 'ENOENT'
    ? new HostError(`'${argv[0]}' is not installed: run scripts/lab-host-setup.sh`)
    : new HostError(`cannot run ${argv[0]}: ${err.message}`);
}

/** Runs `argv`, logging the command line and its output; resolves with its exit status. */
export function runCommand(argv: readonly string[], progress?: Progress, input?: string, cwd?: string): Promise<CommandResult> {
  progress?.log(`$ ${cwd ? `(in ${cwd}) ` : ''}${shJoin(argv)}`);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      progress?.log(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      progress?.log(d.toString());
    });
    child.on('error', (err) => reject(missingTool(argv, err)));
    child.on('close', (code, signal) => {
      progress?.log(`(exit ${code ?? signal})`);
      resolve({ code: code ?? 128, stdout, stderr });
    });
    // A command that exits without reading its input makes the write fail with EPIPE; its exit
    // code already says what happened, so the stream error must not become an uncaught one.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Runs `argv` and fails with its output's tail unless it exits 0. */
export async function runChecked(argv: readonly string[], progress?: Progress, input?: string, cwd?: string): Promise<CommandResult> {
  const r = await runCommand(argv, progress, input, cwd);
  if (r.code !== 0) {
    throw new HostError(
      `${shJoin(argv)} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout, 15)}`,
      { logFile: progress?.logFile },
    );
  }
  return r;
}

/** Runs `producer | consumer` (e.g. tar | docker import); fails unless both exit 0. */
export function runPipe(
  producer: readonly string[],
  consumer: readonly string[],
  progress?: Progress,
): Promise<void> {
  progress?.log(`$ ${shJoin(producer)} | ${shJoin(consumer)}`);
  return new Promise((resolve, reject) => {
    const a = spawn(producer[0]!, producer.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(consumer[0]!, consumer.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let errors = '';
    b.stdin.on('error', () => undefined); // EPIPE when the consumer exits early: see its exit code
    a.stdout.pipe(b.stdin);
    for (const s of [a.stderr, b.stdout, b.stderr]) {
      s.on('data', (d: Buffer) => {
        errors += d.toString();
        progress?.log(d.toString());
      });
    }
    let failed = false;
    a.on('error', (err) => ((failed = true), reject(missingTool(producer, err))));
    b.on('error', (err) => ((failed = true), reject(missingTool(consumer, err))));
    const codes: (number | null)[] = [];
    const done = (): void => {
      if (codes.length < 2 || failed) return;
      if (codes.every((c) => c === 0)) resolve();
      else reject(new HostError(`${shJoin(producer)} | ${shJoin(consumer)} failed (exit ${codes.join(', ')}):\n${tail(errors, 15)}`, { logFile: progress?.logFile }));
    };
    a.on('close', (c) => (codes.push(c), done()));
    b.on('close', (c) => (codes.push(c), done()));
  });
}
