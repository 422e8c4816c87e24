/**
 * Host network files that put each provider interface (CONFIG_NEUTRON_OVS_BRIDGE_IFACES, e.g.
 * br-ex:eth1) into its Open vSwitch bridge on network hosts, so the bridge exists at boot before
 * neutron's agent looks for it. When the inventory declares an address on the interface, that
 * address moves to the bridge (an interface enslaved to OVS cannot keep it).
 *
 * Nothing restarts: changing a host's network is done by the apply stage in a guarded
 * transaction (with a way back), never by a blind service restart.
 */
import type { Deployment, Host, OsFamily } from '../config/model.js';
import { hasRole } from '../config/model.js';
import type { FileSpec, ServiceDescriptor } from './descriptor.js';
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

/** Host network files that bridge provider interfaces into OVS on network hosts. */
export const ovsNetwork: ServiceDescriptor = {
  name: 'ovs-network',
  enabled: (d) => d.services.neutron && d.neutron.ovs.bridgeIfaces.length > 0,
  // openvswitch-switch itself is neutron's component; these are files only.
  components: [],
  files: ({ deployment: d, host, os }) => {
    if (!hasRole(host, 'network')) return [];
    return bridgePorts(d, host).flatMap((p) => filesFor(os, p));
  },
};
