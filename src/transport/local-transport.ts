/**
 * The transport for the machine cairn runs on (the controller as deploy host, and tests):
 * argv is executed directly with child_process (no shell), through `sudo -n --` when asked.
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { transportError } from './errors.js';
import { privilegedArgv, redact, shJoin } from './quote.js';
import { ShellTransport, type ExecRequest, type ExecResult } from './shell-transport.js';
import type { TransportLog } from './transport.js';

export interface LocalTransportOptions {
  /** Host.name to report (default `localhost`). */
  name?: string;
  /** Run commands through `sudo -n` (default false). */
  sudo?: boolean;
  log?: TransportLog;
}

export class LocalTransport extends ShellTransport {
  private closed = false;
  private readonly running = new Set<number>();
  /** Commands started so far (put/get/hashFiles included). */
  commandsRun = 0;

  constructor(opts: LocalTransportOptions = {}) {
    super(opts.name ?? 'localhost', opts.sudo ?? false, userInfo().username, opts.log);
  }

  protected exec(req: ExecRequest): Promise<ExecResult> {
    if (this.closed) return Promise.reject(transportError(this.host, 'closed', 'transport is closed'));
    const [file, ...args] = privilegedArgv(req.argv, this.sudo);
    this.commandsRun++;
    return new Promise<ExecResult>((resolve, reject) => {
      // detached: its own process group, so a timeout kills the command's children too.
      const child = spawn(file ?? '', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const pid = child.pid;
      if (pid !== undefined) this.running.add(pid);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => {}); // a command that exits without reading stdin
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        if (pid !== undefined) this.running.delete(pid);
        // spawn failure (no such program): report like a shell would, as exit code 127.
        resolve({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(`${file}: ${e.message}\n`) });
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (pid !== undefined) this.running.delete(pid);
        if (timedOut) {
          reject(transportError(this.host, 'run', `command timed out after ${req.timeoutMs} ms and was killed: ${redact(shJoin(req.argv), req.secrets)}`));
          return;
        }
        resolve({ code: code ?? 128 + signalNumber(signal), stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      if (req.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          if (pid !== undefined) killGroup(pid);
        }, req.timeoutMs);
      }
      child.stdin.on('error', () => undefined); // EPIPE: the command exited without reading it
      child.stdin.end(req.stdin ?? Buffer.alloc(0));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pid of this.running) killGroup(pid);
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** The number of a signal name (0 when unknown), for the shell's 128+N exit code. */
export function signalNumber(signal: string | null | undefined): number {
  if (!signal) return 0;
  return SIGNALS[signal] ?? SIGNALS[`SIG${signal}`] ?? 0;
}
