/**
 * Cinder, block storage: cinder-api and cinder-scheduler on the control host, cinder-volume with
 * Packstack's lvm backend on the storage host (the controller, the only one cairn allows yet),
 * and the iSCSI initiator on the computes that attach the volumes.
 *
 * The backend: volumes are logical volumes of one volume group (CONFIG_CINDER_VOLUME_NAME),
 * exported over iSCSI by the distribution's target: tgt (userspace) on Debian, as Debian's
 * cinder-volume package sets up, and LIO (the kernel target, through cinder-rtstool) on RHEL
 * family, as Packstack does. With CONFIG_CINDER_VOLUMES_CREATE=y the volume group lives on a
 * loop device over a sparse file, set up again at boot by a unit of cairn's (Packstack's
 * openstack-losetup); that is for trying Cinder out, not for production.
 *
 * Logical volumes need the kernel's device-mapper: without it `lvcreate` fails, so a host whose
 * kernel has none is refused by the prechecks (apply/prechecks.ts) before anything is touched.
 *
 * Packages mode only for now: rules.ts refuses Cinder in containers mode.
 */
import type { Component, FileSpec, ServiceDescriptor } from './descriptor.js';
import type { Deployment, OsFamily } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import { httpReadyAtEnd, migration } from './bootstrap-commands.js';
import { databaseUrl, iniBool, iniValue, keystoneAuthView, shellQuote, transportUrl, urlHost, uwsgiDefaults, workerCount } from './common.js';
import { ADMIN_HINT, lastLines, parseJson, type ApiCheck } from './api-checks.js';
import { GLANCE_PORT } from './glance.js';

/** cinder-api's port (the block-storage API). */
export const CINDER_API_PORT = 8776;

/** The name the lvm backend has in cinder.conf and in the volume service's host (HOST@lvm). */
export const LVM_BACKEND = 'lvm';

/** The unit that attaches the volume group's loop device at boot, before cinder-volume starts. */
export const LOSETUP_UNIT = 'cairn-cinder-losetup.service';

/** Where the sparse file behind a loop-backed volume group lives (Packstack's place). */
export function volumesFile(d: Deployment): string {
  return `/var/lib/cinder/${d.cinder.volumeGroup}`;
}

/** The iSCSI target each family's cinder-volume drives: cinder's target_helper and its unit. */
const TARGET: Record<OsFamily, { helper: string; unit: string; packages: string[] }> = {
  // Debian's cinder-volume depends on tgt and ships /etc/tgt/conf.d/cinder_tgt.conf, which
  // makes tgtd read the targets cinder writes to /var/lib/cinder/volumes.
  debian: { helper: 'tgtadm', unit: 'tgt', packages: ['tgt'] },
  // LIO: the kernel's target, configured through configfs; target.service restores it at boot.
  rhel: { helper: 'lioadm', unit: 'target', packages: ['targetcli'] },
};

const COMPONENTS: Component[] = [
  {
    name: 'cinder-api',
    role: 'control',
    unit: { debian: 'cinder-api', rhel: 'openstack-cinder-api' },
    packages: { debian: ['cinder-api'], rhel: ['openstack-cinder'] },
    ports: [CINDER_API_PORT],
  },
  {
    name: 'cinder-scheduler',
    role: 'control',
    unit: { debian: 'cinder-scheduler', rhel: 'openstack-cinder-scheduler' },
    packages: { debian: ['cinder-scheduler'], rhel: ['openstack-cinder'] },
    ports: [],
  },
  {
    name: 'iscsi-target',
    role: 'control',
    unit: { debian: TARGET.debian.unit, rhel: TARGET.rhel.unit },
    packages: { debian: TARGET.debian.packages, rhel: TARGET.rhel.packages },
    ports: [3260],
  },
  {
    name: 'cinder-volume',
    role: 'control',
    unit: { debian: 'cinder-volume', rhel: 'openstack-cinder-volume' },
    packages: { debian: ['cinder-volume', 'lvm2'], rhel: ['openstack-cinder', 'lvm2'] },
    ports: [],
  },
  {
    // nova-compute attaches volumes through os-brick, which logs in to the target with iscsiadm.
    name: 'iscsid',
    role: 'compute',
    unit: { debian: 'iscsid', rhel: 'iscsid' },
    packages: { debian: ['open-iscsi'], rhel: ['iscsi-initiator-utils'] },
    ports: [],
  },
];

/**
 * Makes the volume group on a loop device over a sparse file when it does not exist yet: the
 * file (kept if there), the loop device (reused if the file is attached), the physical volume,
 * the group; then the boot unit is enabled. Nothing is made twice, and an existing group is
 * left alone whatever its size.
 */
export function volumeGroupScript(d: Deployment): string {
  const vg = shellQuote(d.cinder.volumeGroup);
  const file = shellQuote(volumesFile(d));
  return [
    'set -e',
    `if ! vgs ${vg} >/dev/null 2>&1; then`,
    `  [ -f ${file} ] || truncate -s ${d.cinder.volumesSizeBytes} ${file}`,
    `  dev=$(losetup -j ${file} | cut -d: -f1 | head -n 1)`,
    `  [ -n "$dev" ] || dev=$(losetup -f --show ${file})`,
    '  pvs "$dev" >/dev/null 2>&1 || pvcreate "$dev"',
    `  vgcreate ${vg} "$dev"`,
    'fi',
    'systemctl daemon-reload',
    `systemctl enable ${LOSETUP_UNIT}`,
  ].join('\n');
}

/** The boot unit's view: it attaches the file again (a reboot forgets loop devices) and activates the group. */
export function losetupView(d: Deployment, os: OsFamily): Record<string, string> {
  return {
    file: volumesFile(d),
    volumeGroup: d.cinder.volumeGroup,
    volumeUnit: `${COMPONENTS.find((c) => c.name === 'cinder-volume')!.unit[os]}.service`,
  };
}

/**
 * A 1 GiB volume created, extended to 2 GiB, snapshotted, and deleted with its snapshot, also
 * when a step fails. Prints the seconds to `available` of each step, or where it stopped.
 */
const VOLUME_SCRIPT = [
  'v="cairn-verify-$(date +%s)-$$"',
  // $1: `volume` or `volume snapshot`, unquoted on purpose; waits up to 180 s for status $3.
  'wait_for() { i=0; s=; while [ $i -lt 90 ]; do s=$(openstack $1 show "$2" -f value -c status 2>/dev/null); [ "$s" = "$3" ] && return 0; case "$s" in error*) break;; esac; i=$((i+1)); sleep 2; done; echo "$1 $2 is ${s:-missing}, not $3"; return 1; }',
  'gone() { i=0; while [ $i -lt 60 ]; do openstack $1 show "$2" >/dev/null 2>&1 || return 0; i=$((i+1)); sleep 2; done; echo "$1 $2 was not deleted"; return 1; }',
  'ok=no; t0=$(date +%s)',
  'if openstack volume create --size 1 "$v" >/dev/null && wait_for volume "$v" available; then',
  '  t1=$(date +%s); echo "created: $((t1 - t0)) s"',
  '  if openstack volume set --size 2 "$v" && wait_for volume "$v" available && [ "$(openstack volume show "$v" -f value -c size)" = 2 ]; then',
  '    t2=$(date +%s); echo "extended: $((t2 - t1)) s"',
  '    if openstack volume snapshot create --volume "$v" "$v-snap" >/dev/null && wait_for "volume snapshot" "$v-snap" available; then',
  '      t3=$(date +%s); echo "snapshot: $((t3 - t2)) s"',
  '      openstack volume snapshot delete "$v-snap" && gone "volume snapshot" "$v-snap" && ok=yes',
  '    fi',
  '  fi',
  'fi',
  'openstack volume snapshot delete "$v-snap" >/dev/null 2>&1',
  'gone "volume snapshot" "$v-snap" >/dev/null',
  'openstack volume delete "$v" >/dev/null 2>&1',
  'if [ $ok = yes ]; then gone volume "$v" || ok=no; fi',
  'echo "volume round trip: $ok"',
  '[ $ok = yes ]',
].join('\n');

/** The volume check's detail: the times of each step, or where it stopped and why. */
export function judgeVolume(out: string, code: number): { ok: boolean; detail: string } {
  const secs = (step: string): string | undefined => new RegExp(`^${step}: (\\d+) s$`, 'm').exec(out)?.[1];
  if (code === 0) {
    return { ok: true, detail: `a 1 GiB volume was available in ${secs('created')} s, extended to 2 GiB in ${secs('extended')} s, snapshotted in ${secs('snapshot')} s, and deleted` };
  }
  return { ok: false, detail: lastLines(out.replace(/^volume round trip: no$/m, '')) };
}

/** Each volume service (scheduler, volume@backend) and whether it is up, as Cinder lists them. */
export function judgeVolumeServices(out: string, code: number): { ok: boolean; detail: string } {
  const rows = code === 0 ? parseJson<{ Binary: string; Host: string; State: string; Status: string }[]>(out) : undefined;
  if (!rows) return { ok: false, detail: lastLines(out) };
  const wanted = ['cinder-scheduler', 'cinder-volume'];
  const problems = wanted.flatMap((binary) => {
    const mine = rows.filter((r) => r.Binary === binary);
    if (mine.length === 0) return [`no ${binary} has registered`];
    return mine.filter((r) => r.State !== 'up' || r.Status !== 'enabled').map((r) => `${binary} on ${r.Host} is ${r.State} (${r.Status})`);
  });
  if (problems.length > 0) return { ok: false, detail: problems.join('; ') };
  return { ok: true, detail: rows.filter((r) => wanted.includes(r.Binary)).map((r) => `${r.Binary} on ${r.Host} up`).join(', ') };
}

/** cinder.conf's view for `host`. */
function confView(d: Deployment, os: OsFamily): Record<string, unknown> {
  const ctrl = controllerOf(d);
  const workers = workerCount(d);
  return {
    debug: iniBool(d.debug),
    transportUrl: iniValue(transportUrl(d)),
    connection: iniValue(databaseUrl(d, 'cinder', d.cinder.dbPassword, 'cinder')),
    myIp: iniValue(ctrl.address),
    glanceUrl: iniValue(`http://${urlHost(ctrl.address)}:${GLANCE_PORT}`),
    auth: keystoneAuthView(d, 'cinder', d.cinder.ksPassword),
    setWorkers: workers !== undefined,
    workers: workers ?? 0,
    backend: LVM_BACKEND,
    volumeGroup: iniValue(d.cinder.volumeGroup),
    targetHelper: TARGET[os].helper,
    targetAddress: iniValue(ctrl.address),
  };
}

/** Cinder (block storage): API and scheduler on the controller, volumes on the storage host. */
export const cinder: ServiceDescriptor = {
  name: 'cinder',
  enabled: (d) => d.services.cinder,
  components: COMPONENTS,
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const units = COMPONENTS.filter((c) => c.name.startsWith('cinder-')).map((c) => c.unit[os]);
    const files: FileSpec[] = [
      {
        path: '/etc/cinder/cinder.conf',
        template: 'cinder/cinder.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: 'cinder',
        restarts: units,
        view: confView(d, os),
      },
    ];
    if (os === 'debian' && d.mode === 'packages') files.push(uwsgiDefaults(d, { unit: 'cinder-api', ini: '/etc/cinder/cinder-api-uwsgi.ini' }));
    if (d.cinder.volumesCreate) {
      files.push({
        path: `/etc/systemd/system/${LOSETUP_UNIT}`,
        template: 'cinder/losetup.service.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: [],
        view: losetupView(d, os),
      });
    }
    return files;
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    const steps = [migration('cinder database schema', 'cinder', ['cinder-manage', 'db', 'sync'], databaseUrl(d, 'cinder', d.cinder.dbPassword, 'cinder'))];
    if (d.cinder.volumesCreate) {
      steps.push({
        name: 'volume-group',
        title: `volume group ${d.cinder.volumeGroup} on a loop device over ${volumesFile(d)}`,
        when: 'before-start',
        argv: ['sh', '-c', volumeGroupScript(d)],
        inputs: [volumesFile(d), String(d.cinder.volumesSizeBytes)],
        timeoutMs: 120_000,
      });
    }
    steps.push(httpReadyAtEnd('ready', 'cinder answers', `http://${urlHost(host.address)}:${CINDER_API_PORT}/`));
    return steps;
  },
  databases: [{ name: 'cinder', user: 'cinder', password: (d) => d.cinder.dbPassword }],
  endpoints: [
    {
      serviceName: 'cinderv3',
      serviceType: 'volumev3',
      // Cinder's v3 API is project-scoped in its path; Keystone fills in the project per token.
      url: (ctrl) => `http://${urlHost(ctrl)}:${CINDER_API_PORT}/v3/%(project_id)s`,
      user: 'cinder',
      password: (d) => d.cinder.ksPassword,
    },
  ],
  apiChecks: (): ApiCheck[] => [
    {
      id: 'volume-services',
      script: 'openstack volume service list -f json',
      judge: judgeVolumeServices,
      hint: `${ADMIN_HINT}openstack volume service list; journalctl -u cinder-volume; /var/log/cinder/cinder-volume.log (a volume service that is down: is the volume group there? vgs)`,
    },
    {
      id: 'volume-round-trip',
      script: VOLUME_SCRIPT,
      judge: judgeVolume,
      hint: `${ADMIN_HINT}openstack volume create --size 1 test; openstack volume show test; /var/log/cinder/cinder-volume.log`,
    },
  ],
};
