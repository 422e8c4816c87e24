/**
 * Runs the health checks: the host checks on every host at once (one SSH command each), then
 * the API checks on the control host. With a wait, failed checks are tried again until they
 * pass or the time is up: right after a deploy, agents and computes take a few seconds to
 * report in.
 */
import type { Deployment, Host } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import type { Plan } from '../plan/steps.js';
import { mapLimit } from '../transport/limiter.js';
import type { Transport } from '../transport/transport.js';
import { API_PREAMBLE, apiChecks, apiServices, combinedScript, containersApiHints, containersCheck, expectations, hostChecks, judgeAll, lastLines, splitOutput, type Check, type CheckResult } from './checks.js';

/** How to verify. */
export interface VerifyOptions {
  connect: (host: Host) => Promise<Transport>;
  forks: number;
  /** Keep retrying failed checks for this long (ms); 0 checks once. */
  waitMs: number;
  /** Called with each round's results (progress). */
  onRound?: (results: CheckResult[], round: number) => void;
  /** Containers mode: which service containers run where, and where the API checks run. */
  containers?: ContainersVerify;
}

/** What verify needs to know of a containers-mode deployment. */
export interface ContainersVerify {
  /** Container names per host (hosts without any are left out). */
  on: ReadonlyMap<string, readonly string[]>;
  /** The control host's container that has the openstack client (the API checks run in it). */
  apiContainer: string;
  /** sh lines exporting the admin credentials inside that container (sent on stdin). */
  adminEnv: string;
}

/** The outcome of `cairn verify`. */
export interface VerifyReport {
  ok: boolean;
  results: CheckResult[];
  ms: number;
}

const RETRY_PAUSE_MS = 5000;

/** Verifies the deployment `d` (whose plan says which units run where). */
export async function verify(d: Deployment, plan: Plan, opts: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const transports = new Map<string, Transport>();
  const results = new Map<string, CheckResult>();
  const key = (r: { host: string; check: string }): string => `${r.host}\u0000${r.check}`;
  try {
    const unreachable: CheckResult[] = [];
    await mapLimit(d.hosts, opts.forks, async (h) => {
      try {
        transports.set(h.name, await opts.connect(h));
      } catch (e) {
        unreachable.push({ check: 'ssh', host: h.name, ok: false, detail: (e as Error).message, hint: `is ${h.name} up? cairn lab status / ping ${h.address}` });
      }
    });
    if (unreachable.length > 0) return { ok: false, results: unreachable, ms: Date.now() - started };

    const ctrl = controllerOf(d);
    let round = 0;
    for (;;) {
      round++;
      const failedBefore = new Set([...results.values()].filter((r) => !r.ok).map(key));
      const pending = (host: string, checks: Check[]): Check[] =>
        round === 1 ? checks : checks.filter((c) => c.id === 'hostname' || failedBefore.has(key({ host, check: c.id })));
      await mapLimit(plan.hosts, opts.forks, async (hp) => {
        const host = d.hosts.find((h) => h.name === hp.host)!;
        const containers = opts.containers?.on.get(hp.host) ?? [];
        const checks = pending(hp.host, [...hostChecks(d, host, hp), ...(containers.length ? [containersCheck(host, containers)] : [])]);
        for (const r of await runChecks(transports.get(hp.host)!, hp.host, checks)) results.set(key(r), r);
      });
      const hostnames = new Map(d.hosts.map((h) => [h.name, results.get(key({ host: h.name, check: 'hostname' }))?.detail ?? h.name]));
      const c = opts.containers;
      // Which APIs to expect is decided in one place for both modes (apiServices).
      const all = apiChecks(d, expectations(d, hostnames), apiServices(d, c !== undefined));
      const api = pending(ctrl.name, c ? containersApiHints(all, c.apiContainer) : all);
      // In containers mode the host has no openstack client: the checks run in a service
      // container that has one, with the credentials exported first.
      const apiRun = c ? { argv: ['docker', 'exec', '-i', c.apiContainer, 'sh', '-s'], preamble: c.adminEnv } : { argv: ['sh', '-s'], preamble: API_PREAMBLE };
      for (const r of await runChecks(transports.get(ctrl.name)!, ctrl.name, api, apiRun)) results.set(key(r), r);
      const visible = [...results.values()].filter((r) => r.check !== 'hostname' || !r.ok);
      opts.onRound?.(visible, round);
      const ok = visible.every((r) => r.ok);
      if (ok || Date.now() - started + RETRY_PAUSE_MS > opts.waitMs) return { ok, results: visible, ms: Date.now() - started };
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  } finally {
    await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)));
  }
}

async function runChecks(t: Transport, host: string, checks: Check[], how: { argv: string[]; preamble: string } = { argv: ['sh', '-s'], preamble: '' }): Promise<CheckResult[]> {
  if (checks.length === 0) return [];
  try {
    // The script goes on stdin: it is long, may hold credentials, and argv is visible to every
    // user of the host.
    const r = await t.run({ argv: how.argv, stdin: combinedScript(checks, how.preamble), timeoutMs: 300_000 });
    // Not one check reported: the runner itself failed (e.g. `docker exec` into a stopped container).
    if (splitOutput(r.stdout).size === 0) {
      const why = lastLines(r.stderr || r.stdout) || 'no output';
      return checks.map((c) => ({ check: c.id, host, ok: false, detail: `could not run (exit ${r.code}): ${why}`, hint: c.hint }));
    }
    return judgeAll(host, checks, r.stdout);
  } catch (e) {
    return checks.map((c) => ({ check: c.id, host, ok: false, detail: `could not run: ${(e as Error).message}`, hint: c.hint }));
  }
}
