/**
 * The provider bridges on network hosts: Open vSwitch started and each bridge of
 * CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS made (steps of the ovs-bridges phase), and the host network
 * files that put each provider interface (CONFIG_NEUTRON_OVS_BRIDGE_IFACES, e.g.
 * br-ex:eth1) into its Open vSwitch bridge on network hosts, so the bridge exists at boot before
 * neutron's agent looks for it. When the inventory declares an address on the interface, that
 * address moves to the bridge (an interface enslaved to OVS cannot keep it).
 *
 * Nothing restarts: changing a host's network is done by the apply stage in a guarded
 * transaction (with a way back), never by a blind service restart.
 */
import type { Deployment, Host, OsFamily } from '../config/model.js';
import { hasRole } from '../config/model.js';
import type { FileSpec, HostStepContext, ServiceDescriptor } from './descriptor.js';
import type { Step } from './steps.js';
import { cidrAddress, cidrPrefix, ipv4InCidr, shellQuote } from './common.js';

/** One bridge and the interface it takes over on a host, with the address that moves. */
export interface BridgePortView {
  bridge: string;
  iface: string;
  /** Whether the interface's address moves to the bridge (else the bridge has none). */
  static: boolean;
  address: string;
  cidr: string;
  prefix: number;
  /** Whether the host's default gateway is on that subnet, and so moves with it. */
  setGateway: boolean;
  gateway: string;
  /** Whether the bridge runs on the userspace datapath (labs without the OVS kernel module). */
  netdev: boolean;
  datapathType: string;
  /** RHEL ifcfg: OVS_EXTRA value, shell-quoted (ifcfg files are sourced by a shell). */
  ovsExtraQuoted: string;
}

/** The view of each bridge:iface pair on `host`, in the order the deployment lists them. */
export function bridgePorts(d: Deployment, host: Host): BridgePortView[] {
  return d.neutron.ovs.bridgeIfaces.map(({ bridge, iface }) => {
    const cidr = host.interfaceAddresses[iface];
    if (cidr !== undefined && cidrPrefix(cidr) === undefined) {
      throw new Error(`${host.origin}: ${host.name}: address of ${iface} must be in CIDR form (a.b.c.d/nn): ${cidr}`);
    }
    const gateway = host.gateway;
    const datapathType = d.neutron.ovs.datapathType;
    return {
      bridge,
      iface,
      static: cidr !== undefined,
      address: cidr === undefined ? '' : cidrAddress(cidr),
      cidr: cidr ?? '',
      prefix: cidr === undefined ? 0 : (cidrPrefix(cidr) ?? 0),
      setGateway: cidr !== undefined && gateway !== undefined && ipv4InCidr(gateway, cidr),
      gateway: gateway ?? '',
      netdev: datapathType === 'netdev',
      datapathType,
      ovsExtraQuoted: shellQuote(`set bridge ${bridge} datapath_type=${datapathType}`),
    };
  });
}

function filesFor(os: OsFamily, port: BridgePortView): FileSpec[] {
  const common = { mode: '0644', owner: 'root', group: 'root', restarts: [] as string[] };
  if (os === 'debian') {
    return [
      {
        ...common,
        path: `/etc/network/interfaces.d/cairn-${port.bridge}`,
        template: 'ovs-network/interfaces.hbs',
        view: { ...port },
      },
    ];
  }
  return [
    {
      ...common,
      path: `/etc/sysconfig/network-scripts/ifcfg-${port.bridge}`,
      template: 'ovs-network/ifcfg-bridge.hbs',
      view: { ...port },
    },
    {
      ...common,
      path: `/etc/sysconfig/network-scripts/ifcfg-${port.iface}`,
      template: 'ovs-network/ifcfg-port.hbs',
      view: { ...port },
    },
  ];
}

/** Seconds a host waits for cairn's confirmation before it undoes a bridge change. */
export const BRIDGE_CONFIRM_SECONDS = 30;

/**
 * The bridges on a network host: Open vSwitch running, each mapped bridge made, and each
 * provider interface put into its bridge (moving the host's address with a way back).
 */
export function bridgeSteps({ deployment: d, os }: HostStepContext): Step[] {
  const { bridgeMappings, bridgeIfaces, datapathType } = d.neutron.ovs;
  const steps: Step[] = [];
  // Open vSwitch must run before a bridge can be made; packages install without starting
  // services, so it is started here rather than in the units phase, which then skips it.
  const ovsUnit = os === 'debian' ? 'openvswitch-switch' : 'openvswitch';
  if (bridgeMappings.length > 0) {
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
  return steps;
}

/** The provider bridges on network hosts: their steps, and the host network files that keep them. */
export const ovsNetwork: ServiceDescriptor = {
  name: 'ovs-network',
  // Whenever neutron has a bridge to make (mapped) or an interface to put in one.
  enabled: (d) => d.services.neutron && (d.neutron.ovs.bridgeMappings.length > 0 || d.neutron.ovs.bridgeIfaces.length > 0),
  // openvswitch-switch itself is neutron's component; these are files and bridge steps only.
  components: [],
  roles: ['network'],
  hostSteps: { 'ovs-bridges': bridgeSteps },
  files: ({ deployment: d, host, os }) => {
    if (!hasRole(host, 'network')) return [];
    return bridgePorts(d, host).flatMap((p) => filesFor(os, p));
  },
};
