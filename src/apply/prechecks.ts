/**
 * Prechecks: read-only checks of every host, from the facts probe, before the first change.
 * All failures of all hosts are reported together, and nothing is touched when one fails.
 */
import type { Deployment, Host } from '../config/model.js';
import type { HostFacts } from '../facts/probe.js';
import type { HostPlan } from '../plan/steps.js';

/** One precheck finding. */
export interface PrecheckFinding {
  host: string;
  check: string;
  severity: 'error' | 'warning';
  message: string;
}

/** Minimums below which OpenStack services do not start or swap themselves to death. */
export const MIN_MEM_MIB = { control: 2048, network: 512, compute: 1024 } as const;
export const MIN_DISK_MIB = 2048;
/** Clock offset from the deploy host beyond which token validation and TLS break. */
export const MAX_CLOCK_OFFSET_MS = 5000;

const OS_IDS = { debian: ['debian', 'ubuntu'], rhel: ['rhel', 'centos', 'rocky', 'almalinux', 'fedora'] } as const;

/**
 * Checks every host. `localClockMs` is the deploy host's clock when the probes ran (the
 * midpoint of each probe's round trip is close enough for a seconds-scale limit).
 */
export function precheck(d: Deployment, plans: readonly HostPlan[], facts: ReadonlyMap<string, HostFacts>, localClockMs: ReadonlyMap<string, number>): PrecheckFinding[] {
  const out: PrecheckFinding[] = [];
  for (const host of d.hosts) {
    const f = facts.get(host.name);
    const plan = plans.find((p) => p.host === host.name);
    if (!f || !plan) continue;
    const add = (check: string, message: string, severity: 'error' | 'warning' = 'error'): void => {
      out.push({ host: host.name, check, severity, message });
    };
    if (!f.sudoOk) add('sudo', `commands do not run as root (user ${host.ssh.user}${host.sudo ? ', sudo -n' : ''})`);
    const ids = OS_IDS[host.osFamily] as readonly string[];
    if (!ids.includes(f.os.id)) add('os', `is ${f.os.id || 'unknown'} ${f.os.versionId}, but the deployment says os_family ${host.osFamily} (expected one of ${ids.join(', ')})`);
    else if (host.osFamily === 'debian' && f.os.id === 'debian' && f.os.versionId !== '12') add('os', `is Debian ${f.os.versionId}; cairn deploys OpenStack Zed from Debian 12 (bookworm)`, 'warning');
    const minMem = Math.max(...host.roles.map((r) => MIN_MEM_MIB[r]));
    if (f.memMiB < minMem) add('memory', `has ${f.memMiB} MiB of RAM; its roles (${host.roles.join(', ')}) need at least ${minMem} MiB`);
    if (f.diskFreeMiB < MIN_DISK_MIB) add('disk', `has ${f.diskFreeMiB} MiB free on /; at least ${MIN_DISK_MIB} MiB are needed for packages and images`);
    if ((host.roles.includes('network') || host.roles.includes('compute')) && !f.cpuFlags.includes('ssse3')) {
      add('cpu', 'the CPU does not expose ssse3, which Open vSwitch needs (on a VM, use <cpu mode=\'host-passthrough\'/>)');
    }
    const local = localClockMs.get(host.name);
    if (local !== undefined && f.clockMs > 0) {
      const offset = f.clockMs - local;
      if (Math.abs(offset) > MAX_CLOCK_OFFSET_MS) add('clock', `its clock is ${(offset / 1000).toFixed(1)} s ${offset > 0 ? 'ahead of' : 'behind'} this machine's (limit ${MAX_CLOCK_OFFSET_MS / 1000} s): fix the time before deploying, or apt and Keystone tokens will fail`);
    }
    for (const [name, address] of Object.entries(f.resolves)) {
      if (address === '') add('names', `cannot resolve ${name}; add it to DNS or /etc/hosts on every host`);
    }
    if (f.resolvSearch !== '') add('resolv.conf', `/etc/resolv.conf has "${f.resolvSearch}": search domains slow every lookup services make and can resolve short names to the wrong host`, 'warning');
    for (const s of ['NetworkManager', 'firewalld']) {
      if (f.activeServices[s] === 'active') {
        add(s, s === 'firewalld' ? 'firewalld is running and may block OpenStack ports (5000, 8774, 9292, 9696, 5672, 3306, ...)' : 'NetworkManager is running and may fight the br-ex network files', 'warning');
      }
    }
    for (const step of plan.steps) {
      if (step.kind !== 'bridge-port') continue;
      const port = f.portOf.get(step.iface) ?? '';
      if (port !== '' && port !== step.bridge) add('interfaces', `${step.iface} is already a port of OVS bridge ${port}, not ${step.bridge}`);
      if (port === '' && !f.interfaces.includes(step.iface)) {
        add('interfaces', `has no interface ${step.iface} (from CONFIG_NEUTRON_OVS_BRIDGE_IFACES); it has ${f.interfaces.filter((i) => i !== 'lo').join(', ')}`);
      }
    }
    const tunnel = d.neutron.ovs.tunnelInterface;
    if (tunnel && d.services.neutron && (host.roles.includes('network') || host.roles.includes('compute')) && !f.interfaces.includes(tunnel)) {
      add('interfaces', `has no interface ${tunnel} (from CONFIG_NEUTRON_OVS_TUNNEL_IF); it has ${f.interfaces.filter((i) => i !== 'lo').join(', ')}`);
    }
    if (d.services.cinder && host.name === d.controller) {
      // The storage host (the controller, as rules.ts requires): lvcreate needs device-mapper.
      if (!f.deviceMapper) {
        add('cinder', `its kernel has no device-mapper (no dm_mod loaded or loadable, no device-mapper in /proc/misc), so cinder-volume's LVM backend cannot create a volume there (lvcreate fails); deploy Cinder to a host whose kernel has it, or set CONFIG_CINDER_INSTALL=n`);
      }
      if (d.cinder.volumesCreate) {
        const needMiB = Math.ceil(d.cinder.volumesSizeBytes / 2 ** 20);
        if (!f.loopDevices) add('cinder', `has no /dev/loop-control, so the loop device behind the ${d.cinder.volumeGroup} volume group (CONFIG_CINDER_VOLUMES_CREATE=y) cannot be made; make the volume group yourself and set CONFIG_CINDER_VOLUMES_CREATE=n`);
        if (needMiB + MIN_DISK_MIB > f.diskFreeMiB) {
          add('cinder', `has ${f.diskFreeMiB} MiB free on /, but CONFIG_CINDER_VOLUMES_SIZE asks for ${needMiB} MiB of volumes besides the ${MIN_DISK_MIB} MiB packages and images need; free disk or lower CONFIG_CINDER_VOLUMES_SIZE`);
        }
      }
    }
    if (host.roles.includes('compute') && d.services.nova) {
      const hw = f.kvm && (f.cpuFlags.includes('vmx') || f.cpuFlags.includes('svm'));
      if (d.nova.virtType === 'kvm' && !hw) add('kvm', 'CONFIG_NOVA_LIBVIRT_VIRT_TYPE is kvm, but the host has no /dev/kvm or no vmx/svm CPU flag; set qemu or %{::default_hypervisor}');
    }
  }
  return out;
}

/** Names each host should resolve: the other hosts' names when they are names, not addresses. */
export function namesToResolve(d: Deployment, host: Host): string[] {
  return d.hosts.filter((h) => h.name !== host.name && h.name !== h.address && !/^[\d.]+$/.test(h.name)).map((h) => h.name);
}
