/**
 * The transport's one expected failure: something between cairn and a host failed (connecting,
 * verifying its key, authenticating, or a command the transport itself runs for put/get/hash).
 * It is a HostError (exit 1, "failed on a host") whose `phase` says where, so callers can react
 * to one kind (ssh-copy-id asks for a password after an 'auth' failure).
 */
import { HostError, type TransportPhase } from '../errors.js';

export { tail } from '../errors.js';
export type { TransportPhase } from '../errors.js';

/** `host HOST: detail` as a HostError of `phase`; `detail` is already redacted. */
export function transportError(host: string, phase: TransportPhase, detail: string, options: { cause?: unknown } = {}): HostError {
  return new HostError(`host ${host}: ${detail}`, { host, phase, ...(options.cause !== undefined ? { cause: options.cause } : {}) });
}
