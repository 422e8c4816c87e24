/**
 * The transport's one expected error: something between cairn and a host failed (connecting,
 * verifying its key, authenticating, or a command the transport itself runs for put/get/hash).
 * It is a UserError with exit code 1 ("failed on a host"), so the CLI prints it as one line.
 */
import { EXIT, UserError } from '../cli/errors.js';

/** Where it failed. */
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

export class TransportError extends UserError {
  constructor(
    /** Host.name */
    readonly host: string,
    readonly phase: TransportPhase,
    /** Without the `host X: ` prefix, which the constructor adds. Already redacted. */
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`host ${host}: ${detail}`, EXIT.failed);
    this.name = 'TransportError';
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The last `lines` lines of `text` (trimmed), for messages that quote a command's output. */
export function tail(text: string, lines = 10): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
