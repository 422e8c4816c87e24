/**
 * cairn's two kinds of expected failure, and the exit codes the README documents. Every folder
 * throws these; only the CLI's main catches and prints them (one line, plus the output that
 * explains it). Anything else thrown is a bug in cairn and is reported as one (exit 70).
 *
 * This module imports nothing, so every layer (config, services, plan, transport, apply,
 * containers, lab, the library and the CLI) can use it without an import cycle.
 */

/** Exit codes, as documented in the README. */
export const EXIT = {
  ok: 0,
  /** Something failed on a host or in the environment. */
  failed: 1,
  /** Invalid input or usage: nothing was touched. */
  invalid: 2,
  /** A bug in cairn. */
  bug: 70,
} as const;

/** Where a transport failure happened (see HostError.phase). */
export type TransportPhase =
  /** TCP connect or SSH handshake (refused, unreachable, timed out, dropped during handshake). */
  | 'connect'
  /** The host's key is unknown, changed or revoked. */
  | 'host-key'
  /** The server refused every credential we offered, or the credential could not be loaded. */
  | 'auth'
  /** sudo -n refused to run without a password. */
  | 'sudo'
  /** A command: timed out, or the connection was lost while it ran. */
  | 'run'
  | 'put'
  | 'get'
  | 'hash'
  /** The transport was already closed or its connection already lost. */
  | 'closed';

/** The base of both expected failures: a message meant for the user, and an exit code. */
export abstract class CairnError extends Error {
  abstract readonly exitCode: number;
  /**
   * Output that explains the failure (a container's logs, a build's last lines), printed
   * before the one-line message; already a tail, already redacted.
   */
  readonly detail?: string;

  protected constructor(message: string, detail?: string) {
    super(message);
    if (detail !== undefined && detail !== '') this.detail = detail;
  }
}

/** Bad input or usage (exit 2): the run stopped before it touched any host. */
export class UsageError extends CairnError {
  readonly exitCode = EXIT.invalid;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What a HostError knows of where it happened. Every field is optional: use what applies. */
export interface HostErrorContext {
  /** Host.name (the message already names it; this is for code that reacts to it). */
  host?: string;
  /** The plan step or operation that failed. */
  step?: string;
  /** For transport failures: which part of talking to the host failed. */
  phase?: TransportPhase;
  /** The command that failed (redacted). */
  argv?: readonly string[];
  /** Its exit code. */
  code?: number;
  /** Its output (redacted); the message quotes an excerpt of it. */
  output?: string;
  /** See CairnError.detail. */
  detail?: string;
  /** A local log file with the whole story (the lab's). */
  logFile?: string;
  cause?: unknown;
}

/**
 * Something failed on a host or in the environment (exit 1): a connection, a command, an
 * engine, a container that did not become healthy. The message is complete as given (the
 * factories next to each caller compose it: `host X: step Y: ...`); the context says where.
 */
export class HostError extends CairnError {
  readonly exitCode = EXIT.failed;
  readonly host?: string;
  readonly step?: string;
  readonly phase?: TransportPhase;
  readonly argv?: readonly string[];
  readonly code?: number;
  readonly output?: string;
  readonly logFile?: string;

  constructor(message: string, context: HostErrorContext = {}) {
    super(message, context.detail);
    this.name = 'HostError';
    const { host, step, phase, argv, code, output, logFile, cause } = context;
    if (host !== undefined) this.host = host;
    if (step !== undefined) this.step = step;
    if (phase !== undefined) this.phase = phase;
    if (argv !== undefined) this.argv = argv;
    if (code !== undefined) this.code = code;
    if (output !== undefined) this.output = output;
    if (logFile !== undefined) this.logFile = logFile;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** Whether `e` is an expected failure (anything else is a bug). */
export function isExpected(e: unknown): e is CairnError {
  return e instanceof CairnError;
}

/** The last `lines` lines of `text` (trimmed), for messages that quote a command's output. */
export function tail(text: string, lines = 10): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last `n` non-empty lines of `text` on one line, joined with ' | ' (for a table cell or a one-line error). */
export function tailLine(text: string, n: number): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
}
