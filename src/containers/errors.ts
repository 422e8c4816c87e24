/**
 * Expected failures of containers mode (exit 1): an engine that refuses, a container that does
 * not become healthy, a migration that fails. Each says where (host, service) and carries the
 * output that explains it; anything else thrown is a bug.
 */
export class ContainersError extends Error {
  constructor(
    message: string,
    readonly host?: string,
    /** Logs or command output that explain the failure (already a tail). */
    readonly detail?: string,
  ) {
    super(host ? `host ${host}: ${message}` : message);
    this.name = 'ContainersError';
  }
}

/** Bad input from the user (exit 2): nothing was touched. */
export class ContainersUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainersUsageError';
  }
}

/** The last `lines` lines of `text`. */
export function tailLines(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
