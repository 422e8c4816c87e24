/**
 * Deployment + rendered files + playbooks -> Plan. Pure: the same input gives the same plan,
 * which `deploy --dry-run` prints and `deploy` applies (re-checking each step on the host).
 */
import type { Deployment, Host } from '../config/model.js';
import type { RenderedFile } from '../render/render-files.js';
import { sha256 } from '../render/render-files.js';
import { componentsOn, type BootstrapStep, type ServiceDescriptor } from '../services/descriptor.js';
import type { Playbook } from './playbook.js';
import type { CommandStep, FileStep, HostPlan, Plan, Step, WaitStep } from './steps.js';

/** Seconds a host waits for cairn's confirmation before it undoes a bridge change. */
export const BRIDGE_CONFIRM_SECONDS = 30;

/** Builds the plan of every host. */
export function buildPlan(
  deployment: Deployment,
  files: readonly RenderedFile[],
  playbooks: readonly Playbook[],
  services: readonly ServiceDescriptor[],
): Plan {
  return { hosts: deployment.hosts.map((host) => planHost(deployment, host, files, playbooks, services)) };
}

function planHost(
  d: Deployment,
  host: Host,
  files: readonly RenderedFile[],
  playbooks: readonly Playbook[],
  services: readonly ServiceDescriptor[],
): HostPlan {
  const mine = playbooks.filter((p) => host.roles.includes(p.role));
  const listed = new Set(mine.flatMap((p) => p.services));
  const active = services.filter((s) => listed.has(s.name) && s.enabled(d));
  const os = host.osFamily;
  const hostFiles = files.filter((f) => f.host === host.name && active.some((s) => s.name === f.service));

  const steps: Step[] = [];
  const fileStep = (f: Pick<RenderedFile, 'path' | 'mode' | 'owner' | 'group' | 'content' | 'sha256' | 'restarts' | 'service'>, phase: string): FileStep => ({
    kind: 'file',
    id: `file:${f.path}`,
    title: `file ${f.path}`,
    phase,
    path: f.path,
    mode: f.mode,
    owner: f.owner,
    group: f.group,
    content: f.content,
    sha256: f.sha256,
    restarts: [...f.restarts],
  });

  // repos
  const repoFiles = hostFiles.filter((f) => f.service === 'repos').map((f) => fileStep(f, 'repos'));
  steps.push(...repoFiles);
  if (repoFiles.length > 0) {
    steps.push({
      kind: 'command',
      id: 'command:verify-repos',
      title: 'package manager reads every repository',
      phase: 'repos',
      // --error-on=any: apt otherwise only warns when a source cannot be fetched.
      argv: os === 'debian' ? ['apt-get', 'update', '--error-on=any'] : ['dnf', 'makecache', '--disablerepo=*', '--enablerepo=cairn-*'],
      onChange: repoFiles.map((f) => f.id),
      timeoutMs: 300_000,
    });
  }

  // packages
  const packages = [...new Set(active.flatMap((s) => componentsOn(s, host).flatMap((c) => c.packages[os])))];
  if (packages.length > 0) {
    steps.push({ kind: 'packages', id: 'packages', title: `packages (${packages.length})`, phase: 'packages', names: packages });
  }

  // files
  const configSteps = hostFiles.filter((f) => f.service !== 'repos').map((f) => fileStep(f, f.service));
  steps.push(...configSteps);
  if (active.some((s) => s.name === 'chrony')) steps.push(chronyNoClockDropIn(os));

  // sysctl
  const sysctl = Object.assign({}, ...mine.map((p) => p.sysctl)) as Record<string, string>;
  const sysctlKeys = Object.keys(sysctl).sort();
  if (sysctlKeys.length > 0) {
    const content = ['# Managed by cairn: changes here are overwritten on the next deploy.', ...sysctlKeys.map((k) => `${k} = ${sysctl[k]}`), ''].join('\n');
    steps.push(fileStep({ path: '/etc/sysctl.d/90-cairn.conf', mode: '0644', owner: 'root', group: 'root', content, sha256: sha256(content), restarts: [], service: 'sysctl' }, 'sysctl'));
    for (const key of sysctlKeys) steps.push({ kind: 'sysctl', id: `sysctl:${key}`, title: `sysctl ${key}=${sysctl[key]}`, phase: 'sysctl', key, value: sysctl[key]! });
  }

  // ovs-bridges
  const seenUnits = new Set<string>();
  if (mine.some((p) => p.ovsBridges) && d.services.neutron) {
    const { bridgeMappings, bridgeIfaces, datapathType } = d.neutron.ovs;
    // Open vSwitch must run before a bridge can be made; packages install without starting
    // services, so it is started here rather than in the units phase below.
    const ovsUnit = os === 'debian' ? 'openvswitch-switch' : 'openvswitch';
    if (bridgeMappings.length > 0) {
      seenUnits.add(ovsUnit);
      steps.push({ kind: 'unit', id: `unit:${ovsUnit}`, title: `${ovsUnit} enabled and running`, phase: 'ovs-bridges', unit: ovsUnit, restartOn: [] });
    }
    for (const { bridge } of bridgeMappings) {
      const ports = bridgeIfaces.filter((b) => b.bridge === bridge);
      if (ports.length === 0) {
        steps.push({
          kind: 'command',
          id: `bridge:${bridge}`,
          title: `OVS bridge ${bridge}`,
          phase: 'ovs-bridges',
          argv: ['ovs-vsctl', '--may-exist', 'add-br', bridge, '--', 'set', 'bridge', bridge, `datapath_type=${datapathType}`],
          unless: ['ovs-vsctl', 'br-exists', bridge],
        });
      }
      for (const { iface } of ports) {
        steps.push({ kind: 'bridge-port', id: `bridge-port:${bridge}:${iface}`, title: `OVS bridge ${bridge} with port ${iface}`, phase: 'ovs-bridges', bridge, iface, datapathType, confirmSeconds: BRIDGE_CONFIRM_SECONDS });
      }
    }
  }

  // units, in service order, each restarted when one of its files (or a bootstrap command that
  // changed its configuration) changed; each service's bootstrap commands around its units.
  const bootstrapOf = new Map(active.map((s) => [s.name, bootstrapSteps(s, d, host, active, steps)]));
  const restartersByUnit = new Map<string, string[]>();
  const addRestarter = (unit: string, id: string): void => {
    restartersByUnit.set(unit, [...(restartersByUnit.get(unit) ?? []), id]);
  };
  for (const s of steps) if (s.kind === 'file') for (const u of s.restarts) addRestarter(u, s.id);
  for (const list of bootstrapOf.values()) for (const b of list) for (const u of b.restarts) addRestarter(u, b.step.id);
  for (const s of active) {
    const boot = bootstrapOf.get(s.name) ?? [];
    steps.push(...boot.filter((b) => b.when === 'before-start').map((b) => b.step));
    for (const c of componentsOn(s, host)) {
      const unit = c.unit[os];
      if (seenUnits.has(unit)) continue;
      seenUnits.add(unit);
      steps.push({ kind: 'unit', id: `unit:${unit}`, title: `${unit} enabled and running`, phase: 'units', unit, restartOn: restartersByUnit.get(unit) ?? [] });
    }
    steps.push(...boot.filter((b) => b.when === 'after-start').map((b) => b.step));
  }

  if (mine.some((p) => p.chronySync) && active.some((s) => s.name === 'chrony')) {
    steps.push({
      kind: 'wait',
      id: 'wait:chrony-sync',
      title: 'clock synchronised (chrony)',
      phase: 'chrony-sync',
      // waitsync 1 checks once and exits 1 while unsynchronised; cairn does the polling so that
      // the deadline and progress are its own.
      argv: ['sh', '-c', 'chronyc -n waitsync 1 >/dev/null && chronyc -n tracking | grep -E "^(Reference ID|Stratum|System time|Leap status)"'],
      intervalMs: 2000,
      deadlineMs: 120_000,
      report: true,
    });
  }

  for (const p of mine) {
    for (const c of p.commands) {
      const id = `command:${c.name}`;
      if (steps.some((s) => s.id === id)) continue;
      steps.push({ kind: 'command', id, title: c.name, phase: 'commands', argv: c.argv, ...(c.creates ? { creates: c.creates } : {}), ...(c.unless ? { unless: c.unless } : {}) });
    }
  }
  return { host: host.name, address: host.address, osFamily: os, sudo: host.sudo, steps };
}

/**
 * On a host that may not set the clock (a container without CAP_SYS_TIME), Debian's and
 * RHEL's chrony units do not even start (ConditionCapability=CAP_SYS_TIME). This drop-in runs
 * chronyd with -x there: it tracks and serves time without touching the clock.
 */
function chronyNoClockDropIn(os: 'debian' | 'rhel'): FileStep {
  const unit = os === 'debian' ? 'chrony' : 'chronyd';
  const opts = os === 'debian' ? '$DAEMON_OPTS' : '$OPTIONS';
  // Debian's unit starts chronyd with full privileges ('!': it drops them itself after
  // binding); without the prefix it fails with "Not superuser".
  const exec = os === 'debian' ? '!/usr/sbin/chronyd' : '/usr/sbin/chronyd';
  const content = [
    '# Managed by cairn: this host may not set the clock, so chronyd tracks and serves time',
    '# without touching it (-x).',
    '[Unit]',
    'ConditionCapability=',
    '',
    '[Service]',
    'ExecStart=',
    `ExecStart=${exec} ${opts} -x`,
    '',
  ].join('\n');
  const path = `/etc/systemd/system/${unit}.service.d/cairn-no-clock.conf`;
  return {
    kind: 'file',
    id: `file:${path}`,
    title: `file ${path}`,
    phase: 'chrony',
    path,
    mode: '0644',
    owner: 'root',
    group: 'root',
    content,
    sha256: sha256(content),
    restarts: [unit],
    onlyIf: 'cannot-set-clock',
  };
}

/** A service's bootstrap commands on `host` as plan steps, with when they run and what they restart. */
function bootstrapSteps(
  service: ServiceDescriptor,
  d: Deployment,
  host: Host,
  active: readonly ServiceDescriptor[],
  earlier: readonly Step[],
): { when: BootstrapStep['when']; restarts: string[]; step: CommandStep | WaitStep }[] {
  if (!service.bootstrap) return [];
  return service.bootstrap({ deployment: d, host, os: host.osFamily }, active).map((b) => {
    const id = `command:${service.name}:${b.name}`;
    const restarts = b.restarts ?? [];
    if (b.wait) {
      // An after-start wait gates later bootstrap steps and is moot when nothing changed; a
      // before-start wait gates the service's own start, which may be needed regardless.
      return { when: b.when, restarts, step: { kind: 'wait', id, title: b.title, phase: 'bootstrap', argv: b.argv, intervalMs: b.wait.intervalMs, deadlineMs: b.wait.deadlineMs, report: false, ...(b.when === 'after-start' ? { onlyAfterChange: true } : {}) } };
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
    return { when: b.when, restarts, step };
  });
}
