/**
 * What a step needs, given the host's facts and what changed earlier in this run: nothing
 * (with the reason, pyinfra-style: "unchanged (sha256 match)"), or a list of actions. Pure,
 * so every case is a unit test; only execute.ts touches the host.
 */
import type { HostFacts } from '../facts/probe.js';
import type { Step } from '../plan/steps.js';
import { PENDING_RESTART_DIR, STAMP_DIR, stampFile } from '../facts/probe.js';
import { shJoin, shQuote } from '../transport/quote.js';
import { dpkgPathOption, withCompileQueue } from './compile-queue.js';
import { withOneDaemonReload } from './reload-once.js';

/** One thing to do on a host. */
export type Action =
  | { type: 'run'; argv: string[]; stdin?: string; secrets?: string[]; timeoutMs?: number }
  | { type: 'put'; path: string; content: string; mode: string; owner: string; group: string }
  | { type: 'wait'; argv: string[]; intervalMs: number; deadlineMs: number; report: boolean }
  | { type: 'bridge'; bridge: string; iface: string; datapathType: string; confirmSeconds: number; addresses: string[] };

/** The decision for one step. */
export type Decision = { needed: false; reason: string } | { needed: true; reason: string; actions: Action[]; changes: boolean };

/** Run state a decision depends on. */
export interface DecideContext {
  facts: HostFacts;
  /** Ids of steps that changed something earlier in this run (or would, in a dry run). */
  changed: ReadonlySet<string>;
  osFamily: 'debian' | 'rhel';
  /**
   * No step of this host's plan but its waits is needed (a no-op run on this host). A gate that
   * only holds later steps back (a wait that reports nothing) is then moot: nothing after it
   * starts, restarts or runs. See hostIsIdle.
   */
  hostIdle?: boolean;
}

/**
 * True when no step of `steps` but the waits is needed on a host with `facts`. Exact for a
 * no-op run: with no step needed nothing changes, so each step is decided on the same facts and
 * an empty `changed` set as it will be in the run.
 */
export function hostIsIdle(steps: readonly Step[], facts: HostFacts, osFamily: 'debian' | 'rhel'): boolean {
  const changed = new Set<string>();
  return steps.every((s) => s.kind === 'wait' || !decide(s, { facts, changed, osFamily }).needed);
}

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive'];

/**
 * The policy-rc.d cairn installs for the length of a package install (invoke-rc.d's protocol:
 * `[--quiet|--list] ID "ACTIONS" [RUNLEVEL]`, exit 101 = action forbidden). Starts and restarts
 * are refused; reloads are allowed, because they never start a stopped service and some
 * packages need one: polkitd's postinst reloads dbus so the bus knows its new `polkitd` user,
 * and without that reload polkit cannot start, and nor can libvirt's access checks.
 */
export const POLICY_RC_D = [
  '#!/bin/sh',
  '# cairn: no service starts while cairn installs packages (removed after); reloads are allowed',
  'while [ $# -gt 0 ]; do case $1 in --*) shift ;; *) break ;; esac; done',
  'for a in $2; do case $a in reload|force-reload) ;; *) exit 101 ;; esac; done',
  'exit 0',
  '',
].join('\n');

/**
 * Runs "$@" with POLICY_RC_D in place, so packages do not start their services on packaged
 * defaults: they would crash-loop (no database, no RabbitMQ user yet) and eat the CPU the
 * install needs. cairn starts each one later, in order, on its own configuration. A
 * policy-rc.d of the host's own is left alone.
 */
const WITHOUT_STARTS = [
  'sh',
  '-c',
  [
    'p=/usr/sbin/policy-rc.d; made=',
    // One left by a cairn run that was killed during its install is cairn's to replace.
    `if [ ! -e $p ] || grep -q '^# cairn: no service starts' $p; then printf '%s' ${shQuote(POLICY_RC_D)} > $p && chmod 0755 $p && made=1; fi`,
    'trap \'[ -n "$made" ] && rm -f $p; exit 129\' HUP INT TERM',
    '"$@"; rc=$?',
    '[ -n "$made" ] && rm -f $p',
    'exit $rc',
  ].join('\n'),
  'sh',
];

// dpkgPathOption: python packages' byte-compiling goes to cairn's queue (compile-queue.ts), and
// the packages' many systemd daemon-reloads become one after the install (reload-once.ts).
const APT_INSTALL = ['apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...dpkgPathOption()];

/**
 * `sh -c` script: apt-get install "$@", and when that fails, `dpkg --configure -a` and the
 * install once more. A maintainer script that failed once (a CI run saw openstack-dashboard's
 * postinst fail, and the same packages install cleanly on a fresh node) would otherwise fail
 * the whole deploy for what a second try finishes; both tries' output stays in the host's log,
 * and a second failure fails the step with both.
 */
export const APT_INSTALL_ONCE_MORE = [
  'export DEBIAN_FRONTEND=noninteractive',
  `${shJoin(APT_INSTALL)} "$@" && exit 0`,
  'rc=$?',
  'echo "cairn: apt-get install failed (exit $rc); finishing the configuration of what it unpacked and trying once more" >&2',
  'dpkg --configure -a',
  `exec ${shJoin(APT_INSTALL)} "$@"`,
].join('\n');

/** Decides what `step` needs. */
export function decide(step: Step, ctx: DecideContext): Decision {
  const { facts } = ctx;
  switch (step.kind) {
    case 'file': {
      if (step.onlyIf === 'cannot-set-clock' && facts.canSetClock) {
        return { needed: false, reason: 'not needed: this host may set its clock' };
      }
      const current = facts.files.get(step.path);
      if (current === step.sha256) return { needed: false, reason: 'unchanged (sha256 match)' };
      // Marked before the file changes, so no crash in between can lose the restart.
      const mark: Action[] = step.restarts.length === 0 ? [] : [{ type: 'run', argv: ['sh', '-c', `mkdir -p ${PENDING_RESTART_DIR} && cd ${PENDING_RESTART_DIR} && touch "$@"`, 'sh', ...step.restarts.map(stampFile)] }];
      return {
        needed: true,
        changes: true,
        reason: current === undefined ? 'absent' : 'content differs',
        actions: [...mark, { type: 'put', path: step.path, content: step.content, mode: step.mode, owner: step.owner, group: step.group }],
      };
    }
    case 'packages': {
      const missing = step.names.filter((n) => !facts.installed.has(n));
      if (missing.length === 0) return { needed: false, reason: `all ${step.names.length} installed` };
      // Without recommended (weak) dependencies unless the deployment asks for them: a compute's
      // install is 426 packages instead of 925 (measured on Debian 12), and dpkg's time is most
      // of a first deploy. Nothing cairn runs needs a recommended-only package (the container
      // images never had them).
      const recommends = step.recommends === true;
      const argv =
        ctx.osFamily === 'debian'
          ? [...WITHOUT_STARTS, ...withCompileQueue(), ...withOneDaemonReload(), 'sh', '-c', APT_INSTALL_ONCE_MORE, 'sh', ...(recommends ? [] : ['--no-install-recommends']), ...missing]
          : ['dnf', 'install', '-y', ...(recommends ? [] : ['--setopt=install_weak_deps=False']), ...missing];
      // Refresh the package lists first, and only when something must be installed: a host's
      // lists may be missing (minimal images) or older than the archive.
      const refresh: string[] = ctx.osFamily === 'debian' ? [...APT_ENV, 'apt-get', 'update', '-q'] : ['dnf', 'makecache', '-q'];
      return {
        needed: true,
        changes: true,
        reason: `missing: ${missing.join(' ')}`,
        actions: [
          // Finish a package run an earlier deploy was cut off in (a no-op otherwise).
          ...(ctx.osFamily === 'debian' ? [{ type: 'run' as const, argv: [...APT_ENV, 'dpkg', '--configure', '-a'], timeoutMs: 1_800_000 }] : []),
          { type: 'run', argv: refresh, timeoutMs: 600_000 },
          { type: 'run', argv, timeoutMs: 3_600_000 },
        ],
      };
    }
    case 'unit': {
      const state = facts.units.get(step.unit) ?? { enabled: '', active: '' };
      const changedFiles = step.restartOn.filter((id) => ctx.changed.has(id));
      const actions: Action[] = [];
      if (changedFiles.some((id) => id.startsWith('file:/etc/systemd/') || id.startsWith('file:/usr/lib/systemd/'))) {
        actions.push({ type: 'run', argv: ['systemctl', 'daemon-reload'] });
      }
      const enabled = state.enabled === 'enabled' || state.enabled === 'static' || state.enabled === 'generated' || state.enabled === 'alias';
      if (!enabled) actions.push({ type: 'run', argv: ['systemctl', 'enable', step.unit] });
      const pending = facts.pendingRestarts.has(stampFile(step.unit));
      if (changedFiles.length > 0 || pending) {
        // restart also starts a stopped unit; a unit a package just started on its default
        // configuration must pick up ours.
        actions.push({ type: 'run', argv: patiently('restart', step.unit) });
        if (pending || changedFiles.some((id) => id.startsWith('file:'))) actions.push({ type: 'run', argv: ['rm', '-f', `${PENDING_RESTART_DIR}/${stampFile(step.unit)}`] });
        const why = changedFiles.length > 0 ? `${changedFiles.map((id) => id.replace(/^file:/, '')).join(', ')} changed` : 'an earlier run changed its files and stopped before restarting it';
        return { needed: true, changes: true, reason: `restart: ${why}`, actions };
      }
      if (state.active !== 'active') {
        actions.push({ type: 'run', argv: patiently('start', step.unit) });
        return { needed: true, changes: true, reason: `not running (${state.active || 'unknown'})`, actions };
      }
      if (actions.length > 0) return { needed: true, changes: true, reason: `not enabled (${state.enabled || 'unknown'})`, actions };
      return { needed: false, reason: 'enabled and running; none of its files changed' };
    }
    case 'sysctl': {
      const current = facts.sysctl.get(step.key);
      if (current === step.value) return { needed: false, reason: `already ${step.value}` };
      return { needed: true, changes: true, reason: `is ${current || 'unset'}`, actions: [{ type: 'run', argv: ['sysctl', '-w', `${step.key}=${step.value}`] }] };
    }
    case 'command': {
      if (step.creates && facts.existing.has(step.creates)) return { needed: false, reason: `${step.creates} exists` };
      if (step.unless && facts.guards.get(step.id) === 0) return { needed: false, reason: `guard \`${step.unless.join(' ')}\` passed` };
      if (step.stamp !== undefined && facts.stamps.get(stampFile(step.id)) === step.stamp) {
        return { needed: false, reason: 'done before with the same inputs' };
      }
      if (step.onChange && !step.onChange.some((id) => ctx.changed.has(id))) return { needed: false, reason: 'nothing it depends on changed' };
      const run: Action = { type: 'run', argv: step.argv, ...(step.stdin !== undefined ? { stdin: step.stdin } : {}), ...(step.secrets ? { secrets: step.secrets } : {}), ...(step.timeoutMs ? { timeoutMs: step.timeoutMs } : {}) };
      if (step.stamp !== undefined) {
        const recorded = facts.stamps.has(stampFile(step.id));
        return { needed: true, changes: true, reason: recorded ? 'its inputs changed since it last ran' : 'never ran to completion here', actions: [run, recordStamp(step.id, step.stamp)] };
      }
      return { needed: true, changes: !step.onChange, reason: step.onChange ? 'a dependency changed' : 'guard not met', actions: [run] };
    }
    case 'wait':
      if (step.onlyAfterChange && ctx.changed.size === 0) return { needed: false, reason: 'nothing changed on this host in this run' };
      if (!step.report && ctx.hostIdle) return { needed: false, reason: 'nothing else to do on this host: nothing after this gate runs' };
      return { needed: true, changes: false, reason: 'check', actions: [{ type: 'wait', argv: step.argv, intervalMs: step.intervalMs, deadlineMs: step.deadlineMs, report: step.report }] };
    case 'bridge-port': {
      const port = facts.portOf.get(step.iface) ?? '';
      const addresses = facts.addresses[step.iface] ?? [];
      if (!facts.interfaces.includes(step.iface) && port === '') {
        return { needed: true, changes: true, reason: `interface ${step.iface} does not exist`, actions: [{ type: 'bridge', bridge: step.bridge, iface: step.iface, datapathType: step.datapathType, confirmSeconds: step.confirmSeconds, addresses }] };
      }
      if (port === step.bridge && addresses.length === 0) return { needed: false, reason: `${step.iface} is a port of ${step.bridge}` };
      const why = port === step.bridge ? `${step.iface} still holds ${addresses.join(', ')}` : port ? `${step.iface} is a port of ${port}` : `${step.iface} is not a port of ${step.bridge}`;
      return { needed: true, changes: true, reason: why, actions: [{ type: 'bridge', bridge: step.bridge, iface: step.iface, datapathType: step.datapathType, confirmSeconds: step.confirmSeconds, addresses }] };
    }
  }
}

/**
 * `systemctl VERB UNIT`, and when that fails, up to five minutes for systemd's own restarts to
 * bring the unit up: on a slow host a Type=notify service (nova-conductor) can miss its 90 s
 * start timeout and come up on the next attempt.
 */
function patiently(verb: 'start' | 'restart', unit: string): string[] {
  return [
    'sh',
    '-c',
    'systemctl "$1" "$2" && exit 0; i=0; while [ $i -lt 60 ]; do sleep 5; systemctl is-active -q "$2" && exit 0; i=$((i+1)); done; systemctl status --no-pager -n 5 "$2"; exit 1',
    'sh',
    verb,
    unit,
  ];
}

/** Records a stamped command's digest after it succeeded (the digest goes on stdin). */
function recordStamp(stepId: string, stamp: string): Action {
  const path = `${STAMP_DIR}/${stampFile(stepId)}`;
  return { type: 'run', argv: ['sh', '-c', `mkdir -p ${STAMP_DIR} && cat > ${path}.new && mv ${path}.new ${path}`], stdin: stamp };
}
