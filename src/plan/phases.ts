/**
 * The phases of a host's plan, each a small function from what the planner knows about the
 * host to the steps of that phase. The order they run in is not decided here: order.ts lists
 * them, and the planner walks that list. Steps that belong to one service come from its
 * descriptor (files, components, bootstrap, hostSteps); these functions only put them in place.
 */
import type { Deployment, Host } from '../config/model.js';
import type { RenderedFile } from '../render/render-files.js';
import { sha256 } from '../render/render-files.js';
import { componentsOn, type BootstrapStep, type HostStepPhase, type ServiceDescriptor } from '../services/descriptor.js';
import type { Playbook } from './playbook.js';
import type { CommandStep, FileStep, Step, WaitStep } from './steps.js';

/** What a phase sees of one host. */
export interface PhaseContext {
  deployment: Deployment;
  host: Host;
  /** Services that run on the host (placed there and enabled), in services/index.ts order. */
  active: readonly ServiceDescriptor[];
  /** Those services' rendered files for the host, in rendering order. */
  files: readonly RenderedFile[];
  /** The playbooks of the host's roles: the role-level steps (sysctl, chrony-sync, ...). */
  playbooks: readonly Playbook[];
  /**
   * The steps the earlier phases planned. What was planned already is read from here (e.g. the
   * units phase skips a unit the ovs-bridges phase started) rather than kept on the side.
   */
  steps: readonly Step[];
}

/** One phase: the steps it adds to a host's plan, after those of the earlier phases. */
export type PhaseFunction = (ctx: PhaseContext) => Step[];

/** The repository files, and the repositories' own steps (that every one of them reads). */
export const repos: PhaseFunction = (ctx) => [...phaseFiles(ctx, 'repos'), ...hostSteps(ctx, 'repos')];

/** One install of every package the host's components need. */
export const packages: PhaseFunction = ({ deployment: d, active, host }) => {
  const names = [...new Set(active.flatMap((s) => componentsOn(s, host).flatMap((c) => c.packages[host.osFamily])))];
  if (names.length === 0) return [];
  return [{ kind: 'packages', id: 'packages', title: `packages (${names.length})`, phase: 'packages', names, ...(d.repos.installRecommends ? { recommends: true } : {}) }];
};

/** Every other rendered file, then the file steps services add themselves (chrony's drop-in). */
export const files: PhaseFunction = (ctx) => [...phaseFiles(ctx, 'files'), ...hostSteps(ctx, 'files')];

/** The kernel parameters the host's playbooks set: one file for boot, and each value now. */
export const sysctl: PhaseFunction = ({ playbooks }) => {
  const values = Object.assign({}, ...playbooks.map((p) => p.sysctl)) as Record<string, string>;
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return [];
  const content = ['# Managed by cairn: changes here are overwritten on the next deploy.', ...keys.map((k) => `${k} = ${values[k]}`), ''].join('\n');
  return [
    fileStep({ path: '/etc/sysctl.d/90-cairn.conf', mode: '0644', owner: 'root', group: 'root', content, sha256: sha256(content), restarts: [], service: 'sysctl' }),
    ...keys.map((key): Step => ({ kind: 'sysctl', id: `sysctl:${key}`, title: `sysctl ${key}=${values[key]}`, phase: 'sysctl', key, value: values[key]! })),
  ];
};

/** The OVS bridges (ovs-network's steps), on hosts whose playbooks ask for them. */
export const ovsBridges: PhaseFunction = (ctx) => (ctx.playbooks.some((p) => p.ovsBridges) ? hostSteps(ctx, 'ovs-bridges') : []);

/**
 * Units in service order, each restarted when one of its files (or a bootstrap command that
 * changed its configuration) changed; each service's bootstrap commands around its units.
 */
export const units: PhaseFunction = ({ deployment: d, host, active, steps: earlier }) => {
  const os = host.osFamily;
  const bootstrapOf = new Map(active.map((s) => [s.name, bootstrapSteps(s, d, host, active, earlier)]));
  const restartersByUnit = new Map<string, string[]>();
  const addRestarter = (unit: string, id: string): void => {
    restartersByUnit.set(unit, [...(restartersByUnit.get(unit) ?? []), id]);
  };
  for (const s of earlier) if (s.kind === 'file') for (const u of s.restarts) addRestarter(u, s.id);
  for (const list of bootstrapOf.values()) for (const b of list) for (const u of b.restarts) addRestarter(u, b.step.id);
  // A unit is started once: by an earlier phase (openvswitch, for the bridges) or by the first
  // service whose component it is.
  const planned = new Set(earlier.flatMap((s) => (s.kind === 'unit' ? [s.unit] : [])));
  const out: Step[] = [];
  const atEnd: Step[] = [];
  // Early commands (schema migrations, Horizon's static files) of the services after the one that makes the databases
  // go to the host's background lane as soon as the databases exist; each service's first step
  // of its own waits for its early ones.
  let databasesMade = false;
  const early: Step[] = [];
  for (const s of active) {
    const boot = bootstrapOf.get(s.name) ?? [];
    const own = out.length;
    const hoisted = databasesMade ? boot.filter((b) => b.when === 'before-start' && b.early) : [];
    early.push(...hoisted.map((b): Step => ({ ...b.step, background: true })));
    out.push(...boot.filter((b) => b.when === 'before-start' && !hoisted.includes(b)).map((b) => b.step));
    for (const c of componentsOn(s, host)) {
      const unit = c.unit[os];
      if (planned.has(unit)) continue;
      planned.add(unit);
      out.push({ kind: 'unit', id: `unit:${unit}`, title: `${unit} enabled and running`, phase: 'units', unit, restartOn: restartersByUnit.get(unit) ?? [] });
    }
    out.push(...boot.filter((b) => b.when === 'after-start' && !b.atEnd).map((b) => b.step));
    atEnd.push(...boot.filter((b) => b.when === 'after-start' && b.atEnd).map((b) => b.step));
    if (hoisted.length > 0 && out.length > own) out[own] = { ...out[own]!, after: hoisted.map((b) => b.step.id) };
    if (boot.some((b) => b.step.id === DATABASES_STEP)) databasesMade = true;
  }
  if (early.length > 0) out.splice(out.findIndex((st) => st.id === DATABASES_STEP) + 1, 0, ...early);
  // APIs nothing on this host waits for load while the later services start (measured on the
  // lab: heat's wait alone was 52 s, neutron's 39 s, each with the host otherwise idle).
  return [...out, ...atEnd];
};

/** The step that makes every service's database (mariadb's bootstrap): early commands follow it. */
const DATABASES_STEP = 'command:mariadb:databases';

/** The wait for a synchronised clock (chrony's), on hosts whose playbooks ask for it. */
export const chronySync: PhaseFunction = (ctx) => (ctx.playbooks.some((p) => p.chronySync) ? hostSteps(ctx, 'chrony-sync') : []);

/** The playbooks' commands; one that several of the host's playbooks name runs once. */
export const commands: PhaseFunction = ({ playbooks, steps: earlier }) => {
  const seen = new Set(earlier.map((s) => s.id));
  const out: Step[] = [];
  for (const c of playbooks.flatMap((p) => p.commands)) {
    const id = `command:${c.name}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ kind: 'command', id, title: c.name, phase: 'commands', argv: c.argv, ...(c.creates ? { creates: c.creates } : {}), ...(c.unless ? { unless: c.unless } : {}) });
  }
  return out;
};

/** A rendered file as a step of the phase named after its service. */
function fileStep(f: Pick<RenderedFile, 'path' | 'mode' | 'owner' | 'group' | 'content' | 'sha256' | 'restarts' | 'service'>): FileStep {
  return {
    kind: 'file',
    id: `file:${f.path}`,
    title: `file ${f.path}`,
    phase: f.service,
    path: f.path,
    mode: f.mode,
    owner: f.owner,
    group: f.group,
    content: f.content,
    sha256: f.sha256,
    restarts: [...f.restarts],
  };
}

/** The files of the services that write theirs in `phase` (see ServiceDescriptor.filesPhase). */
function phaseFiles(ctx: PhaseContext, phase: 'repos' | 'files'): FileStep[] {
  const writers = new Set(ctx.active.filter((s) => (s.filesPhase ?? 'files') === phase).map((s) => s.name));
  return ctx.files.filter((f) => writers.has(f.service)).map(fileStep);
}

/** The steps the active services add to `phase` (ServiceDescriptor.hostSteps), in service order. */
function hostSteps(ctx: PhaseContext, phase: HostStepPhase): Step[] {
  const { deployment, host } = ctx;
  return ctx.active.flatMap((s) => {
    const add = s.hostSteps?.[phase];
    if (!add) return [];
    return add({ deployment, host, os: host.osFamily, files: ctx.files.filter((f) => f.service === s.name).map(fileStep) });
  });
}

/** A service's bootstrap commands on `host` as plan steps, with when they run and what they restart. */
function bootstrapSteps(
  service: ServiceDescriptor,
  d: Deployment,
  host: Host,
  active: readonly ServiceDescriptor[],
  earlier: readonly Step[],
): { when: BootstrapStep['when']; atEnd: boolean; early: boolean; restarts: string[]; step: CommandStep | WaitStep }[] {
  if (!service.bootstrap) return [];
  return service.bootstrap({ deployment: d, host, os: host.osFamily }, active).map((b) => {
    const id = `command:${service.name}:${b.name}`;
    const restarts = b.restarts ?? [];
    if (b.wait) {
      // An after-start wait gates later bootstrap steps and is moot when nothing changed; a
      // before-start wait gates the service's own start, which may be needed regardless.
      return { when: b.when, atEnd: b.atEnd === true, early: false, restarts, step: { kind: 'wait', id, title: b.title, phase: 'bootstrap', argv: b.argv, intervalMs: b.wait.intervalMs, deadlineMs: b.wait.deadlineMs, report: false, ...(b.when === 'after-start' ? { onlyAfterChange: true } : {}) } };
    }
    // A command that runs a managed file (a script) re-runs when that file changes.
    const scripts = earlier.filter((s): s is FileStep => s.kind === 'file' && b.argv.includes(s.path)).map((s) => s.sha256);
    const guarded = b.creates !== undefined || b.unless !== undefined;
    const step: CommandStep = {
      kind: 'command',
      id,
      title: b.title,
      phase: 'bootstrap',
      argv: b.argv,
      ...(b.stdin !== undefined ? { stdin: b.stdin } : {}),
      ...(b.creates ? { creates: b.creates } : {}),
      ...(b.unless ? { unless: b.unless } : {}),
      // Unguarded commands are stamped: they run again only when what they depend on changed.
      ...(guarded ? {} : { stamp: sha256(JSON.stringify({ argv: b.argv, stdin: b.stdin ?? '', inputs: [...(b.inputs ?? []), ...scripts] })) }),
      ...(b.timeoutMs ? { timeoutMs: b.timeoutMs } : {}),
    };
    return { when: b.when, atEnd: false, early: b.early === true, restarts, step };
  });
}
