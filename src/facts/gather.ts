/** Runs the facts probe on a host (one remote command) and parses what it printed. */
import type { HostPlan } from '../plan/steps.js';
import { transportError } from '../transport/errors.js';
import type { Transport } from '../transport/transport.js';
import { parseFacts, probeScript, type HostFacts } from './probe.js';

/** Gathers the facts `plan` depends on, plus whether each of `resolveNames` resolves. */
export async function gatherFacts(t: Transport, plan: HostPlan, resolveNames: string[]): Promise<HostFacts> {
  // The script goes on stdin: it can be long, and argv is visible to every user of the host.
  const r = await t.run({ argv: ['sh', '-s'], stdin: probeScript(plan, { resolveNames }), timeoutMs: 60_000 });
  if (r.code !== 0) throw transportError(t.host, 'run', `the facts probe failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return parseFacts(r.stdout);
}
