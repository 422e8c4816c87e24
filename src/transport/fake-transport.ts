/**
 * A SCRIPTED FAKE transport, for unit tests of later stages only (facts, apply, health): it
 * records every call and answers run() from a table; put/get/hashFiles work on an in-memory
 * file table. Nothing here touches a host. Integration tests use a real sshd instead.
 */
import { createHash } from 'node:crypto';
import { HostError } from '../errors.js';
import { transportError } from './errors.js';
import { assertNoSecretInArgv, shJoin } from './quote.js';
import type { Command, PutOptions, RunResult, Transport } from './transport.js';

/** A recorded call. */
export type FakeCall =
  | { op: 'run'; argv: string[]; stdin?: string; command: string }
  | { op: 'put'; path: string; content: Buffer; opts: PutOptions }
  | { op: 'get'; path: string }
  | { op: 'hashFiles'; paths: string[] }
  | { op: 'close' };

/** Which commands an answer applies to: exact command line (as shJoin prints it), a RegExp on it, or a predicate on argv. */
export type FakeMatcher = string | RegExp | ((argv: readonly string[]) => boolean);

export interface FakeFile {
  content: Buffer;
  mode: string;
  owner: string;
  group: string;
}

interface Answer {
  match: FakeMatcher;
  result: RunResult | ((cmd: Command) => RunResult) | HostError;
  /** Answer this many times, then fall through to later answers (default: forever). */
  times: number;
}

export class FakeTransport implements Transport {
  readonly calls: FakeCall[] = [];
  readonly files = new Map<string, FakeFile>();
  private readonly answers: Answer[] = [];
  private closed = false;

  /**
   * @param strict when true (the default) a run() with no matching answer throws, so a test
   *   states every command it expects; when false it answers `{code: 0, stdout: '', stderr: ''}`.
   */
  constructor(
    readonly host: string = 'fake-host',
    private readonly strict = true,
  ) {}

  /** Adds an answer (first matching, unexhausted answer wins). Returns this for chaining. */
  on(match: FakeMatcher, result: Partial<RunResult> | ((cmd: Command) => RunResult) | HostError, times = Infinity): this {
    const full = typeof result === 'function' || result instanceof HostError ? result : { code: 0, stdout: '', stderr: '', ...result };
    this.answers.push({ match, result: full, times });
    return this;
  }

  /** Seeds a file as if it were on the host. */
  seedFile(path: string, content: string | Buffer, opts: PutOptions = { mode: '0644', owner: 'root', group: 'root' }): this {
    this.files.set(path, { content: Buffer.from(content), ...opts });
    return this;
  }

  /** The command lines run, in order (handy for exact-string assertions). */
  get commands(): string[] {
    return this.calls.flatMap((c) => (c.op === 'run' ? [c.command] : []));
  }

  async run(cmd: Command): Promise<RunResult> {
    this.checkOpen();
    assertNoSecretInArgv(cmd.argv, cmd.secrets);
    const command = shJoin(cmd.argv);
    this.calls.push({ op: 'run', argv: [...cmd.argv], ...(cmd.stdin !== undefined ? { stdin: cmd.stdin.toString() } : {}), command });
    const answer = this.answers.find((a) => a.times > 0 && matches(a.match, cmd.argv, command));
    if (!answer) {
      if (this.strict) throw new Error(`FakeTransport(${this.host}): no scripted answer for: ${command}`);
      return { code: 0, stdout: '', stderr: '' };
    }
    answer.times--;
    if (answer.result instanceof HostError) throw answer.result;
    return typeof answer.result === 'function' ? answer.result(cmd) : { ...answer.result };
  }

  async put(path: string, content: string | Buffer, opts: PutOptions): Promise<void> {
    this.checkOpen();
    const bytes = Buffer.from(content);
    this.calls.push({ op: 'put', path, content: bytes, opts: { ...opts } });
    this.files.set(path, { content: bytes, ...opts });
  }

  async get(path: string): Promise<Buffer | undefined> {
    this.checkOpen();
    this.calls.push({ op: 'get', path });
    return this.files.get(path)?.content;
  }

  async hashFiles(paths: string[]): Promise<Map<string, string | undefined>> {
    this.checkOpen();
    this.calls.push({ op: 'hashFiles', paths: [...paths] });
    const out = new Map<string, string | undefined>();
    for (const p of paths) {
      const f = this.files.get(p);
      out.set(p, f ? createHash('sha256').update(f.content).digest('hex') : undefined);
    }
    return out;
  }

  async close(): Promise<void> {
    if (!this.closed) this.calls.push({ op: 'close' });
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw transportError(this.host, 'closed', 'transport is closed');
  }
}

function matches(m: FakeMatcher, argv: readonly string[], command: string): boolean {
  if (typeof m === 'string') return m === command;
  if (m instanceof RegExp) return m.test(command);
  return m(argv);
}
