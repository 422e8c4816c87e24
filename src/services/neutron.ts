/**
 * Neutron, the network service, with ML2 and the Open vSwitch agent (Packstack's default).
 * The control host runs the API and RPC server; network hosts run the L3, DHCP and metadata
 * agents plus an OVS agent whose bridge mappings name the provider bridges there; compute hosts
 * run only the OVS agent. Every host with any neutron component gets one neutron.conf.
 */
import type { Deployment, Host, OsFamily } from '../config/model.js';
import { controllerOf, hasRole } from '../config/model.js';
import type { Component, FileSpec, ServiceDescriptor } from './descriptor.js';
import { componentsOn } from './descriptor.js';
import { CONTROLLER_WAIT_MS, httpReady, httpReadyAtEnd, migration } from './bootstrap-commands.js';
import {
  SERVICE_GROUP,
  cidrAddress,
  databaseUrl,
  iniBool,
  iniValue,
  keystoneAuthView,
  transportUrl,
  unique,
  urlHost,
  uwsgiDefaults,
  workerCount,
} from './common.js';
import { containerLogs, containersShell, lastLines, parseJson, type ApiCheck, type ApiCheckContext } from './api-checks.js';
import { AMQP_PORT, uwsgi, type ContainerDef, type DataDir, type ImageLayer, type ServiceUser } from './container-def.js';

/** Neutron API port. */
export const NEUTRON_PORT = 9696;

/** Tenant network types that are tunnels (need local_ip and tunnel_types on the OVS agent). */
const TUNNEL_TYPES: readonly string[] = ['vxlan', 'gre', 'geneve'];

/** Agents' privileged helper: Debian's and RDO's sudoers allow exactly this command. */
const ROOT_HELPER = 'sudo neutron-rootwrap /etc/neutron/rootwrap.conf';

/**
 * The address tunnels use on `host`: the address the inventory declares on
 * d.neutron.ovs.tunnelInterface when both are given, else the host's own address.
 */
export function tunnelAddress(d: Deployment, host: Host): string {
  const iface = d.neutron.ovs.tunnelInterface;
  const cidr = iface === undefined ? undefined : host.interfaceAddresses[iface];
  return cidr === undefined ? host.address : cidrAddress(cidr);
}

/** Tunnel types the OVS agents must speak, from the tenant network types (stable order). */
export function tunnelTypes(d: Deployment): string[] {
  return unique(d.neutron.ml2.tenantNetworkTypes.filter((t) => TUNNEL_TYPES.includes(t)));
}

/** Open vSwitch's own unit on each OS family (ovs-network starts it before making bridges). */
export const OVS_UNIT: Record<OsFamily, string> = { debian: 'openvswitch-switch', rhel: 'openvswitch' };

function ovsComponent(role: 'network' | 'compute'): Component[] {
  return [
    {
      // Before the agent, which needs ovsdb (packages install without starting services).
      name: 'openvswitch',
      role,
      unit: OVS_UNIT,
      packages: { debian: ['openvswitch-switch'], rhel: ['openvswitch'] },
      ports: [],
    },
    {
      name: 'neutron-openvswitch-agent',
      role,
      unit: { debian: 'neutron-openvswitch-agent', rhel: 'neutron-openvswitch-agent' },
      packages: { debian: ['neutron-openvswitch-agent'], rhel: ['openstack-neutron-openvswitch'] },
      ports: [],
    },
  ];
}

const components: Component[] = [
  {
    // Debian splits RDO's neutron-server into neutron-api (uwsgi, the REST API) and
    // neutron-rpc-server (the agents' RPC endpoint); the neutron-server metapackage installs both.
    name: 'neutron-server',
    role: 'control',
    unit: { debian: 'neutron-api', rhel: 'neutron-server' },
    packages: { debian: ['neutron-api'], rhel: ['openstack-neutron', 'openstack-neutron-ml2'] },
    ports: [NEUTRON_PORT],
  },
  {
    name: 'neutron-rpc-server',
    role: 'control',
    unit: { debian: 'neutron-rpc-server', rhel: 'neutron-rpc-server' },
    packages: { debian: ['neutron-rpc-server'], rhel: [] },
    ports: [],
    osFamilies: ['debian'],
  },
  ...ovsComponent('network'),
  {
    name: 'neutron-l3-agent',
    role: 'network',
    unit: { debian: 'neutron-l3-agent', rhel: 'neutron-l3-agent' },
    packages: { debian: ['neutron-l3-agent'], rhel: ['openstack-neutron'] },
    ports: [],
  },
  {
    name: 'neutron-dhcp-agent',
    role: 'network',
    unit: { debian: 'neutron-dhcp-agent', rhel: 'neutron-dhcp-agent' },
    packages: { debian: ['neutron-dhcp-agent'], rhel: ['openstack-neutron'] },
    ports: [],
  },
  {
    name: 'neutron-metadata-agent',
    role: 'network',
    unit: { debian: 'neutron-metadata-agent', rhel: 'neutron-metadata-agent' },
    packages: { debian: ['neutron-metadata-agent'], rhel: ['openstack-neutron'] },
    ports: [],
  },
  ...ovsComponent('compute'),
];

/** Units on `host` that read `file`, given the component names that read it. */
function unitsReading(host: Host, names: readonly string[]): string[] {
  return unique(
    componentsOn(neutron, host)
      .filter((c) => names.includes(c.name))
      .map((c) => c.unit[host.osFamily]),
  );
}

const SERVER = ['neutron-server', 'neutron-rpc-server'];
const AGENTS = ['neutron-openvswitch-agent', 'neutron-l3-agent', 'neutron-dhcp-agent', 'neutron-metadata-agent'];

/** The neutron.conf view-model for `host`. */
export function neutronConfView(d: Deployment, host: Host): Record<string, unknown> {
  const workers = workerCount(d);
  const control = hasRole(host, 'control');
  return {
    debug: iniBool(d.debug),
    transportUrl: iniValue(transportUrl(d)),
    control,
    setWorkers: control && workers !== undefined,
    workers: workers ?? 0,
    connection: iniValue(databaseUrl(d, 'neutron', d.neutron.dbPassword, 'neutron')),
    authtoken: keystoneAuthView(d, 'neutron', d.neutron.ksPassword),
    // Port status changes are pushed to nova so instances boot once their ports are up.
    notifyNova: d.services.nova,
    nova: keystoneAuthView(d, 'nova', d.nova.ksPassword),
    rootHelper: ROOT_HELPER,
  };
}

/** The ml2_conf.ini view-model. */
export function ml2View(d: Deployment): Record<string, unknown> {
  const ml2 = d.neutron.ml2;
  const has = (t: string) => ml2.typeDrivers.includes(t);
  const ranges = (rs: readonly { min: number; max: number }[]) => rs.map((r) => `${r.min}:${r.max}`).join(',');
  return {
    typeDrivers: ml2.typeDrivers.join(','),
    tenantNetworkTypes: ml2.tenantNetworkTypes.join(','),
    mechanismDrivers: ml2.mechanismDrivers.join(','),
    flat: has('flat'),
    flatNetworks: ml2.flatNetworks.join(','),
    vlan: has('vlan') && ml2.vlanRanges.length > 0,
    vlanRanges: ml2.vlanRanges.map((v) => (v.range ? `${v.physnet}:${v.range.min}:${v.range.max}` : v.physnet)).join(','),
    vxlan: has('vxlan'),
    setVniRanges: ml2.vniRanges.length > 0,
    vniRanges: ranges(ml2.vniRanges),
    setVxlanGroup: ml2.vxlanGroup !== undefined,
    vxlanGroup: ml2.vxlanGroup ?? '',
    gre: has('gre') && ml2.tunnelIdRanges.length > 0,
    tunnelIdRanges: ranges(ml2.tunnelIdRanges),
  };
}

/** The openvswitch_agent.ini view-model for `host` (a network or compute host). */
export function ovsAgentView(d: Deployment, host: Host): Record<string, unknown> {
  const ovs = d.neutron.ovs;
  const tunnels = tunnelTypes(d);
  // Only network hosts have the provider bridges (br-ex ...); mapping a bridge that does not
  // exist makes the agent wait for it forever, so computes get no mappings.
  const mappings = hasRole(host, 'network') ? ovs.bridgeMappings : [];
  return {
    setBridgeMappings: mappings.length > 0,
    bridgeMappings: mappings.map((m) => `${m.physnet}:${m.bridge}`).join(','),
    tunnels: tunnels.length > 0,
    tunnelTypes: tunnels.join(','),
    localIp: iniValue(tunnelAddress(d, host)),
    vxlanUdpPort: ovs.vxlanUdpPort,
    datapathType: ovs.datapathType,
    // Must agree with the ML2 server: l2population is a mechanism driver there.
    l2Population: iniBool(d.neutron.ml2.mechanismDrivers.includes('l2population')),
  };
}

/** Neutron's service user, shared by its images. */
const NEUTRON_USER: ServiceUser = { name: 'neutron', uid: 42435, gid: 42435, home: '/var/lib/neutron' };

/** What every neutron image shares: the neutron user, neutron-common and python3-neutron. */
export const NEUTRON_LAYER: ImageLayer = { name: 'neutron-base', packages: ['neutron-common'], user: NEUTRON_USER };

/** What neutron's server processes read: neutron.conf and the ML2 plugin's file. */
const NEUTRON_SERVER_CONF = ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ml2_conf.ini'];

/**
 * The Neutron API (Debian's neutron-api: the REST API under uwsgi) with ML2. It runs neutron's
 * database migration. Its arguments reach the WSGI application through --pyargv, as Debian's
 * init script passes them.
 */
const neutronServerContainer: ContainerDef = {
  name: 'neutron-server',
  component: 'neutron-server',
  packages: ['neutron-api'],
  user: NEUTRON_USER,
  layer: NEUTRON_LAYER,
  configLinks: NEUTRON_SERVER_CONF,
  files: NEUTRON_SERVER_CONF,
  command: [...uwsgi('/usr/bin/neutron-api', NEUTRON_PORT, { eventletPatched: true }), '--pyargv', NEUTRON_SERVER_CONF.map((f) => `--config-file=${f}`).join(' ')],
  health: { kind: 'http', port: NEUTRON_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/** neutron-rpc-server: the agents' RPC endpoint (Debian splits it from the API). */
const neutronRpcServerContainer: ContainerDef = {
  name: 'neutron-rpc-server',
  component: 'neutron-rpc-server',
  steps: 'none',
  packages: ['neutron-rpc-server'],
  user: NEUTRON_USER,
  layer: NEUTRON_LAYER,
  configLinks: NEUTRON_SERVER_CONF,
  files: NEUTRON_SERVER_CONF,
  command: ['neutron-rpc-server', ...NEUTRON_SERVER_CONF.flatMap((f) => ['--config-file', f])],
  health: { kind: 'amqp', port: AMQP_PORT },
  data: [],
  overlapOnUpgrade: true,
};

/** Neutron's agents' files: neutron.conf and the agent's own. */
function agentConf(own: string): string[] {
  return ['/etc/neutron/neutron.conf', own];
}

/**
 * What neutron's privsep daemons ask for (neutron/privileged/__init__.py): the agents plug
 * ports, make namespaces and run dnsmasq/haproxy in them. The daemon's capset fails if one is
 * missing from the container's set. DAC_OVERRIDE is among Docker's defaults.
 */
const NEUTRON_AGENT_CAPS = ['DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'];

/** The host's Open vSwitch (ovsdb and vswitchd's control sockets), which the agents drive. */
const OVS_RUN: DataDir = { host: '/run/openvswitch', container: '/run/openvswitch', readOnly: false, hostOwned: true };

/**
 * Network namespaces, shared with the host both ways: a namespace the DHCP or L3 agent makes
 * appears on the node (and survives the agent's container, as the ports in it do), and a
 * restarted agent finds the ones it made before.
 */
const NETNS: DataDir = { host: '/run/netns', container: '/run/netns', readOnly: false, hostOwned: true, propagation: 'shared' };

/**
 * Neutron's state directory, the same path on the node and in the DHCP, L3 and metadata agents:
 * dnsmasq's leases and the metadata proxy's socket (the L3 and DHCP agents' haproxy connects to
 * the metadata agent through it).
 */
/**
 * Neutron's state directory, 0755 as Debian's package leaves it: dnsmasq drops to `nobody` and
 * re-reads its hosts file under /var/lib/neutron/dhcp on every SIGHUP the DHCP agent sends for a
 * new port. Behind a 0750 directory it kept the hosts it started with and never answered a new
 * guest's DHCP (seen on a containers lab: requests delivered, nothing sent back).
 */
const NEUTRON_STATE: DataDir = { host: '/var/lib/neutron', container: '/var/lib/neutron', readOnly: false, mode: '0755' };

/**
 * A neutron agent: root (it runs `ip`, `ovs-vsctl`, dnsmasq and haproxy through neutron's
 * rootwrap and privsep, as root in kolla's images too), healthy while it holds its RabbitMQ
 * connection (its state reports go over it). Two of one agent on a host would fight over the
 * same ports and processes, so an upgrade stops the old one first.
 */
function neutronAgentContainer(name: string, ownConf: string, data: DataDir[], procSysWritable = false): ContainerDef {
  const files = agentConf(ownConf);
  return {
    name,
    component: name,
    steps: 'none',
    packages: [name],
    user: NEUTRON_USER,
    layer: NEUTRON_LAYER,
    configLinks: files,
    files,
    command: [name, ...files.flatMap((f) => ['--config-file', f])],
    root: true,
    capAdd: NEUTRON_AGENT_CAPS,
    procSysWritable,
    health: { kind: 'amqp', port: AMQP_PORT },
    data,
    overlapOnUpgrade: false,
  };
}

/**
 * Neutron's containers, in deployment order: the servers, then the agents. All of them come
 * after nova's, as allServices orders the descriptors: the server notifies nova of port changes,
 * and the metadata agent forwards to nova's metadata API.
 */
const neutronContainers: readonly ContainerDef[] = [
  neutronServerContainer,
  neutronRpcServerContainer,
  // The Open vSwitch agent (network and compute hosts): flows and ports on the host's OVS.
  neutronAgentContainer('neutron-openvswitch-agent', '/etc/neutron/plugins/ml2/openvswitch_agent.ini', [OVS_RUN]),
  // The DHCP agent: dnsmasq (and the isolated-network metadata proxy) in qdhcp- namespaces.
  // It sets promote_secondaries and ip_nonlocal_bind in its namespaces through /proc/sys.
  neutronAgentContainer('neutron-dhcp-agent', '/etc/neutron/dhcp_agent.ini', [OVS_RUN, NETNS, NEUTRON_STATE], true),
  // The L3 agent: routers (and their metadata proxy) in qrouter- namespaces. A router's
  // namespace gets promote_secondaries, forwarding and ARP sysctls through /proc/sys.
  neutronAgentContainer('neutron-l3-agent', '/etc/neutron/l3_agent.ini', [OVS_RUN, NETNS, NEUTRON_STATE], true),
  // The metadata agent: answers the proxies' socket and forwards to nova's metadata API.
  neutronAgentContainer('neutron-metadata-agent', '/etc/neutron/metadata_agent.ini', [NEUTRON_STATE]),
];

/**
 * Neutron's API check: each agent alive on its host (the OVS agent wherever it runs, the L3,
 * DHCP and metadata agents on the network hosts), as the server sees their state reports.
 */
function neutronApiChecks({ expect }: ApiCheckContext): ApiCheck[] {
  return [
    {
      id: 'network-agents',
      script: 'openstack network agent list -f json',
      judge: (out, code) => {
        const list = parseJson<{ 'Agent Type': string; Host: string; Alive: boolean | string; State: boolean | string }[]>(out);
        if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
        const alive = (type: string, host: string): boolean =>
          list.some((a) => a['Agent Type'] === type && a.Host.split('.')[0] === host && (a.Alive === true || a.Alive === ':-)'));
        const want: [string, string][] = [
          ...expect.ovsAgents.map((h): [string, string] => ['Open vSwitch agent', h]),
          ...expect.networkHosts.flatMap((h): [string, string][] => [['L3 agent', h], ['DHCP agent', h], ['Metadata agent', h]]),
        ];
        const dead = want.filter(([type, host]) => !alive(type, host));
        return dead.length === 0
          ? { ok: true, detail: `${want.length} agents alive` }
          : { ok: false, detail: `not alive: ${dead.map(([t, h]) => `${t} on ${h}`).join(', ')}` };
      },
      hint: 'on that host: journalctl -u neutron-openvswitch-agent (or the l3/dhcp/metadata agent); /var/log/neutron/',
      containersHint: (api) => `${containersShell(api)} network agent list; on that host: ${containerLogs('neutron-openvswitch-agent')} (or neutron-l3-agent, -dhcp-agent, -metadata-agent)`,
    },
  ];
}

/** Neutron with ML2/Open vSwitch: server on control, agents on network and compute hosts. */
export const neutron: ServiceDescriptor = {
  name: 'neutron',
  enabled: (d) => d.services.neutron,
  components,
  files: ({ deployment: d, host }) => {
    if (componentsOn(neutron, host).length === 0) return [];
    const spec = (path: string, template: string, restarts: string[], view: Record<string, unknown>): FileSpec => ({
      path,
      template,
      // Every neutron file holds a password or the metadata secret, or sits beside ones that do.
      mode: '0640',
      owner: 'root',
      group: SERVICE_GROUP.neutron,
      restarts,
      view,
    });
    const files: FileSpec[] = [
      spec('/etc/neutron/neutron.conf', 'neutron/neutron.conf.hbs', unitsReading(host, [...SERVER, ...AGENTS]), neutronConfView(d, host)),
    ];
    if (hasRole(host, 'control')) {
      files.push(spec('/etc/neutron/plugins/ml2/ml2_conf.ini', 'neutron/ml2_conf.ini.hbs', unitsReading(host, SERVER), ml2View(d)));
      // Debian's neutron-api runs its eventlet-patched app with 32 uwsgi threads per worker,
      // which deadlock (a guest's port update is accepted and never answered). Its init script
      // is named neutron-api but reads /etc/default/neutron-server.
      if (host.osFamily === 'debian' && d.mode === 'packages') {
        files.push(uwsgiDefaults(d, { unit: 'neutron-api', name: 'neutron-server', ini: '/etc/neutron/neutron-api-uwsgi.ini', eventletPatchedBy: 'neutron.cmd.eventlet' }));
      }
    }
    if (hasRole(host, 'network') || hasRole(host, 'compute')) {
      files.push(
        spec(
          '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
          'neutron/openvswitch_agent.ini.hbs',
          unitsReading(host, ['neutron-openvswitch-agent']),
          ovsAgentView(d, host),
        ),
      );
    }
    if (hasRole(host, 'network')) {
      const agent = { debug: iniBool(d.debug) };
      files.push(
        spec('/etc/neutron/l3_agent.ini', 'neutron/l3_agent.ini.hbs', unitsReading(host, ['neutron-l3-agent']), agent),
        spec('/etc/neutron/dhcp_agent.ini', 'neutron/dhcp_agent.ini.hbs', unitsReading(host, ['neutron-dhcp-agent']), agent),
        spec('/etc/neutron/metadata_agent.ini', 'neutron/metadata_agent.ini.hbs', unitsReading(host, ['neutron-metadata-agent']), {
          debug: iniBool(d.debug),
          novaMetadataHost: iniValue(controllerOf(d).address),
          metadataSecret: iniValue(d.neutron.metadataSecret),
        }),
      );
    }
    return files;
  },
  bootstrap: ({ deployment: d, host, os }) => {
    if (!hasRole(host, 'control')) {
      if (!hasRole(host, 'compute') && !hasRole(host, 'network')) return [];
      // The agents need RabbitMQ's user and the server: both exist once the neutron API answers.
      const api = `http://${urlHost(controllerOf(d).address)}:${NEUTRON_PORT}/`;
      return [httpReady('controller-ready', 'neutron API on the control host answers', api, CONTROLLER_WAIT_MS, 'before-start')];
    }
    return [
      // RDO's neutron-server unit reads the plugin configuration through this link.
      ...(os === 'rhel'
        ? [
            {
              name: 'plugin-link',
              title: '/etc/neutron/plugin.ini -> ML2 configuration',
              when: 'before-start' as const,
              argv: ['ln', '-sfn', 'plugins/ml2/ml2_conf.ini', '/etc/neutron/plugin.ini'],
              unless: ['sh', '-c', 'test "$(readlink /etc/neutron/plugin.ini)" = plugins/ml2/ml2_conf.ini'],
              restarts: ['neutron-server'],
            },
          ]
        : []),
      migration(
        'neutron database schema',
        'neutron',
        ['neutron-db-manage', '--config-file', '/etc/neutron/neutron.conf', '--config-file', '/etc/neutron/plugins/ml2/ml2_conf.ini', 'upgrade', 'head'],
        databaseUrl(d, 'neutron', d.neutron.dbPassword, 'neutron'),
        900_000,
      ),
      httpReadyAtEnd('ready', 'neutron API answers', `http://${urlHost(host.address)}:${NEUTRON_PORT}/`),
    ];
  },
  databases: [{ name: 'neutron', user: 'neutron', password: (d) => d.neutron.dbPassword }],
  endpoints: [
    {
      serviceName: 'neutron',
      serviceType: 'network',
      url: (ctrl) => `http://${urlHost(ctrl)}:${NEUTRON_PORT}`,
      user: 'neutron',
      password: (d) => d.neutron.ksPassword,
    },
  ],
  containers: neutronContainers,
  apiChecks: neutronApiChecks,
};
