/**
 * How a script reaches the cloud's APIs with the admin credentials: on the control host with
 * the keystonerc_admin cairn put there (packages mode), or inside a service container that has
 * the clients, with the same credentials exported first (containers mode: the host has none).
 * The same rule as verify's API checks; the script always travels on stdin.
 */
import type { Deployment } from '../config/model.js';
import { secretsOf } from '../config/secrets.js';
import { adminEnvScript } from '../services/credentials.js';

/** argv that reads a shell script on stdin, and the lines that script starts with. */
export interface ApiRunner {
  argv: string[];
  preamble: string;
  /** Redacted from logs and errors. */
  secrets: string[];
}

/** The API runner of `d`; in containers mode `apiContainer` is where scripts run. */
export function apiRunner(d: Deployment, apiContainer?: string): ApiRunner {
  const secrets = secretsOf(d);
  if (apiContainer) return { argv: ['docker', 'exec', '-i', apiContainer, 'sh', '-s'], preamble: adminEnvScript(d), secrets };
  return { argv: ['sh', '-s'], preamble: '. /root/keystonerc_admin', secrets };
}

/**
 * The JSON objects a cloud-side script printed one per line that `accept` takes; other lines
 * (Python's warnings, a traceback) are left out.
 */
export function jsonLines<T>(stdout: string, accept: (v: Record<string, unknown>) => boolean): T[] {
  const out: T[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as Record<string, unknown>;
      if (accept(v)) out.push(v as T);
    } catch {
      // not one of the script's lines
    }
  }
  return out;
}
