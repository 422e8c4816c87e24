/**
 * The Deployment: what the user asked for, typed, validated and with every default filled.
 *
 * Every later stage (plan, render, apply, verify) reads only this value, never the answer
 * file or the inventory, so the two input formats stay a concern of config/ alone.
 */

/** Operating-system family of a host: decides package names, unit names and file paths. */
export type OsFamily = 'debian' | 'rhel';

/** The roles cairn places services by (Packstack's controller / network / compute hosts). */
export type Role = 'control' | 'network' | 'compute';

/** Deploy OpenStack services from distribution packages, or as one container per service. */
export type DeployMode = 'packages' | 'containers';

/** Open vSwitch datapath: `system` (kernel module, real hosts) or `netdev` (userspace, labs). */
export type OvsDatapathType = 'system' | 'netdev';

/** Nova's libvirt virt_type; `auto` means decided per compute host from /dev/kvm at deploy time. */
export type VirtType = 'auto' | 'kvm' | 'qemu';

/** One machine cairn manages. */
export interface Host {
  /** Stable name: the inventory's host name, or the address when hosts come from the answer file. */
  name: string;
  /** Address cairn connects to and services bind to (IPv4 or resolvable host name). */
  address: string;
  roles: Role[];
  osFamily: OsFamily;
  ssh: {
    user: string;
    port: number;
    /** Private key path, or undefined to use ssh-agent. */
    keyFile?: string;
  };
  /** Run privileged commands through sudo (required when ssh.user is not root). */
  sudo: boolean;
  /** Interface carrying `address`, when the inventory names it. */
  managementInterface?: string;
  /** Interface for the external/provider network, when the inventory names it. */
  externalInterface?: string;
  /**
   * Addresses (CIDR) the inventory declares on interfaces, e.g. { eth0: '198.18.10.11/24' }.
   * Used to move an address onto br-ex when br-ex takes over that interface.
   */
  interfaceAddresses: Record<string, string>;
  /** known_hosts file cairn verifies this host's SSH key against (inventory), else cairn's own. */
  knownHostsFile?: string;
  /** Default gateway the inventory declares, kept on br-ex when the address moves there. */
  gateway?: string;
  /**
   * Nova's virt_type on this host when CONFIG_NOVA_LIBVIRT_VIRT_TYPE is per host: decided by
   * `deploy` from the host's facts (/dev/kvm, vmx/svm); undefined before that.
   */
  virtType?: 'kvm' | 'qemu';
  /** Where the host was declared, for error messages: `inventory.yml:12` or `answer.ini:98`. */
  origin: string;
}

/** A `physnet:bridge` pair (CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS). */
export interface BridgeMapping {
  physnet: string;
  bridge: string;
}

/** A `bridge:iface` pair (CONFIG_NEUTRON_OVS_BRIDGE_IFACES). */
export interface BridgeIface {
  bridge: string;
  iface: string;
}

/** An inclusive `min:max` range (VNI ranges, tunnel id ranges). */
export interface Range {
  min: number;
  max: number;
}

/** A VLAN range entry `physnet[:min:max]` (CONFIG_NEUTRON_ML2_VLAN_RANGES). */
export interface VlanRange {
  physnet: string;
  range?: Range;
}

/**
 * Worker count for API services: a number, or `per-host` when the answer file says
 * `%{::processorcount}` (cairn then leaves the option out, and each service defaults to the
 * host's CPU count, which is what Packstack's Puppet fact produced).
 */
export type Workers = number | 'per-host';

/** The whole validated deployment. */
export interface Deployment {
  /** Files it was loaded from, for messages and for the manifest. */
  sources: { answerFile: string; inventoryFile?: string };
  mode: DeployMode;
  /** OpenStack release the packages or images come from (Debian bookworm ships Zed). */
  release: string;
  hosts: Host[];
  /** Name of the (single) control host: MariaDB, RabbitMQ, Keystone, APIs, Horizon. */
  controller: string;
  debug: boolean;
  serviceWorkers: Workers;
  /** Public SSH key file from CONFIG_SSH_KEY (installed on hosts by `cairn ssh-copy-id`). */
  sshPublicKey?: string;
  ntp: {
    /** Upstream servers every host syncs with; empty means the control host serves the others. */
    servers: string[];
  };
  repos: {
    /** Extra repository URLs (CONFIG_REPO): yum .repo on RHEL family, apt sources on Debian. */
    urls: string[];
    /** Debian suite and components used for the apt entries of `urls`. */
    aptSuite: string;
    aptComponents: string[];
    /** Whether yum checks package signatures for `urls`. */
    gpgcheck: boolean;
    /** HTTP proxy of apt on Debian hosts (CAIRN_APT_PROXY), '' for none. */
    aptProxy: string;
    /** Whether package installs bring recommended (weak) dependencies (CAIRN_INSTALL_RECOMMENDS). */
    installRecommends: boolean;
  };
  services: {
    mariadb: boolean;
    glance: boolean;
    nova: boolean;
    neutron: boolean;
    horizon: boolean;
    cinder: boolean;
    heat: boolean;
    swift: boolean;
    client: boolean;
  };
  amqp: {
    host: string;
    port: number;
    user: string;
    password: string;
    ssl: boolean;
  };
  mariadb: {
    host: string;
    /** Administrative user cairn creates databases with. */
    user: string;
    password: string;
  };
  keystone: {
    region: string;
    adminUser: string;
    adminPassword: string;
    adminEmail: string;
    demoPassword: string;
    dbPassword: string;
  };
  glance: {
    dbPassword: string;
    ksPassword: string;
    /** Where images are stored (CONFIG_GLANCE_BACKEND): the controller's disk, or Swift. */
    backend: 'file' | 'swift';
  };
  placement: {
    dbPassword: string;
    ksPassword: string;
  };
  nova: {
    dbPassword: string;
    ksPassword: string;
    cpuAllocationRatio: number;
    ramAllocationRatio: number;
    diskAllocationRatio: number;
    virtType: VirtType;
    /** Migration transport between computes. */
    migrateProtocol: 'ssh' | 'tcp';
  };
  neutron: {
    dbPassword: string;
    ksPassword: string;
    metadataSecret: string;
    l3ExtBridge: string;
    ml2: {
      typeDrivers: string[];
      tenantNetworkTypes: string[];
      mechanismDrivers: string[];
      /** Flat physnets; `['*']` allows any. */
      flatNetworks: string[];
      vlanRanges: VlanRange[];
      tunnelIdRanges: Range[];
      vniRanges: Range[];
      /** Multicast group for VXLAN, or undefined for unicast (l2population off). */
      vxlanGroup?: string;
    };
    ovs: {
      bridgeMappings: BridgeMapping[];
      bridgeIfaces: BridgeIface[];
      /** Interface whose address carries tunnels; undefined means the host's own address. */
      tunnelInterface?: string;
      vxlanUdpPort: number;
      datapathType: OvsDatapathType;
    };
  };
  horizon: {
    secretKey: string;
    ssl: boolean;
  };
  cinder: {
    dbPassword: string;
    ksPassword: string;
    /** The LVM volume group volumes are made in (CONFIG_CINDER_VOLUME_NAME). */
    volumeGroup: string;
    /** Make the volume group on a loop device over a sparse file (CONFIG_CINDER_VOLUMES_CREATE). */
    volumesCreate: boolean;
    /** Size of that file, in bytes. */
    volumesSizeBytes: number;
  };
  swift: {
    ksPassword: string;
    /** swift_hash_path_suffix (CONFIG_SWIFT_HASH). */
    hash: string;
    /** Copies of each object; the rings' replica count. */
    replicas: number;
  };
  heat: {
    dbPassword: string;
    ksPassword: string;
    /** Domain of the users heat makes for stacks, and its administrator. */
    domain: string;
    domainAdmin: string;
    domainPassword: string;
    /** Encrypts the credentials heat stores: 16, 24 or 32 characters (rules.ts checks). */
    authEncryptionKey: string;
  };
  provisionDemo: boolean;
  /** CONFIG_PROVISION_DEMO_FLOATRANGE: the demo external network's subnet (CIDR). */
  demoFloatRange: string;
}

/** True when `host` has `role`. */
export function hasRole(host: Host, role: Role): boolean {
  return host.roles.includes(role);
}

/** The control host object. */
export function controllerOf(d: Deployment): Host {
  const host = d.hosts.find((h) => h.name === d.controller);
  if (!host) throw new Error(`bug: controller ${d.controller} is not among the hosts`);
  return host;
}
