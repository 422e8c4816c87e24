/**
 * Containers mode's expected failures are the shared ones (src/errors.ts): an engine that
 * refuses, a container that does not become healthy, a migration that fails are HostErrors that
 * say where (host, service) and carry the output that explains them; bad usage is a UsageError.
 */
import { HostError, tail } from '../errors.js';

/** `host HOST: message` (or just `message`) with `detail` (logs, command output) to print before it. */
export function containersError(message: string, host?: string, detail?: string): HostError {
  return new HostError(host ? `host ${host}: ${message}` : message, { ...(host ? { host } : {}), ...(detail ? { detail } : {}) });
}

/** The last `lines` lines of `text` (20 unless told: a container's log needs more than a command's). */
export function tailLines(text: string, lines = 20): string {
  return tail(text, lines);
}
