/**
 * A transport over one "execute this argv" primitive (SshTransport's): put/get/hashFiles as
 * commands (file-commands.ts), the secret checks, sudo's "a password is required" turned into a
 * clear error, and logging. A subclass only says how to execute one argv.
 */
import { transportError, tail, type TransportPhase } from './errors.js';
import { GET_ABSENT, getArgv, hashCommand, parseHashOutput, putArgv } from './file-commands.js';
import { assertNoSecretInArgv, redact, shJoin } from './quote.js';
import type { Command, PutOptions, RunResult, Transport, TransportLog } from './transport.js';

/** A command's raw outcome. */
export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** What a subclass executes: argv as given (the subclass applies sudo). */
export interface ExecRequest {
  argv: string[];
  stdin?: Buffer;
  secrets: string[];
  timeoutMs?: number;
  phase: TransportPhase;
}

const SUDO_WANTS_PASSWORD = /^sudo: (a password is required|a terminal is required|.*no tty present)/m;

export abstract class ShellTransport implements Transport {
  constructor(
    readonly host: string,
    /** Whether commands run through `sudo -n`. */
    protected readonly sudo: boolean,
    /** The user commands run as before sudo, for messages. */
    protected readonly user: string,
    protected readonly log: TransportLog = () => {},
  ) {}

  /** Runs one argv on the host; throws HostError only for transport failures. */
  protected abstract exec(req: ExecRequest): Promise<ExecResult>;

  abstract close(): Promise<void>;

  async run(cmd: Command): Promise<RunResult> {
    const r = await this.execChecked({
      argv: cmd.argv,
      ...(cmd.stdin !== undefined ? { stdin: Buffer.from(cmd.stdin) } : {}),
      secrets: cmd.secrets ?? [],
      ...(cmd.timeoutMs !== undefined ? { timeoutMs: cmd.timeoutMs } : {}),
      phase: 'run',
    });
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  async put(path: string, content: string | Buffer, opts: PutOptions): Promise<void> {
    const r = await this.execChecked({ argv: putArgv(path, opts), stdin: Buffer.from(content), secrets: [], phase: 'put' });
    if (r.code !== 0) this.fail('put', `cannot write ${path} (mode ${opts.mode}, ${opts.owner}:${opts.group}): exit code ${r.code}`, r);
  }

  async get(path: string): Promise<Buffer | undefined> {
    const r = await this.execChecked({ argv: getArgv(path), secrets: [], phase: 'get' });
    if (r.code === GET_ABSENT) return undefined;
    if (r.code !== 0) this.fail('get', `cannot read ${path}: exit code ${r.code}`, r);
    return r.stdout;
  }

  async hashFiles(paths: string[]): Promise<Map<string, string | undefined>> {
    if (paths.length === 0) return new Map();
    const { argv, stdin } = hashCommand(paths);
    const r = await this.execChecked({ argv, stdin: Buffer.from(stdin), secrets: [], phase: 'hash' });
    if (r.code !== 0) this.fail('hash', `cannot hash ${paths.length} files: exit code ${r.code}`, r);
    const parsed = parseHashOutput(paths, r.stdout.toString('utf8'));
    if (typeof parsed === 'string') this.fail('hash', `cannot hash ${paths.length} files: ${parsed}`, r);
    return parsed;
  }

  private async execChecked(req: ExecRequest): Promise<ExecResult> {
    assertNoSecretInArgv(req.argv, req.secrets);
    const shown = redact(shJoin(req.argv), req.secrets);
    this.log(`${this.host}: run ${shown.length > 300 ? shown.slice(0, 300) + '...' : shown}`);
    const r = await this.exec(req);
    const stderr = r.stderr.toString('utf8');
    if (this.sudo && r.code === 1 && SUDO_WANTS_PASSWORD.test(stderr)) {
      throw transportError(
        this.host,
        'sudo',
        `sudo wants a password for ${this.user} (cairn runs sudo -n, non-interactive): give ${this.user} passwordless sudo (NOPASSWD) or connect as root; sudo said: ${redact(tail(stderr, 3), req.secrets)}`,
      );
    }
    this.log(`${this.host}: exit ${r.code}${r.code !== 0 && stderr ? `: ${redact(tail(stderr, 3), req.secrets)}` : ''}`);
    return r;
  }

  private fail(phase: TransportPhase, what: string, r: ExecResult): never {
    const err = tail(r.stderr.toString('utf8'), 5);
    throw transportError(this.host, phase, `${what}${err ? `: ${err}` : ''}`);
  }
}
