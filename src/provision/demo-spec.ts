/**
 * What Packstack's demo provisioning (CONFIG_PROVISION_DEMO=y) makes, decided from the
 * Deployment alone: the guest image's Glance names, the flavors, the external network and its
 * floating range, the router, the demo private network, and the default security group's rules.
 * Pure: provision/run-provision.ts makes the cloud hold it, verify --workload uses it.
 */
import type { Deployment } from '../config/model.js';
import { hasRole } from '../config/model.js';
import { ipv4ToNumber, isIpv4, numberToIpv4 } from '../config/value-types.js';
import { cidrAddress, cidrPrefix } from '../services/common.js';

/** A Nova flavor. */
export interface FlavorSpec {
  name: string;
  ramMb: number;
  diskGb: number;
  vcpus: number;
}

/** The demo cloud's contents. */
export interface DemoSpec {
  /** Glance names of the guest's kernel, ramdisk and bootable image (kernel_id/ramdisk_id). */
  image: { kernel: string; ramdisk: string; guest: string };
  flavors: FlavorSpec[];
  external: { network: string; subnet: string; physnet: string; cidr: string; gateway: string; poolStart: string; poolEnd: string };
  router: string;
  private: { network: string; subnet: string; cidr: string };
  /** Ingress rules added to the demo project's default security group. */
  securityGroupRules: { protocol: 'icmp' | 'tcp'; port?: number }[];
}

/** Packstack's flavors (the m1 set) plus m1.nano, which the guest image needs and no more. */
export const DEMO_FLAVORS: readonly FlavorSpec[] = [
  { name: 'm1.nano', ramMb: 128, diskGb: 1, vcpus: 1 },
  { name: 'm1.tiny', ramMb: 512, diskGb: 1, vcpus: 1 },
  { name: 'm1.small', ramMb: 2048, diskGb: 20, vcpus: 1 },
  { name: 'm1.medium', ramMb: 4096, diskGb: 40, vcpus: 2 },
  { name: 'm1.large', ramMb: 8192, diskGb: 80, vcpus: 4 },
];

/** The demo private network's subnet (Packstack's). */
export const DEMO_PRIVATE_CIDR = '10.0.0.0/24';

/** Every address a host of `d` declares (management and interface addresses), as numbers. */
function hostAddresses(d: Deployment): Set<number> {
  const used = new Set<number>();
  for (const h of d.hosts) {
    if (isIpv4(h.address)) used.add(ipv4ToNumber(h.address));
    for (const cidr of Object.values(h.interfaceAddresses)) used.add(ipv4ToNumber(cidrAddress(cidr)));
  }
  return used;
}

/**
 * The floating range of `cidr`: the gateway is its first address (Packstack's choice), the pool
 * the longest run of addresses that neither the gateway, the broadcast address nor any host of
 * the deployment uses, so a floating IP never takes a host's address. Undefined when no
 * address is left.
 */
export function floatingRange(cidr: string, used: ReadonlySet<number>): { gateway: string; poolStart: string; poolEnd: string } | undefined {
  const prefix = cidrPrefix(cidr) ?? 32;
  const base = ipv4ToNumber(cidrAddress(cidr));
  const size = 2 ** (32 - prefix);
  if (size < 4) return undefined;
  const first = base + 1;
  const last = base + size - 2;
  let best: [number, number] | undefined;
  let start: number | undefined;
  for (let a = first + 1; a <= last + 1; a++) {
    const free = a <= last && !used.has(a);
    if (free && start === undefined) start = a;
    if (!free && start !== undefined) {
      if (!best || a - 1 - start > best[1] - best[0]) best = [start, a - 1];
      start = undefined;
    }
  }
  if (!best) return undefined;
  return { gateway: numberToIpv4(first), poolStart: numberToIpv4(best[0]), poolEnd: numberToIpv4(best[1]) };
}

/** Why there is no demo cloud: a sentence, and the answer-file key it is about. */
export interface NoDemo {
  key: string;
  message: string;
}

/**
 * The demo cloud of `d`, or why there is none (for validate and verify --workload). Needs
 * Neutron with a provider bridge mapping on a network host.
 */
export function demoSpec(d: Deployment): DemoSpec | NoDemo {
  const no = (key: string, message: string): NoDemo => ({ key, message });
  if (!d.services.neutron) return no('CONFIG_PROVISION_DEMO', 'demo provisioning needs Neutron (CONFIG_NEUTRON_INSTALL=y): its networks and router are Neutron\'s');
  const mapping = d.neutron.ovs.bridgeMappings[0];
  if (!mapping) return no('CONFIG_PROVISION_DEMO', 'demo provisioning needs a provider bridge for its external network: set CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS (e.g. extnet:br-ex)');
  if (!d.hosts.some((h) => hasRole(h, 'network'))) return no('CONFIG_PROVISION_DEMO', 'demo provisioning needs a network host (CONFIG_NETWORK_HOSTS)');
  const range = floatingRange(d.demoFloatRange, hostAddresses(d));
  if (!range) return no('CONFIG_PROVISION_DEMO_FLOATRANGE', `the floating range ${d.demoFloatRange} (CONFIG_PROVISION_DEMO_FLOATRANGE) leaves no address for floating IPs once the gateway and the hosts' addresses are taken`);
  return {
    image: { kernel: 'cairn-guest-kernel', ramdisk: 'cairn-guest-ramdisk', guest: 'cairn-guest' },
    flavors: [...DEMO_FLAVORS],
    external: { network: 'public', subnet: 'public_subnet', physnet: mapping.physnet, cidr: d.demoFloatRange, ...range },
    router: 'router1',
    private: { network: 'private', subnet: 'private_subnet', cidr: DEMO_PRIVATE_CIDR },
    securityGroupRules: [{ protocol: 'icmp' }, { protocol: 'tcp', port: 22 }],
  };
}
