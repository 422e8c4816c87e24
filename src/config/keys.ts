/**
 * The answer-file keys cairn reads: name, type, default and a one-line explanation. This table
 * is the single source for validation, `gen-answer-file` and the README's key reference.
 * Packstack's names are kept; cairn's own keys start with `CAIRN_`.
 */
import * as t from './value-types.js';
import type { Parsed } from './value-types.js';

/** How one key's value is read. */
export interface KeySpec {
  name: string;
  /** Heading the key is listed under in a generated answer file and the README. */
  group: string;
  doc: string;
  /** Default as written in the file ('' when there is none). */
  default: string;
  /** What a valid value looks like, for docs and `--help`. */
  expects: string;
  parse: (raw: string) => Parsed<unknown>;
  /** An empty value means an empty list (not "use the default"). */
  list?: boolean;
  /** A password or secret: generated fresh, falls back to CONFIG_DEFAULT_PASSWORD, never logged. */
  secret?: boolean;
  /** A secret left unset falls back to this key first, then to CONFIG_DEFAULT_PASSWORD. */
  fallback?: string;
  /** Accepts a Puppet fact such as `%{::processorcount}` meaning "decided per host". */
  perHost?: boolean;
}

const yn = { expects: 'y or n', parse: t.parseYesNo };
const host = { expects: 'IPv4 address or host name', parse: t.parseHost };
const hostList = { expects: 'comma-separated IPv4 addresses or host names', parse: t.parseHostList, list: true };
const secret = { expects: 'password', parse: t.parseText, secret: true };
const text = { expects: 'text', parse: t.parseText };
const ratio = { expects: 'positive number', parse: t.parsePositiveNumber };

function choice(choices: readonly string[]) {
  return { expects: `one of ${choices.join(', ')}`, parse: (raw: string) => t.parseChoice(raw, choices) };
}
function choiceList(choices: readonly string[]) {
  return { expects: `comma-separated, from ${choices.join(', ')}`, parse: (raw: string) => t.parseChoiceList(raw, choices), list: true };
}

/** Network types ML2 knows; cairn wires flat, vlan and vxlan end to end. */
export const ML2_TYPE_DRIVERS = ['flat', 'vlan', 'vxlan', 'gre', 'geneve', 'local'] as const;
/** Mechanism drivers Packstack offers; cairn deploys openvswitch (with l2population). */
export const ML2_MECHANISM_DRIVERS = ['openvswitch', 'l2population', 'ovn', 'linuxbridge', 'sriovnicswitch', 'arista', 'cisco', 'logger', 'test'] as const;

const G = {
  general: 'General',
  hosts: 'Hosts',
  cairn: 'cairn',
  repos: 'Package repositories',
  amqp: 'AMQP (RabbitMQ)',
  mariadb: 'MariaDB',
  keystone: 'Keystone',
  glance: 'Glance',
  placement: 'Placement',
  nova: 'Nova',
  neutron: 'Neutron',
  horizon: 'Horizon',
  cinder: 'Cinder',
  heat: 'Heat',
  swift: 'Swift',
  provision: 'Provisioning',
} as const;

/** Every key cairn reads, in the order a generated answer file lists them. */
export const KEYS: readonly KeySpec[] = [
  { name: 'CONFIG_SSH_KEY', group: G.general, doc: 'Public SSH key installed on every host by `cairn ssh-copy-id`; its private half (same path without .pub) is used to connect', default: '', expects: 'path to a .pub file', parse: t.parseText },
  { name: 'CONFIG_DEFAULT_PASSWORD', group: G.general, doc: 'Password used for every password key left empty or set to PW_PLACEHOLDER', default: '', ...secret },
  { name: 'CONFIG_SERVICE_WORKERS', group: G.general, doc: 'Worker processes per API service; %{::processorcount} leaves it to each host (one per CPU)', default: '%{::processorcount}', expects: 'whole number 1-256 or %{::processorcount}', parse: (raw) => t.parseInteger(raw, 1, 256), perHost: true },
  { name: 'CONFIG_DEBUG_MODE', group: G.general, doc: 'Debug logging in every OpenStack service', default: 'n', ...yn },
  { name: 'CONFIG_MARIADB_INSTALL', group: G.general, doc: 'Install MariaDB on the controller (n: use the server at CONFIG_MARIADB_HOST)', default: 'y', ...yn },
  { name: 'CONFIG_GLANCE_INSTALL', group: G.general, doc: 'Install Glance (image service)', default: 'y', ...yn },
  { name: 'CONFIG_NOVA_INSTALL', group: G.general, doc: 'Install Nova (compute) and Placement', default: 'y', ...yn },
  { name: 'CONFIG_NEUTRON_INSTALL', group: G.general, doc: 'Install Neutron (networking)', default: 'y', ...yn },
  { name: 'CONFIG_HORIZON_INSTALL', group: G.general, doc: 'Install Horizon (dashboard)', default: 'y', ...yn },
  { name: 'CONFIG_CINDER_INSTALL', group: G.general, doc: 'Install Cinder (block storage: cinder-api, cinder-scheduler and cinder-volume with the LVM backend on the storage host; packages mode)', default: 'n', ...yn },
  { name: 'CONFIG_SWIFT_INSTALL', group: G.general, doc: 'Install Swift (object storage: proxy, account, container and object servers on the storage host; packages mode)', default: 'n', ...yn },
  { name: 'CONFIG_HEAT_INSTALL', group: G.general, doc: 'Install Heat (orchestration: heat-api, heat-api-cfn and heat-engine on the controller)', default: 'n', ...yn },
  { name: 'CONFIG_CLIENT_INSTALL', group: G.general, doc: 'Install the openstack command-line client on the controller', default: 'y', ...yn },

  { name: 'CONFIG_CONTROLLER_HOST', group: G.hosts, doc: 'The controller: databases, message queue, APIs and dashboard (empty: taken from the inventory)', default: '', ...host },
  { name: 'CONFIG_COMPUTE_HOSTS', group: G.hosts, doc: 'Hosts that run nova-compute (empty: the controller, or the inventory)', default: '', ...hostList },
  { name: 'CONFIG_NETWORK_HOSTS', group: G.hosts, doc: 'Hosts that run the Neutron L3, DHCP and metadata agents (empty: the controller, or the inventory)', default: '', ...hostList },
  { name: 'CONFIG_STORAGE_HOST', group: G.hosts, doc: 'Host of Cinder\'s volumes and Swift\'s storage (empty: the controller, the only host cairn puts them on yet)', default: '', ...host },
  { name: 'CONFIG_NTP_SERVERS', group: G.hosts, doc: 'Upstream NTP servers every host syncs with (empty: the controller serves its own clock to the others)', default: '', ...hostList },

  { name: 'CAIRN_DEPLOY_MODE', group: G.cairn, doc: 'How OpenStack services run: distribution packages, or one container per service', default: 'packages', ...choice(['packages', 'containers']) },
  { name: 'CAIRN_OS_FAMILY', group: G.cairn, doc: 'Operating system family of hosts not described by an inventory', default: 'debian', ...choice(['debian', 'rhel']) },
  { name: 'CAIRN_OPENSTACK_RELEASE', group: G.cairn, doc: 'OpenStack release (Debian 12 ships Zed)', default: 'zed', ...choice(['zed']) },
  { name: 'CAIRN_OVS_DATAPATH_TYPE', group: G.cairn, doc: 'Open vSwitch datapath: system (kernel module) or netdev (userspace, for labs without the module)', default: 'system', ...choice(['system', 'netdev']) },

  { name: 'CONFIG_REPO', group: G.repos, doc: 'Extra package repository URLs: a yum .repo entry each on RHEL family, an apt source each on Debian', default: '', expects: 'comma-separated URLs', parse: t.parseUrlList, list: true },
  { name: 'CAIRN_APT_SUITE', group: G.repos, doc: 'Debian suite used for the apt sources of CONFIG_REPO', default: 'bookworm', expects: 'suite name', parse: t.parseName },
  { name: 'CAIRN_APT_COMPONENTS', group: G.repos, doc: 'Debian components used for the apt sources of CONFIG_REPO', default: 'main', expects: 'comma-separated component names', parse: (raw) => listOfNames(raw), list: true },
  { name: 'CAIRN_APT_PROXY', group: G.repos, doc: 'HTTP proxy apt uses on Debian hosts, such as an apt-cacher-ng that fetches each package once for all hosts (empty: none; a lab sets its gateway\'s cache)', default: '', expects: 'http:// URL', parse: t.parseProxyUrl },
  { name: 'CAIRN_INSTALL_RECOMMENDS', group: G.repos, doc: 'Also install the packages\' recommended dependencies (apt Recommends, dnf weak dependencies); n installs only what the services depend on (on Debian 12: 426 packages instead of 925 on a compute)', default: 'n', ...yn },
  { name: 'CAIRN_REPO_GPGCHECK', group: G.repos, doc: 'Check package signatures of CONFIG_REPO repositories on RHEL family (Packstack did not)', default: 'n', ...yn },

  { name: 'CONFIG_AMQP_BACKEND', group: G.amqp, doc: 'Message queue', default: 'rabbitmq', ...choice(['rabbitmq']) },
  { name: 'CONFIG_AMQP_HOST', group: G.amqp, doc: 'RabbitMQ host (empty: the controller, where cairn installs it)', default: '', ...host },
  { name: 'CONFIG_AMQP_ENABLE_SSL', group: G.amqp, doc: 'TLS for AMQP (not implemented by cairn yet: must be n)', default: 'n', ...yn },
  { name: 'CONFIG_AMQP_ENABLE_AUTH', group: G.amqp, doc: 'Authenticate to RabbitMQ (cairn always does)', default: 'y', ...yn },
  { name: 'CONFIG_AMQP_AUTH_USER', group: G.amqp, doc: 'RabbitMQ user the services connect as', default: 'openstack', expects: 'user name', parse: t.parseName },
  { name: 'CONFIG_AMQP_AUTH_PASSWORD', group: G.amqp, doc: 'Password of CONFIG_AMQP_AUTH_USER', default: '', ...secret },

  { name: 'CONFIG_MARIADB_HOST', group: G.mariadb, doc: 'MariaDB host (empty: the controller)', default: '', ...host },
  { name: 'CONFIG_MARIADB_USER', group: G.mariadb, doc: 'MariaDB administrative user', default: 'root', expects: 'user name', parse: t.parseName },
  { name: 'CONFIG_MARIADB_PW', group: G.mariadb, doc: 'Password of CONFIG_MARIADB_USER', default: '', ...secret },

  { name: 'CONFIG_KEYSTONE_DB_PW', group: G.keystone, doc: 'Keystone database password', default: '', ...secret },
  { name: 'CONFIG_KEYSTONE_REGION', group: G.keystone, doc: 'Region name of every endpoint', default: 'RegionOne', expects: 'region name', parse: t.parseName },
  { name: 'CONFIG_KEYSTONE_ADMIN_EMAIL', group: G.keystone, doc: 'E-mail of the admin user', default: 'root@localhost', expects: 'e-mail address', parse: t.parseEmail },
  { name: 'CONFIG_KEYSTONE_ADMIN_USERNAME', group: G.keystone, doc: 'Name of the cloud administrator', default: 'admin', expects: 'user name', parse: t.parseName },
  { name: 'CONFIG_KEYSTONE_ADMIN_PW', group: G.keystone, doc: 'Password of the cloud administrator', default: '', ...secret },
  { name: 'CONFIG_KEYSTONE_DEMO_PW', group: G.keystone, doc: 'Password of the demo user (CONFIG_PROVISION_DEMO=y)', default: '', ...secret },
  { name: 'CONFIG_KEYSTONE_IDENTITY_BACKEND', group: G.keystone, doc: 'Where users live (sql; ldap is not implemented by cairn yet)', default: 'sql', ...choice(['sql', 'ldap']) },

  { name: 'CONFIG_GLANCE_DB_PW', group: G.glance, doc: 'Glance database password', default: '', ...secret },
  { name: 'CONFIG_GLANCE_KS_PW', group: G.glance, doc: 'Password of the glance service user', default: '', ...secret },
  { name: 'CONFIG_GLANCE_BACKEND', group: G.glance, doc: 'Image store (file: on the controller\'s disk; swift: in Swift\'s container glance of the service project, which needs CONFIG_SWIFT_INSTALL=y)', default: 'file', ...choice(['file', 'swift']) },

  { name: 'CAIRN_PLACEMENT_DB_PW', group: G.placement, doc: 'Placement database password (unset: CONFIG_NOVA_DB_PW)', default: '', ...secret, fallback: 'CONFIG_NOVA_DB_PW' },
  { name: 'CAIRN_PLACEMENT_KS_PW', group: G.placement, doc: 'Password of the placement service user (unset: CONFIG_NOVA_KS_PW)', default: '', ...secret, fallback: 'CONFIG_NOVA_KS_PW' },

  { name: 'CONFIG_NOVA_DB_PW', group: G.nova, doc: 'Nova database password (nova, nova_api and nova_cell0)', default: '', ...secret },
  { name: 'CONFIG_NOVA_KS_PW', group: G.nova, doc: 'Password of the nova service user', default: '', ...secret },
  { name: 'CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO', group: G.nova, doc: 'Virtual CPUs per physical CPU', default: '16.0', ...ratio },
  { name: 'CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO', group: G.nova, doc: 'Virtual RAM per physical RAM', default: '1.5', ...ratio },
  { name: 'CAIRN_NOVA_SCHED_DISK_ALLOC_RATIO', group: G.nova, doc: 'Virtual disk per physical disk', default: '1.0', ...ratio },
  { name: 'CONFIG_NOVA_COMPUTE_MIGRATE_PROTOCOL', group: G.nova, doc: 'Transport for live migration between computes', default: 'ssh', ...choice(['ssh', 'tcp']) },
  { name: 'CONFIG_NOVA_LIBVIRT_VIRT_TYPE', group: G.nova, doc: 'libvirt virt_type: kvm, qemu (software emulation), or %{::default_hypervisor} to decide per host from /dev/kvm', default: '%{::default_hypervisor}', ...choice(['kvm', 'qemu']), perHost: true },

  { name: 'CONFIG_NEUTRON_DB_PW', group: G.neutron, doc: 'Neutron database password', default: '', ...secret },
  { name: 'CONFIG_NEUTRON_KS_PW', group: G.neutron, doc: 'Password of the neutron service user', default: '', ...secret },
  { name: 'CONFIG_NEUTRON_METADATA_PW', group: G.neutron, doc: 'Secret shared by the metadata agent and Nova', default: '', ...secret },
  { name: 'CONFIG_NEUTRON_L3_EXT_BRIDGE', group: G.neutron, doc: 'OVS bridge of the external network (used by the L3 agent)', default: 'br-ex', expects: 'bridge name', parse: t.parseName },
  { name: 'CONFIG_NEUTRON_L2_AGENT', group: G.neutron, doc: 'L2 agent (openvswitch; ovn is not implemented by cairn yet)', default: 'openvswitch', ...choice(['openvswitch', 'ovn', 'linuxbridge']) },
  { name: 'CONFIG_NEUTRON_ML2_TYPE_DRIVERS', group: G.neutron, doc: 'Network types ML2 loads', default: 'flat,vxlan', ...choiceList(ML2_TYPE_DRIVERS) },
  { name: 'CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES', group: G.neutron, doc: 'Network types of project networks, in order of preference (each must be a type driver)', default: 'vxlan', ...choiceList(ML2_TYPE_DRIVERS) },
  { name: 'CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS', group: G.neutron, doc: 'ML2 mechanism drivers (cairn deploys openvswitch, optionally with l2population)', default: 'openvswitch', ...choiceList(ML2_MECHANISM_DRIVERS) },
  { name: 'CONFIG_NEUTRON_ML2_FLAT_NETWORKS', group: G.neutron, doc: 'Physnets that may hold flat networks (* for any)', default: '*', expects: '* or comma-separated physnet names', parse: (raw) => (raw.trim() === '*' ? { ok: true, value: ['*'] } : listOfNames(raw)), list: true },
  { name: 'CONFIG_NEUTRON_ML2_VLAN_RANGES', group: G.neutron, doc: 'VLAN physnets and id ranges', default: '', expects: 'physnet[:min:max] list', parse: t.parseVlanRanges, list: true },
  { name: 'CONFIG_NEUTRON_ML2_TUNNEL_ID_RANGES', group: G.neutron, doc: 'GRE tunnel id ranges', default: '', expects: 'min:max list', parse: (raw) => t.parseRanges(raw, 4294967295), list: true },
  { name: 'CONFIG_NEUTRON_ML2_VXLAN_GROUP', group: G.neutron, doc: 'Multicast group for VXLAN (empty: unicast with l2population)', default: '', expects: 'multicast address in 224.0.0.0/4', parse: t.parseMulticast },
  { name: 'CONFIG_NEUTRON_ML2_VNI_RANGES', group: G.neutron, doc: 'VXLAN VNI ranges for project networks', default: '10:100', expects: 'min:max list within 1:16777215', parse: (raw) => t.parseRanges(raw, 16777215), list: true },
  { name: 'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS', group: G.neutron, doc: 'Physnet to OVS bridge mappings', default: 'extnet:br-ex', expects: 'physnet:bridge list', parse: t.parseBridgeMappings, list: true },
  { name: 'CONFIG_NEUTRON_OVS_BRIDGE_IFACES', group: G.neutron, doc: 'Interfaces put into OVS bridges on network hosts; an address on the interface moves to the bridge', default: '', expects: 'bridge:iface list', parse: t.parseBridgeIfaces, list: true },
  { name: 'CONFIG_NEUTRON_OVS_TUNNEL_IF', group: G.neutron, doc: 'Interface whose address carries VXLAN tunnels (empty: the host\'s address); with the netdev datapath it goes into its own OVS bridge, br-tunnel, which takes its address (unless it is already a provider bridge\'s port)', default: '', expects: 'interface name', parse: t.parseInterface },
  { name: 'CONFIG_NEUTRON_OVS_VXLAN_UDP_PORT', group: G.neutron, doc: 'UDP port of VXLAN tunnels', default: '4789', expects: 'port 1-65535', parse: t.parsePort },

  { name: 'CONFIG_HORIZON_SSL', group: G.horizon, doc: 'Serve the dashboard over HTTPS (not implemented by cairn yet: must be n)', default: 'n', ...yn },
  { name: 'CONFIG_HORIZON_SECRET_KEY', group: G.horizon, doc: 'Django secret key of the dashboard', default: '', ...secret },

  { name: 'CONFIG_CINDER_DB_PW', group: G.cinder, doc: 'Cinder database password', default: '', ...secret },
  { name: 'CONFIG_CINDER_KS_PW', group: G.cinder, doc: 'Password of the cinder service user', default: '', ...secret },
  { name: 'CONFIG_CINDER_BACKEND', group: G.cinder, doc: 'Volume backend: lvm (a volume group on the storage host, exported over iSCSI: tgt on Debian, LIO on RHEL family); Packstack\'s gluster, nfs, vmdk, netapp and solidfire are not implemented by cairn', default: 'lvm', ...choice(['lvm', 'gluster', 'nfs', 'vmdk', 'netapp', 'solidfire']) },
  { name: 'CONFIG_CINDER_VOLUMES_CREATE', group: G.cinder, doc: 'Create the volume group CONFIG_CINDER_VOLUME_NAME on a loop device backed by a sparse file /var/lib/cinder/<CONFIG_CINDER_VOLUME_NAME> of CONFIG_CINDER_VOLUMES_SIZE (set up again at boot); n: the storage host already has the volume group', default: 'y', ...yn },
  { name: 'CONFIG_CINDER_VOLUME_NAME', group: G.cinder, doc: 'Name of the LVM volume group the lvm backend makes volumes in', default: 'cinder-volumes', expects: 'volume group name', parse: t.parseName },
  { name: 'CONFIG_CINDER_VOLUMES_SIZE', group: G.cinder, doc: 'Size of the file behind cinder-volumes (it must fit the storage host\'s free disk)', default: '20G', expects: 'size such as 20G', parse: t.parseSize },

  { name: 'CONFIG_HEAT_DB_PW', group: G.heat, doc: 'Heat database password', default: '', ...secret },
  { name: 'CONFIG_HEAT_KS_PW', group: G.heat, doc: 'Password of the heat service user', default: '', ...secret },
  { name: 'CONFIG_HEAT_DOMAIN', group: G.heat, doc: 'Keystone domain of the users Heat creates for stacks', default: 'heat', expects: 'domain name', parse: t.parseName },
  { name: 'CONFIG_HEAT_DOMAIN_ADMIN', group: G.heat, doc: 'Administrator of CONFIG_HEAT_DOMAIN, a user of that domain', default: 'heat_admin', expects: 'user name', parse: t.parseName },
  { name: 'CONFIG_HEAT_DOMAIN_PASSWORD', group: G.heat, doc: 'Password of CONFIG_HEAT_DOMAIN_ADMIN', default: '', ...secret },
  { name: 'CONFIG_HEAT_AUTH_ENC_KEY', group: G.heat, doc: 'Key Heat encrypts the credentials it stores with: 32 characters (16 or 24 work, with a warning from Heat); unset: derived from CONFIG_DEFAULT_PASSWORD', default: '', ...secret, expects: '32 characters', parse: t.parseEncryptionKey },
  { name: 'CONFIG_HEAT_CFN_INSTALL', group: G.heat, doc: 'Install heat-api-cfn, the CloudFormation API (cairn always does with Heat: wait conditions and server metadata call it)', default: 'y', ...yn },

  { name: 'CONFIG_SWIFT_KS_PW', group: G.swift, doc: 'Password of the swift service user', default: '', ...secret },
  { name: 'CONFIG_SWIFT_HASH', group: G.swift, doc: 'Salt of the hash that places objects in the rings (swift_hash_path_suffix); never change it once objects are stored', default: '', ...secret },
  { name: 'CONFIG_SWIFT_STORAGES', group: G.swift, doc: 'Block devices for Swift (not implemented by cairn yet: must be empty; empty: one device, a directory /srv/node/swiftloopback on the storage host)', default: '', expects: 'empty', parse: t.parseText },
  { name: 'CONFIG_SWIFT_STORAGE_ZONES', group: G.swift, doc: 'Zones the devices are spread over (one device: 1)', default: '1', expects: 'whole number 1-100', parse: (raw) => t.parseInteger(raw, 1, 100) },
  { name: 'CONFIG_SWIFT_STORAGE_REPLICAS', group: G.swift, doc: 'Copies of each object (one device: 1)', default: '1', expects: 'whole number 1-10', parse: (raw) => t.parseInteger(raw, 1, 10) },
  { name: 'CONFIG_SWIFT_STORAGE_FSTYPE', group: G.swift, doc: 'File system of Packstack\'s loopback device (cairn stores the device as a directory of the host\'s own file system, so this is not used)', default: 'ext4', ...choice(['ext4', 'xfs']) },
  { name: 'CONFIG_SWIFT_STORAGE_SIZE', group: G.swift, doc: 'Size of Packstack\'s loopback device (cairn\'s directory is not limited: objects use the host\'s free disk)', default: '2G', expects: 'size such as 2G', parse: t.parseSize },

  { name: 'CONFIG_PROVISION_DEMO', group: G.provision, doc: 'Demo provisioning after the deploy: demo project and user, the guest image cairn builds (`cairn images guest`), flavors m1.nano up to m1.large, an external network, a router and a demo private network, security group rules for ICMP and SSH', default: 'y', ...yn },
  { name: 'CONFIG_PROVISION_DEMO_FLOATRANGE', group: G.provision, doc: 'Subnet of the external network (floating IPs) made by demo provisioning, on the physnet of the first CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS entry; its first address is the gateway, the pool is the longest run of addresses no host uses', default: '172.24.4.0/24', expects: 'IPv4 network in CIDR form', parse: t.parseCidr },
];

function listOfNames(raw: string): Parsed<string[]> {
  const out: string[] = [];
  for (const s of t.splitList(raw)) {
    const r = t.parseName(s);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return { ok: true, value: out };
}

/**
 * Whether gen-answer-file writes a fresh random value for `spec`: every secret but
 * CONFIG_DEFAULT_PASSWORD, which stays empty as in Packstack (a value there would stand in for
 * every password left empty later, silently).
 */
export function isGenerated(spec: KeySpec): boolean {
  return Boolean(spec.secret) && spec.name !== 'CONFIG_DEFAULT_PASSWORD';
}

/** Lookup by name. */
export const KEY_BY_NAME: ReadonlyMap<string, KeySpec> = new Map(KEYS.map((k) => [k.name, k]));

/** A Puppet fact reference as Packstack writes it, e.g. `%{::processorcount}`. */
export const PUPPET_FACT = /^%\{(::)?[a-z_][a-z0-9_]*\}$/;
