/**
 * Plan + hosts -> ApplyReport. Connects to every host, gathers facts, runs the prechecks on all
 * hosts before the first change, then applies each host's steps (hosts in parallel, bounded
 * by `forks`), doing only what each step still needs. A dry run stops short of every change and
 * reports what would change, with unified diffs of config files (secrets masked).
 */
import { createTwoFilesPatch } from 'diff';
import type { Deployment, Host } from '../config/model.js';
import { maskSecretLines } from '../config/secrets.js';
import { gatherFacts } from '../facts/gather.js';
import type { HostFacts } from '../facts/probe.js';
import { HARDWARE_SCRIPT, parseHardware, type Hardware } from '../plan/decide-hosts.js';
import type { HostPlan, Plan, Step } from '../plan/steps.js';
import { mapLimit } from '../transport/limiter.js';
import { redact } from '../transport/quote.js';
import type { Transport } from '../transport/transport.js';
import { decide, hostIsIdle } from './decide.js';
import type { ApplyEvent, StepStatus } from './events.js';
import { execute } from './execute.js';
import { stepError } from './host-error.js';
import { isExpected } from '../errors.js';
import { acquireLock, releaseLock } from './lock.js';
import { namesToResolve, precheck, type PrecheckFinding } from './prechecks.js';

/** How to apply. */
export interface ApplyOptions {
  dryRun: boolean;
  forks: number;
  /** Opens a transport to a host (a new connection each call). */
  connect: (host: Host) => Promise<Transport>;
  onEvent: (e: ApplyEvent) => void;
  /** Appends a line to the host's log (already redacted by the caller's secrets). */
  log: (host: string, line: string) => void;
  /** Identifies this run in host locks: `run-id user@machine`. */
  owner: string;
  breakLock?: boolean;
  /** Passwords and keys to mask in logs, diffs and errors. */
  secrets: readonly string[];
  /** Set by applyPlan for its hosts: why waits should stop (another host failed). */
  abandoned?: () => string | undefined;
}

/** What happened on one host. */
export interface HostReport {
  host: string;
  steps: { id: string; title: string; status: StepStatus; reason: string; ms: number; detail?: string; diff?: string }[];
  error?: string;
  notes: string[];
}

/** The result of a run. */
export interface ApplyReport {
  ok: boolean;
  prechecks: PrecheckFinding[];
  hosts: HostReport[];
  /** Set when the run stopped before changing anything (connection or precheck failures). */
  abortedBefore?: 'connect' | 'lock' | 'prechecks';
}

/**
 * Makes the plan once every host's hardware is known (decisions such as Nova's virt_type depend
 * on it): see plan/decide-hosts.ts. It must plan exactly the hosts of the deployment.
 */
export type Planner = (hardware: ReadonlyMap<string, Hardware>) => Plan;

/**
 * Applies (or dry-runs) the plan `planner` makes from the hosts' hardware (or a plan made
 * already). Expected failures are in the report; bugs throw.
 */
export async function applyPlan(d: Deployment, planner: Plan | Planner, opts: ApplyOptions): Promise<ApplyReport> {
  const emit = opts.onEvent;
  const transports = new Map<string, Transport>();
  // A plan made already may cover only some hosts of `d`; a planner plans them all.
  const hosts = typeof planner === 'function' ? d.hosts : planner.hosts.map((hp) => d.hosts.find((h) => h.name === hp.host)!);
  const reports = new Map<string, HostReport>(hosts.map((h) => [h.name, { host: h.name, steps: [], notes: [] }]));
  const hostOf = (name: string): Host => d.hosts.find((h) => h.name === name)!;
  const locked = new Set<string>();
  const failedHosts: string[] = [];
  const abandoned = (): string | undefined => (failedHosts.length > 0 ? `${failedHosts.join(', ')} failed` : undefined);
  try {
    // Each host goes through connect -> lock -> hardware and clock on its own, without waiting
    // for the others at each stage. Then the plan is made (it depends on every host's hardware),
    // and each host's facts, which the plan says what to read of, are gathered: the barrier that
    // matters is the prechecks (every host's facts before the first change). Every host is
    // locked before its facts are read, so the facts the plan is decided on are ones no other
    // run can change until this run ends.
    emit({ type: 'phase', phase: 'connect', hosts: hosts.length });
    const connectFailures: string[] = [];
    let refused = 0;
    const hardware = new Map<string, Hardware>();
    const clocks = new Map<string, { remote: number; local: number }>();
    await mapLimit(hosts, opts.forks, async (host) => {
      let t: Transport;
      try {
        t = await opts.connect(host);
        transports.set(host.name, t);
        emit({ type: 'host', host: host.name, state: 'connected' });
      } catch (e) {
        const message = (e as Error).message;
        connectFailures.push(message);
        reports.get(host.name)!.error = message;
        emit({ type: 'host', host: host.name, state: 'failed', detail: message });
        return;
      }
      if (!opts.dryRun) {
        try {
          const note = await acquireLock(t, opts.owner, Boolean(opts.breakLock));
          locked.add(host.name);
          emit({ type: 'host', host: host.name, state: 'locked' });
          if (note) {
            reports.get(host.name)!.notes.push(note);
            emit({ type: 'note', host: host.name, message: note });
          }
        } catch (e) {
          if (!isExpected(e)) throw e;
          refused++;
          reports.get(host.name)!.error = e.message;
          emit({ type: 'host', host: host.name, state: 'failed', detail: e.message });
          return;
        }
      }
      // The clock is read first, in a short round trip, so that a slow probe on a busy host
      // does not look like a clock offset; a round trip too slow to judge skips the check.
      const sent = Date.now();
      const r = await t.run({ argv: ['sh', '-c', `date +%s%3N; ${HARDWARE_SCRIPT}`], timeoutMs: 10_000 });
      const back = Date.now();
      const [first = '', ...rest] = r.stdout.split('\n');
      const remote = Number(first.trim());
      hardware.set(host.name, parseHardware(rest.join('\n')));
      if (r.code === 0 && back - sent < 2000 && remote > 0) clocks.set(host.name, { remote, local: (sent + back) / 2 });
    });
    if (connectFailures.length > 0) return { ok: false, prechecks: [], hosts: [...reports.values()], abortedBefore: 'connect' };
    if (refused > 0) return { ok: false, prechecks: [], hosts: [...reports.values()], abortedBefore: 'lock' };

    const plan = typeof planner === 'function' ? planner(hardware) : planner;
    const facts = new Map<string, HostFacts>();
    await mapLimit(plan.hosts, opts.forks, async (hp) => {
      const f = await gatherFacts(transports.get(hp.host)!, hp, namesToResolve(d, hostOf(hp.host)));
      const clock = clocks.get(hp.host);
      if (clock) f.clockMs = clock.remote;
      facts.set(hp.host, f);
    });
    const localClocks = new Map([...clocks].map(([h, c]) => [h, c.local]));

    emit({ type: 'phase', phase: 'prechecks', hosts: plan.hosts.length });
    const findings = precheck(d, plan.hosts, facts, localClocks);
    for (const f of findings) emit({ type: 'precheck', ...f });
    if (findings.some((f) => f.severity === 'error')) {
      return { ok: false, prechecks: findings, hosts: [...reports.values()], abortedBefore: 'prechecks' };
    }

    emit({ type: 'phase', phase: 'apply', hosts: plan.hosts.length });
    await mapLimit(plan.hosts, opts.forks, async (hp) => {
      const report = reports.get(hp.host)!;
      try {
        await applyHost(hp, transports.get(hp.host)!, facts.get(hp.host)!, report, hostOf(hp.host), { ...opts, abandoned });
        emit({ type: 'host', host: hp.host, state: 'done' });
      } catch (e) {
        if (!isExpected(e)) throw e;
        report.error = e.message;
        failedHosts.push(hp.host);
        emit({ type: 'host', host: hp.host, state: 'failed', detail: e.message });
      }
    });
    emit({ type: 'phase', phase: 'done', hosts: plan.hosts.length });
    return { ok: [...reports.values()].every((r) => !r.error), prechecks: findings, hosts: [...reports.values()] };
  } finally {
    await Promise.all(
      [...locked].map(async (host) => {
        await releaseLock(transports.get(host)!, opts.owner);
        emit({ type: 'host', host, state: 'unlocked' });
      }),
    );
    await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)));
  }
}

async function applyHost(hp: HostPlan, t: Transport, initialFacts: HostFacts, report: HostReport, host: Host, opts: ApplyOptions): Promise<void> {
  const log = (line: string): void => opts.log(hp.host, redact(line, opts.secrets));
  const changed = new Set<string>();
  let facts = initialFacts;
  const idle = hostIsIdle(hp.steps, facts, hp.osFamily);
  // The background lane (Step.background): its steps run one after another, each started when
  // the loop below reaches it, beside the steps after it. A dry run changes nothing, so it has
  // nothing to overlap: its background steps are reported in place.
  let lane: Promise<unknown> = Promise.resolve();
  const launched = new Map<string, Promise<unknown>>();
  try {
    for (const step of hp.steps) {
      for (const id of step.after ?? []) await launched.get(id);
      if (step.background && !opts.dryRun) {
        const stepFacts = facts;
        lane = lane.then(() => runStep(step, hp, t, stepFacts, changed, idle, report, host, opts, log));
        // Handled here so a failure waits, unreported, for the step (or the end) that awaits it.
        lane.catch(() => undefined);
        launched.set(step.id, lane);
        continue;
      }
      facts = await runStep(step, hp, t, facts, changed, idle, report, host, opts, log);
    }
    await lane;
  } catch (e) {
    // A command of the lane still running (a migration) is let finish before the host's
    // connection closes: cut off half-way, it could leave its database half migrated.
    await Promise.allSettled(launched.values());
    throw e;
  }
}

async function runStep(step: Step, hp: HostPlan, t: Transport, facts: HostFacts, changed: Set<string>, hostIdle: boolean, report: HostReport, host: Host, opts: ApplyOptions, log: (l: string) => void): Promise<HostFacts> {
  const started = Date.now();
  opts.onEvent({ type: 'step-start', host: hp.host, step: step.id, title: step.title });
  const decision = decide(step, { facts, changed, osFamily: hp.osFamily, hostIdle });
  const finish = (status: StepStatus, reason: string, extra: { detail?: string; diff?: string } = {}): void => {
    const entry = { id: step.id, title: step.title, status, reason, ms: Date.now() - started, ...extra };
    report.steps.push(entry);
    opts.onEvent({ type: 'step', host: hp.host, step: step.id, title: step.title, status, reason, ms: entry.ms, ...(extra.detail ? { detail: extra.detail } : {}) });
  };
  if (!decision.needed) {
    log(`${step.id}: nothing to do: ${decision.reason}`);
    finish('ok', decision.reason);
    return facts;
  }
  if (opts.dryRun) {
    // Read-only checks still run in a dry run, except those waiting on a change not made.
    if (step.kind === 'wait' && changed.size === 0) {
      const r = await t.run({ argv: step.argv, timeoutMs: 10_000 });
      finish('ok', r.code === 0 ? 'passes now' : `does not pass yet (exit ${r.code})`, { detail: r.stdout.trim() });
      return facts;
    }
    if (decision.changes) changed.add(step.id);
    const diff = step.kind === 'file' ? await fileDiff(t, step.path, step.content, opts.secrets) : undefined;
    finish(step.kind === 'wait' ? 'ok' : 'would-change', step.kind === 'wait' ? 'would wait after the changes above' : decision.reason, diff ? { diff } : {});
    return facts;
  }
  log(`${step.id}: ${decision.reason}`);
  try {
    const lines = await execute(decision.actions, {
      transport: t,
      host: hp.host,
      step: step.title,
      reconnect: () => opts.connect(host),
      log,
      secrets: opts.secrets,
      ...(opts.abandoned ? { abandoned: opts.abandoned } : {}),
    });
    if (decision.changes) changed.add(step.id);
    finish(decision.changes ? 'changed' : 'ok', decision.reason, lines.length ? { detail: lines.join('; ') } : {});
  } catch (e) {
    finish('failed', (e as Error).message.split('\n')[0]!);
    throw isExpected(e) ? e : stepError(hp.host, step.title, (e as Error).message);
  }
  // Installing packages starts units and creates files: read the host again rather than decide
  // later steps on what it looked like before.
  return step.kind === 'packages' ? gatherFacts(t, hp, []) : facts;
}

async function fileDiff(t: Transport, path: string, desired: string, secrets: readonly string[]): Promise<string> {
  const current = (await t.get(path))?.toString('utf8') ?? '';
  return maskSecretLines(redact(createTwoFilesPatch(`${path} (host)`, `${path} (cairn)`, current, desired, '', '', { context: 2 }), secrets));
}
