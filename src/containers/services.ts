/**
 * One container descriptor per OpenStack service cairn runs in containers. Each points at the
 * packages-mode service descriptor (src/services/) whose rendered files it reads and whose
 * bootstrap steps it runs as one-shot containers, so configuration and migrations have one
 * source of truth. Infrastructure (MariaDB, RabbitMQ, memcached) stays on the host, installed by
 * the packages-mode steps: cairn does not containerise it.
 *
 * Pure data; desired.ts turns a descriptor, a host and the rendered files into a ContainerSpec.
 */
import { KEYSTONE_PORT } from '../services/common.js';
import type { ServiceDescriptor } from '../services/descriptor.js';
import { GLANCE_PORT, glance } from '../services/glance.js';
import { horizon } from '../services/horizon.js';
import { keystone } from '../services/keystone.js';
import { NEUTRON_PORT, neutron } from '../services/neutron.js';
import { NOVA_API_PORT, NOVA_METADATA_PORT, NOVNC_PORT, nova } from '../services/nova.js';
import { PLACEMENT_PORT, placement } from '../services/placement.js';
import type { Bind } from './spec.js';

/**
 * A service user with fixed ids. The Dockerfile creates it before installing the package (which
 * then reuses it), so host files can be `root:GID 0640` and host data directories `UID:GID`
 * without the host knowing the user. The numbers are kolla's, to stay clear of the ids a host
 * or another image allocates dynamically.
 */
export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Debian's base system has this user already, with these ids (www-data): none is made. */
  system?: boolean;
}

/**
 * An image layer a project's service images share: its service user (made before any package,
 * with fixed ids) and the packages every one of its images needs (nova-common pulls
 * python3-nova and its Python dependencies, about 500 MB of each nova image).
 */
export interface ImageLayer {
  /** Repository suffix: cairn/<name>:TAG. */
  name: string;
  packages: string[];
  user: ServiceUser;
}

/**
 * How a container proves it serves. `http`: a request to 127.0.0.1:port/path answers below 400.
 * `amqp`: a process of the container holds an established connection to RabbitMQ (a service
 * that only consumes RPC, like nova-conductor, has no port; kolla checks the same thing).
 */
export type HealthProbe = { kind: 'http'; port: number; path: string } | { kind: 'amqp'; port: number };

/** A persistent host directory bound into the container. */
export interface DataDir extends Bind {
  /** Mode of the host directory (default 0750: the service user alone). */
  mode?: string;
  /** Directories under it cairn also creates, same owner and mode (e.g. nova's instances). */
  subdirs?: readonly string[];
  /**
   * The directory belongs to a host service (libvirtd's /run/libvirt): bound, never created
   * or chowned by cairn. With `propagation: 'shared'` cairn makes it a shared mount point
   * (root-owned, as `ip netns` would) and nothing else.
   */
  hostOwned?: boolean;
}

/** One service container. */
export interface ContainerService {
  /** Container service name: the image repository suffix and the container name suffix. */
  name: string;
  /** The packages-mode descriptor whose files (and bootstrap steps) this container uses. */
  descriptor: ServiceDescriptor;
  /**
   * The descriptor's component this container is (e.g. `nova-conductor`): the container runs
   * on the hosts whose roles place that component. Unset: wherever any component of the
   * descriptor is placed (a descriptor with one component).
   */
  component?: string;
  /**
   * The descriptor's bootstrap steps this container runs as one-shots (migrations, keys,
   * registration): all of them when unset. Several containers of one descriptor (nova's) leave
   * them to one (nova-api) so that each migration runs once.
   */
  steps?: 'all' | 'none';
  /**
   * Steps (by name) that wait for other containers (nova's discover-hosts waits for every
   * nova-compute): run once after every container service has converged, not right after
   * this one starts.
   */
  finalSteps?: readonly string[];
  /**
   * Steps (by name) that run when this container starts AND again at the end of any run that
   * changed a container: keystone's catalog step registers the endpoints of every deployed
   * service, so a service added to a running cloud gets its endpoints without keystone moving.
   */
  refreshSteps?: readonly string[];
  /**
   * The image (repository suffix) this container runs, when another service's: nova's metadata
   * API is in Debian's nova-api package, so it runs cairn/nova-api. Unset: its own, `name`.
   */
  image?: string;
  /** Debian packages the image installs (for a shared image: the owner's). */
  packages: string[];
  user: ServiceUser;
  /**
   * The project's shared layer this image builds on (nova's five images on cairn/nova-base):
   * the user and the project's library, made once, so the images share those bytes on disk
   * and in the one stream that carries them to a node. Unset: FROM openstack-base.
   */
  layer?: ImageLayer;
  /**
   * Paths in the image where the service reads its configuration; each becomes a symlink into
   * the read-only config directory (CONTAINER_CONFIG_DIR), so every tool in the image (the
   * service and its `-manage` command) reads the rendered file at its usual path.
   */
  configLinks: string[];
  /**
   * The descriptor's rendered files (by packages-mode path) this container gets; all of them
   * when unset. nova's containers take only what they read, so that a change to
   * nova-compute.conf does not recreate nova-api.
   */
  files?: readonly string[];
  /**
   * A shell command the image runs after installing the packages and making the links: what a
   * package leaves to the administrator (Horizon's Apache site). Runs once per build.
   */
  imageSetup?: string;
  /** The service's command (runs as `user`, or root when `root` is set). */
  command: string[];
  /**
   * Runs as root: nova-compute, which talks to the host's libvirtd through its socket (root or
   * the host's libvirt group, whose id the image cannot know).
   */
  root?: boolean;
  /** Capabilities beyond Docker's defaults (see ContainerSpec.capAdd). */
  capAdd?: readonly string[];
  /** /proc/sys writable (see ContainerSpec.procSysWritable): the L3 and DHCP agents. */
  procSysWritable?: boolean;
  health: HealthProbe;
  /** Persistent data: host directories, owned by the service user, that outlive containers. */
  data: DataDir[];
  /**
   * Whether a second instance can listen on the same port while the first still runs
   * (uwsgi's --reuse-port, SO_REUSEPORT): an upgrade then starts the new container before
   * stopping the old one. Otherwise the old one stops first.
   */
  overlapOnUpgrade: boolean;
}

/** Where the rendered files are inside every container (a read-only bind). */
export const CONTAINER_CONFIG_DIR = '/etc/cairn/config';

/** Where cairn puts a service's rendered files on the node: `/etc/cairn/containers/<service>`. */
export function hostConfigDir(service: string): string {
  return `/etc/cairn/containers/${service}`;
}

/** Where persistent service data lives on the node. */
export function hostDataDir(service: string): string {
  return `/var/lib/cairn/${service}`;
}

/**
 * uwsgi as the Debian packages run it (their -uwsgi.ini settings), on the command line so
 * the log goes to stdout (`docker logs`) instead of the ini's log file, plus --reuse-port.
 */
function uwsgi(wsgiFile: string, port: number): string[] {
  return [
    'uwsgi_python3',
    '--http-socket', `:${port}`,
    '--wsgi-file', wsgiFile,
    '--master',
    '--processes', '2',
    '--threads', '4',
    '--enable-threads',
    '--lazy-apps',
    '--die-on-term',
    '--need-app',
    '--buffer-size', '65535',
    // uwsgi's plain http-socket does not keep connections alive; saying so stops clients
    // (python-requests in the catalog step) from reusing a connection uwsgi has closed.
    '--add-header', 'Connection: close',
    '--reuse-port',
  ];
}

/** Keystone under uwsgi; fernet and credential keys on the host (they must survive upgrades). */
export const keystoneContainer: ContainerService = {
  name: 'keystone',
  descriptor: keystone,
  packages: ['keystone', 'python3-openstackclient'],
  user: { name: 'keystone', uid: 42425, gid: 42425, home: '/var/lib/keystone' },
  configLinks: ['/etc/keystone/keystone.conf'],
  refreshSteps: ['catalog'],
  command: uwsgi('/usr/bin/keystone-wsgi-public', KEYSTONE_PORT),
  // The version document: unauthenticated, answered by keystone itself (not just uwsgi).
  health: { kind: 'http', port: KEYSTONE_PORT, path: '/v3' },
  data: [
    // Read-only for the service; the one-shot setup containers write them (see desired.ts).
    { host: `${hostDataDir('keystone')}/fernet-keys`, container: '/etc/keystone/fernet-keys', readOnly: true },
    { host: `${hostDataDir('keystone')}/credential-keys`, container: '/etc/keystone/credential-keys', readOnly: true },
  ],
  overlapOnUpgrade: true,
};

/** glance-api (eventlet, its own listener: no port sharing); images stay on the host. */
export const glanceApiContainer: ContainerService = {
  name: 'glance-api',
  descriptor: glance,
  packages: ['glance-api'],
  user: { name: 'glance', uid: 42415, gid: 42415, home: '/var/lib/glance' },
  configLinks: ['/etc/glance/glance-api.conf'],
  command: ['glance-api', '--config-file', '/etc/glance/glance-api.conf'],
  health: { kind: 'http', port: GLANCE_PORT, path: '/' },
  data: [{ host: hostDataDir('glance'), container: '/var/lib/glance', readOnly: false }],
  overlapOnUpgrade: false,
};

/** placement-api under uwsgi. */
export const placementApiContainer: ContainerService = {
  name: 'placement-api',
  descriptor: placement,
  packages: ['placement-api'],
  user: { name: 'placement', uid: 42482, gid: 42482, home: '/var/lib/placement' },
  configLinks: ['/etc/placement/placement.conf'],
  command: uwsgi('/usr/bin/placement-api', PLACEMENT_PORT),
  health: { kind: 'http', port: PLACEMENT_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/** RabbitMQ's port, which the RPC-only services' health checks look for. */
const AMQP_PORT = 5672;

/** Nova's service user, the same in every nova image (they share /var/lib/nova on a host). */
const NOVA_USER: ServiceUser = { name: 'nova', uid: 42436, gid: 42436, home: '/var/lib/nova' };

/** What every nova image shares: the nova user, nova-common and python3-nova. */
export const NOVA_LAYER: ImageLayer = { name: 'nova-base', packages: ['nova-common'], user: NOVA_USER };

/** Every nova daemon's config: nova.conf, as in packages mode. */
const NOVA_CONF = ['/etc/nova/nova.conf'];

/**
 * nova-api (the compute API) under uwsgi. It runs nova's bootstrap: the API and cell database
 * migrations and the cell mappings before it starts, and discover-hosts once every nova-compute
 * has started.
 */
export const novaApiContainer: ContainerService = {
  name: 'nova-api',
  descriptor: nova,
  component: 'nova-api',
  finalSteps: ['discover-hosts'],
  packages: ['nova-api'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: NOVA_CONF,
  files: NOVA_CONF,
  command: uwsgi('/usr/bin/nova-api-wsgi', NOVA_API_PORT),
  health: { kind: 'http', port: NOVA_API_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/**
 * The metadata API under uwsgi, from nova-api's image (Debian's nova-api package ships its WSGI
 * script and unit): instances reach it through neutron's metadata proxy and agent, which sign
 * each request with the shared secret.
 */
export const novaMetadataApiContainer: ContainerService = {
  name: 'nova-metadata-api',
  image: 'nova-api',
  descriptor: nova,
  component: 'nova-metadata-api',
  steps: 'none',
  packages: ['nova-api'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: NOVA_CONF,
  files: NOVA_CONF,
  command: uwsgi('/usr/bin/nova-metadata-wsgi', NOVA_METADATA_PORT),
  // The version list: unauthenticated, answered by nova's metadata application.
  health: { kind: 'http', port: NOVA_METADATA_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/**
 * A nova daemon that only consumes RPC (conductor, scheduler): its package and command share its
 * name, its health is its RabbitMQ connection, and two side by side during an upgrade is what a
 * multi-controller cloud runs anyway.
 */
function novaRpcContainer(name: 'nova-conductor' | 'nova-scheduler'): ContainerService {
  return {
    name,
    descriptor: nova,
    component: name,
    steps: 'none',
    packages: [name],
    user: NOVA_USER,
    layer: NOVA_LAYER,
    configLinks: NOVA_CONF,
    files: NOVA_CONF,
    command: [name, '--config-file', '/etc/nova/nova.conf'],
    health: { kind: 'amqp', port: AMQP_PORT },
    data: [],
    overlapOnUpgrade: true,
  };
}

/** nova-conductor (database access for the other nova daemons). */
export const novaConductorContainer: ContainerService = novaRpcContainer('nova-conductor');

/** nova-scheduler (placement queries, host choice). */
export const novaSchedulerContainer: ContainerService = novaRpcContainer('nova-scheduler');

/** The noVNC console proxy (Debian's nova-consoleproxy package), serving Debian's novnc files. */
export const novaNovncproxyContainer: ContainerService = {
  name: 'nova-novncproxy',
  descriptor: nova,
  component: 'nova-novncproxy',
  steps: 'none',
  packages: ['nova-consoleproxy'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: NOVA_CONF,
  files: NOVA_CONF,
  command: ['nova-novncproxy', '--config-file', '/etc/nova/nova.conf', '--web', '/usr/share/novnc'],
  health: { kind: 'http', port: NOVNC_PORT, path: '/vnc_lite.html' },
  data: [],
  overlapOnUpgrade: false,
};

/**
 * nova-compute, driving the HOST's libvirtd (which cairn installs on compute hosts with the
 * infrastructure): its socket is bound in, and /var/lib/nova is the same path on both sides so
 * the disks nova-compute writes are the files libvirt's QEMU opens.
 */
export const novaComputeContainer: ContainerService = {
  name: 'nova-compute',
  descriptor: nova,
  component: 'nova-compute',
  steps: 'none',
  // nova-compute depends on nova-compute-kvm, which brings qemu-img and libvirt's client side.
  packages: ['nova-compute'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf'],
  files: ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf'],
  command: ['nova-compute', '--config-file', '/etc/nova/nova.conf', '--config-file', '/etc/nova/nova-compute.conf'],
  root: true,
  // What nova's privsep daemons ask for (nova/privsep/__init__.py): plugging VIFs and
  // managing instance files. Docker's defaults have CHOWN, DAC_OVERRIDE and FOWNER.
  capAdd: ['DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_ADMIN'],
  health: { kind: 'amqp', port: AMQP_PORT },
  data: [
    // 0755: the host's QEMU (libvirt-qemu) must reach the instance disks under it.
    { host: '/var/lib/nova', container: '/var/lib/nova', readOnly: false, mode: '0755', subdirs: ['instances'] },
    { host: '/run/libvirt', container: '/run/libvirt', readOnly: false, hostOwned: true },
  ],
  // Two nova-computes on one host would both manage its instances.
  overlapOnUpgrade: false,
};

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
export const neutronServerContainer: ContainerService = {
  name: 'neutron-server',
  descriptor: neutron,
  component: 'neutron-server',
  packages: ['neutron-api'],
  user: NEUTRON_USER,
  layer: NEUTRON_LAYER,
  configLinks: NEUTRON_SERVER_CONF,
  files: NEUTRON_SERVER_CONF,
  command: [...uwsgi('/usr/bin/neutron-api', NEUTRON_PORT), '--pyargv', NEUTRON_SERVER_CONF.map((f) => `--config-file=${f}`).join(' ')],
  health: { kind: 'http', port: NEUTRON_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/** neutron-rpc-server: the agents' RPC endpoint (Debian splits it from the API). */
export const neutronRpcServerContainer: ContainerService = {
  name: 'neutron-rpc-server',
  descriptor: neutron,
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
const NEUTRON_STATE: DataDir = { host: '/var/lib/neutron', container: '/var/lib/neutron', readOnly: false };

/**
 * A neutron agent: root (it runs `ip`, `ovs-vsctl`, dnsmasq and haproxy through neutron's
 * rootwrap and privsep, as root in kolla's images too), healthy while it holds its RabbitMQ
 * connection (its state reports go over it). Two of one agent on a host would fight over the
 * same ports and processes, so an upgrade stops the old one first.
 */
function neutronAgentContainer(name: string, ownConf: string, data: DataDir[], procSysWritable = false): ContainerService {
  const files = agentConf(ownConf);
  return {
    name,
    descriptor: neutron,
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

/** The Open vSwitch agent (network and compute hosts): flows and ports on the host's OVS. */
export const neutronOvsAgentContainer: ContainerService = neutronAgentContainer(
  'neutron-openvswitch-agent',
  '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
  [OVS_RUN],
);

/** The DHCP agent: dnsmasq (and the isolated-network metadata proxy) in qdhcp- namespaces. */
export const neutronDhcpAgentContainer: ContainerService = neutronAgentContainer(
  'neutron-dhcp-agent',
  '/etc/neutron/dhcp_agent.ini',
  [OVS_RUN, NETNS, NEUTRON_STATE],
  // It sets promote_secondaries and ip_nonlocal_bind in its namespaces through /proc/sys.
  true,
);

/** The L3 agent: routers (and their metadata proxy) in qrouter- namespaces. */
export const neutronL3AgentContainer: ContainerService = neutronAgentContainer(
  'neutron-l3-agent',
  '/etc/neutron/l3_agent.ini',
  [OVS_RUN, NETNS, NEUTRON_STATE],
  // A router's namespace gets promote_secondaries, forwarding and ARP sysctls through /proc/sys.
  true,
);

/** The metadata agent: answers the proxies' socket and forwards to nova's metadata API. */
export const neutronMetadataAgentContainer: ContainerService = neutronAgentContainer(
  'neutron-metadata-agent',
  '/etc/neutron/metadata_agent.ini',
  [NEUTRON_STATE],
);

/** The Apache site the dashboard's vhost is (Debian's openstack-dashboard-apache name). */
const DASHBOARD_SITE = '/etc/apache2/sites-available/openstack-dashboard.conf';

/**
 * Horizon in Debian's Apache with mod_wsgi (as packages mode runs it). Apache starts as root,
 * binds port 80 and runs the dashboard as www-data, Debian's own user (id 33 in every Debian
 * system), which reads local_settings.py through its group.
 */
export const horizonContainer: ContainerService = {
  name: 'horizon',
  descriptor: horizon,
  // The packages-mode step (Debian's site links) is done in the image (imageSetup).
  steps: 'none',
  packages: ['openstack-dashboard-apache', 'python3-pymemcache'],
  user: { name: 'www-data', uid: 33, gid: 33, home: '/var/www', system: true },
  configLinks: ['/etc/openstack-dashboard/local_settings.py', DASHBOARD_SITE],
  // The dashboard site is the one site: the default site would answer port 80 first, the
  // package's default-ssl needs mod_ssl and the alias-only site maps the dashboard twice.
  imageSetup: `rm -f /etc/apache2/sites-enabled/*.conf && ln -s ${DASHBOARD_SITE} /etc/apache2/sites-enabled/openstack-dashboard.conf`,
  // apache2ctl would stay as the parent shell and not pass docker's SIGTERM on: Apache itself,
  // with the environment Debian's envvars sets, is PID 1.
  command: ['sh', '-c', '. /etc/apache2/envvars && mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR" && exec apache2 -DFOREGROUND'],
  root: true,
  health: { kind: 'http', port: 80, path: '/auth/login/' },
  data: [],
  overlapOnUpgrade: false,
};

/** Every container service, in deployment order (keystone first: the others register with it). */
export const containerServices: readonly ContainerService[] = [
  keystoneContainer,
  glanceApiContainer,
  placementApiContainer,
  neutronServerContainer,
  neutronRpcServerContainer,
  novaApiContainer,
  novaMetadataApiContainer,
  novaConductorContainer,
  novaSchedulerContainer,
  novaNovncproxyContainer,
  novaComputeContainer,
  // After nova: the metadata agent forwards to nova's metadata API.
  neutronOvsAgentContainer,
  neutronDhcpAgentContainer,
  neutronL3AgentContainer,
  neutronMetadataAgentContainer,
  horizonContainer,
];

/** The image repository suffix `service` runs (its own name unless it shares another's). */
export function imageOf(service: ContainerService): string {
  return service.image ?? service.name;
}

/**
 * The services whose images make `services`' images, each image once: a service that runs
 * another's image (nova-metadata-api) is built as that one (nova-api).
 */
export function imageOwners(services: readonly ContainerService[]): ContainerService[] {
  const owners = services.map((s) => (s.image === undefined ? s : (containerService(s.image) ?? s)));
  return [...new Set(owners)];
}

/** The container service called `name`, or undefined. */
export function containerService(name: string): ContainerService | undefined {
  return containerServices.find((s) => s.name === name);
}
