/**
 * chrony on every host. With upstream servers configured every host syncs with them; the
 * control host also serves time to the other hosts so they agree even when upstream is lost.
 * Without upstream servers the control host serves its own clock (local stratum 10).
 */
import type { OsFamily } from '../config/model.js';
import type { ServiceDescriptor } from './descriptor.js';
import type { FileStep, WaitStep } from './steps.js';
import { controllerOf } from '../config/model.js';
import { sha256 } from './common.js';

/**
 * On a host that may not set the clock (a container without CAP_SYS_TIME), Debian's and
 * RHEL's chrony units do not even start (ConditionCapability=CAP_SYS_TIME). This drop-in runs
 * chronyd with -x there: it tracks and serves time without touching the clock.
 */
export function chronyNoClockDropIn(os: OsFamily): FileStep {
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

/** Waits until chrony has synchronised the clock, and reports its offset and stratum. */
export function chronySyncWait(): WaitStep {
  return {
    kind: 'wait',
    id: 'wait:chrony-sync',
    title: 'clock synchronised (chrony)',
    phase: 'chrony-sync',
    // waitsync 1 checks once and exits 1 while unsynchronised; cairn does the polling so that
    // the deadline and progress are its own.
    argv: ['sh', '-c', 'chronyc -n waitsync 1 >/dev/null && chronyc -n tracking | grep -E "^(Reference ID|Stratum|System time|Leap status)"'],
    intervalMs: 2000,
    // A started chrony selects its server in seconds (iburst), but after it detects a jump of
    // the system clock it drops its samples and takes several polls of 64 s to select one
    // again: 3 min 14 s measured in the lab after the machine's clock stepped forward.
    deadlineMs: 300_000,
    report: true,
  };
}

/** chrony on every host: its configuration, a drop-in where the clock is read-only, its first sync. */
export const chrony: ServiceDescriptor = {
  name: 'chrony',
  enabled: () => true,
  components: [
    // chrony runs everywhere; one component per role keeps placement uniform.
    ...(['control', 'network', 'compute'] as const).map((role) => ({
      name: 'chrony',
      role,
      unit: { debian: 'chrony', rhel: 'chronyd' },
      packages: { debian: ['chrony'], rhel: ['chrony'] },
      ports: [],
    })),
  ],
  files: ({ deployment: d, host, os }) => {
    const controller = controllerOf(d);
    const isServer = host.name === controller.name;
    const upstream = d.ntp.servers;
    const servers = isServer ? upstream : [...upstream, controller.address];
    return [
      {
        path: os === 'debian' ? '/etc/chrony/chrony.conf' : '/etc/chrony.conf',
        template: 'chrony/chrony.conf.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: [os === 'debian' ? 'chrony' : 'chronyd'],
        view: {
          servers: servers.map((s) => ({ address: s, preferred: s !== controller.address })),
          serveClients: isServer,
          // The lab subnet and every other host may ask the control host for time.
          allow: isServer ? d.hosts.filter((h) => h.name !== host.name).map((h) => h.address) : [],
          localStratum: isServer && upstream.length === 0,
          driftfile: os === 'debian' ? '/var/lib/chrony/chrony.drift' : '/var/lib/chrony/drift',
          keyfile: os === 'debian' ? '/etc/chrony/chrony.keys' : '/etc/chrony.keys',
          logdir: '/var/log/chrony',
        },
      },
    ];
  },
  hostSteps: {
    // After the rendered files: the drop-in is put only where the host cannot set the clock.
    files: ({ os }) => [chronyNoClockDropIn(os)],
    'chrony-sync': () => [chronySyncWait()],
  },
};
