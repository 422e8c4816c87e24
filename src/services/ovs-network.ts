/**
 * The provider bridges on network hosts, and the tunnel bridge of userspace-datapath hosts:
 * Open vSwitch started and each bridge of CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS made (steps of the
 * ovs-bridges phase), and the host network files that put each provider interface
 * (CONFIG_NEUTRON_OVS_BRIDGE_IFACES, e.g. br-ex:eth1) into its Open vSwitch bridge on network
 * hosts, so the bridge exists at boot before neutron's agent looks for it. When the inventory declares an address on the interface, that
 * address moves to the bridge (an interface enslaved to OVS cannot keep it).
 *
 * The tunnel bridge: with the userspace (netdev) datapath, OVS encapsulates VXLAN itself and
 * sends it only out of an OVS bridge that holds the local tunnel address (its own route table
 * and neighbour cache are learnt from such bridges; otherwise "native tunnel routing failed" and
 * nothing leaves the host), which is how OVS-DPDK hosts are set up. So on a tunnelled netdev host
 * whose CONFIG_NEUTRON_OVS_TUNNEL_IF is not already a provider bridge's port, that interface goes
 * into its own bridge, br-tunnel, and its address moves there. Kernel-datapath hosts route
 * tunnels through the kernel and get nothing here.
 *
 * Nothing restarts: changing a host's network is done by the apply stage in a guarded
 * transaction (with a way back), never by a blind service restart.
 */
import type { Deployment, Host, OsFamily } from '../config/model.js';
import { hasRole } from '../config/model.js';
import type { FileSpec, HostStepContext, ServiceDescriptor } from './descriptor.js';
import type { Step } from './steps.js';
import { cidrAddress, cidrPrefix, ipv4InCidr, shellQuote } from './common.js';
import { OVS_UNIT, tunnelTypes } from './neutron.js';

/** The OVS bridge that carries a netdev host's tunnel address (OVS-DPDK's "br-phy"). */
export const TUNNEL_BRIDGE = 'br-tunnel';

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

/**
 * The interface that goes into br-tunnel on `host`, or undefined: only on network and compute
 * hosts of a netdev deployment with tunnelled tenant networks and a tunnel interface, and only
 * when that interface is not a provider bridge's port there (that bridge holds its address).
 */
export function tunnelBridgeIface(d: Deployment, host: Host): string | undefined {
  const { tunnelInterface, datapathType, bridgeIfaces } = d.neutron.ovs;
  if (!d.services.neutron || datapathType !== 'netdev' || tunnelInterface === undefined) return undefined;
  if (tunnelTypes(d).length === 0) return undefined;
  if (!hasRole(host, 'network') && !hasRole(host, 'compute')) return undefined;
  if (hasRole(host, 'network') && bridgeIfaces.some((b) => b.iface === tunnelInterface)) return undefined;
  return tunnelInterface;
}

/** The bridge:iface pairs of `host`: provider bridges on network hosts, then the tunnel bridge. */
function hostBridgeIfaces(d: Deployment, host: Host): { bridge: string; iface: string }[] {
  const pairs = hasRole(host, 'network') ? [...d.neutron.ovs.bridgeIfaces] : [];
  const tunnel = tunnelBridgeIface(d, host);
  if (tunnel !== undefined) pairs.push({ bridge: TUNNEL_BRIDGE, iface: tunnel });
  return pairs;
}

/** The view of each bridge:iface pair on `host`, in the order the deployment lists them. */
export function bridgePorts(d: Deployment, host: Host): BridgePortView[] {
  return hostBridgeIfaces(d, host).map(({ bridge, iface }) => {
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

/** The boot-time unit that re-applies netdev bridges' ports and addresses (see netdevFiles). */
export const NETDEV_UNIT = 'cairn-ovs-netdev';
const NETDEV_SCRIPT = '/usr/local/lib/cairn/ovs-netdev-addresses.sh';

/**
 * On netdev hosts: a script and a oneshot unit that put each interface back into its bridge
 * with its address after a reboot (the bridge's tap device exists only once ovs-vswitchd runs,
 * and a lab node gets its address back on the interface from Docker). Re-run on every change.
 */
function netdevFiles(d: Deployment, os: OsFamily, ports: BridgePortView[]): FileSpec[] {
  if (ports.length === 0 || d.neutron.ovs.datapathType !== 'netdev') return [];
  return [
    { path: NETDEV_SCRIPT, template: 'ovs-network/netdev-addresses.sh.hbs', mode: '0644', owner: 'root', group: 'root', restarts: [NETDEV_UNIT], view: { ports } },
    {
      path: `/etc/systemd/system/${NETDEV_UNIT}.service`,
      template: 'ovs-network/netdev-addresses.service.hbs',
      mode: '0644',
      owner: 'root',
      group: 'root',
      restarts: [NETDEV_UNIT],
      view: { ovsUnit: OVS_UNIT[os], script: NETDEV_SCRIPT },
    },
  ];
}

/** The unit that brings up guests' taps the userspace datapath left down (see netdevTapFiles). */
export const NETDEV_TAPS_UNIT = 'cairn-netdev-taps';
const NETDEV_TAPS_SCRIPT = '/usr/local/lib/cairn/netdev-taps.sh';

/**
 * On compute hosts of a netdev deployment: a watcher that brings up a guest's tap left down.
 * ovs-vswitchd opens a tap as soon as libvirt creates it (os-vif made the port first) and sets
 * promiscuous mode by writing back the flags it read then, which can undo libvirt's bringing
 * the tap up: the guest then has no network at all (seen on the lab, on the first guest after
 * a compute restarted). The template says how it decides; the kernel datapath needs none of it.
 */
function netdevTapFiles(d: Deployment, host: Host, os: OsFamily): FileSpec[] {
  if (!hasRole(host, 'compute') || d.neutron.ovs.datapathType !== 'netdev') return [];
  const common = { mode: '0644', owner: 'root', group: 'root', restarts: [NETDEV_TAPS_UNIT] };
  return [
    { ...common, path: NETDEV_TAPS_SCRIPT, template: 'ovs-network/netdev-taps.sh.hbs', view: { settleSeconds: 2, netDir: '/sys/class/net' } },
    { ...common, path: `/etc/systemd/system/${NETDEV_TAPS_UNIT}.service`, template: 'ovs-network/netdev-taps.service.hbs', view: { ovsUnit: OVS_UNIT[os], script: NETDEV_TAPS_SCRIPT } },
  ];
}

/** Seconds a host waits for cairn's confirmation before it undoes a bridge change. */
export const BRIDGE_CONFIRM_SECONDS = 30;

/**
 * The bridges of a host: Open vSwitch running; on a network host each mapped bridge made and
 * each provider interface put into its bridge, on a tunnelled netdev host the tunnel interface
 * put into br-tunnel (moving the address with a way back); then the netdev boot unit.
 */
export function bridgeSteps({ deployment: d, host, os, files }: HostStepContext): Step[] {
  const { datapathType } = d.neutron.ovs;
  const network = hasRole(host, 'network');
  const bridgeMappings = network ? d.neutron.ovs.bridgeMappings : [];
  const bridgeIfaces = network ? d.neutron.ovs.bridgeIfaces : [];
  const tunnel = tunnelBridgeIface(d, host);
  const steps: Step[] = [];
  // Open vSwitch must run before a bridge can be made; packages install without starting
  // services, so it is started here rather than in the units phase, which then skips it.
  const ovsUnit = OVS_UNIT[os];
  if (bridgeMappings.length > 0 || tunnel !== undefined) {
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
      steps.push(bridgePortStep(bridge, iface, datapathType));
    }
  }
  if (tunnel !== undefined) steps.push(bridgePortStep(TUNNEL_BRIDGE, tunnel, datapathType));
  // After the bridges: from now on the boot unit keeps them across reboots; the tap watcher
  // needs Open vSwitch, started above.
  for (const [unit, title] of [[NETDEV_UNIT, 'enabled and run'], [NETDEV_TAPS_UNIT, 'enabled and running']] as const) {
    const restartOn = files.filter((f) => f.restarts.includes(unit)).map((f) => f.id);
    if (restartOn.length > 0) steps.push({ kind: 'unit', id: `unit:${unit}`, title: `${unit} ${title}`, phase: 'ovs-bridges', unit, restartOn });
  }
  return steps;
}

function bridgePortStep(bridge: string, iface: string, datapathType: 'system' | 'netdev'): Step {
  return { kind: 'bridge-port', id: `bridge-port:${bridge}:${iface}`, title: `OVS bridge ${bridge} with port ${iface}`, phase: 'ovs-bridges', bridge, iface, datapathType, confirmSeconds: BRIDGE_CONFIRM_SECONDS };
}

/** The provider bridges on network hosts: their steps, and the host network files that keep them. */
export const ovsNetwork: ServiceDescriptor = {
  name: 'ovs-network',
  // Whenever neutron has a bridge to make (mapped) or an interface to put in one.
  enabled: (d) =>
    d.services.neutron &&
    (d.neutron.ovs.bridgeMappings.length > 0 || d.neutron.ovs.bridgeIfaces.length > 0 || d.hosts.some((h) => tunnelBridgeIface(d, h) !== undefined)),
  // openvswitch-switch itself is neutron's component; these are files and bridge steps only.
  components: [],
  // Compute hosts for the tunnel bridge (bridgeSteps and files decide per host).
  roles: ['network', 'compute'],
  hostSteps: { 'ovs-bridges': bridgeSteps },
  files: ({ deployment: d, host, os }) => {
    const ports = bridgePorts(d, host);
    return [...ports.flatMap((p) => filesFor(os, p)), ...netdevFiles(d, os, ports), ...netdevTapFiles(d, host, os)];
  },
};
