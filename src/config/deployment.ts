/**
 * Answer file (+ optional inventory) -> Deployment. The one entry point of config/:
 * read -> type -> place hosts -> cross-field rules -> model. Every problem is collected; the
 * Deployment is returned only when there is no error.
 */
import { createHash } from 'node:crypto';
import { lineOf, readAnswerFile, valueOf, PER_HOST, type AnswerValues } from './answer-file.js';
import { readInventory, type Inventory } from './inventory.js';
import type { BridgeIface, BridgeMapping, Deployment, Host, OsFamily, Range, Role, VlanRange } from './model.js';
import { KEY_BY_NAME } from './keys.js';
import { hasErrors, sortProblems, type Problem } from './problems.js';
import { RULES, type LocalFileProbe } from './rules.js';

/** Text of the input files and the names to report them by. */
export interface DeploymentInput {
  answerFile: string;
  answerText: string;
  inventoryFile?: string;
  inventoryText?: string;
  /** Checks the local files the input names (SSH keys); the CLI passes one, pure callers need not. */
  localFile?: LocalFileProbe;
}

/** The outcome: problems always, a deployment when none of them is an error. */
export interface LoadResult {
  deployment?: Deployment;
  problems: Problem[];
}

/** Loads and validates a deployment. Pure: never throws on bad input, touches no file or host. */
export function loadDeployment(input: DeploymentInput): LoadResult {
  const answers = readAnswerFile(input.answerText, input.answerFile);
  const problems: Problem[] = [...answers.problems];
  let inventory: Inventory | undefined;
  if (input.inventoryText !== undefined) {
    const r = readInventory(input.inventoryText, input.inventoryFile ?? 'inventory.yml');
    problems.push(...r.problems);
    inventory = r.inventory;
    if (!inventory) return { problems: sortProblems(problems) };
  }
  const draft = buildDraft(answers, inventory, problems);
  if (draft) {
    for (const rule of RULES) {
      const found = rule.check({ deployment: draft, answers, ...(inventory ? { inventory } : {}), ...(input.localFile ? { localFile: input.localFile } : {}) });
      // A rule that involves a key whose value was already reported as invalid would only
      // echo that error (with the key's default standing in), so it stays quiet.
      problems.push(...found.filter((p) => !mentionsInvalidKey(p, answers.invalid)));
    }
  }
  const sorted = sortProblems(problems);
  if (!draft || hasErrors(sorted)) return { problems: sorted };
  return { deployment: draft, problems: sorted };
}

function buildDraft(answers: AnswerValues, inventory: Inventory | undefined, problems: Problem[]): Deployment | undefined {
  const v = <T>(key: string): T => valueOf<T>(answers, key);
  const file = answers.file;
  const error = (key: string, message: string): void => {
    problems.push({ severity: 'error', file, line: lineOf(answers, key), key, message });
  };

  const defaultPassword = v<string | undefined>('CONFIG_DEFAULT_PASSWORD') ?? '';
  const secret = (key: string): string => {
    if (!answers.unsetSecrets.has(key)) return v<string>(key);
    const fallback = KEY_BY_NAME.get(key)?.fallback;
    return fallback ? secret(fallback) : defaultPassword;
  };

  const osFamily = v<OsFamily>('CAIRN_OS_FAMILY');
  const hosts = inventory ? hostsFromInventory(inventory, osFamily) : hostsFromAnswerFile(answers, osFamily, error);
  if (!hosts) return undefined;
  const controller = hosts.find((h) => h.roles.includes('control'));
  if (!controller) return undefined;

  const sshPublicKey = v<string | undefined>('CONFIG_SSH_KEY');
  return {
    sources: { answerFile: file, ...(inventory ? { inventoryFile: inventory.file } : {}) },
    mode: v('CAIRN_DEPLOY_MODE'),
    release: v('CAIRN_OPENSTACK_RELEASE'),
    hosts,
    controller: controller.name,
    debug: v('CONFIG_DEBUG_MODE'),
    serviceWorkers: v<number | typeof PER_HOST>('CONFIG_SERVICE_WORKERS'),
    ...(sshPublicKey ? { sshPublicKey } : {}),
    ntp: { servers: v<string[]>('CONFIG_NTP_SERVERS') },
    repos: {
      urls: v<string[]>('CONFIG_REPO'),
      aptSuite: v('CAIRN_APT_SUITE'),
      aptComponents: v<string[]>('CAIRN_APT_COMPONENTS'),
      gpgcheck: v('CAIRN_REPO_GPGCHECK'),
      aptProxy: v<string | undefined>('CAIRN_APT_PROXY') ?? '',
      installRecommends: v('CAIRN_INSTALL_RECOMMENDS'),
    },
    services: {
      mariadb: v('CONFIG_MARIADB_INSTALL'),
      glance: v('CONFIG_GLANCE_INSTALL'),
      nova: v('CONFIG_NOVA_INSTALL'),
      neutron: v('CONFIG_NEUTRON_INSTALL'),
      horizon: v('CONFIG_HORIZON_INSTALL'),
      cinder: v('CONFIG_CINDER_INSTALL'),
      heat: v('CONFIG_HEAT_INSTALL'),
      swift: v('CONFIG_SWIFT_INSTALL'),
      client: v('CONFIG_CLIENT_INSTALL'),
    },
    amqp: {
      host: v<string | undefined>('CONFIG_AMQP_HOST') ?? controller.address,
      port: 5672,
      user: v('CONFIG_AMQP_AUTH_USER'),
      password: secret('CONFIG_AMQP_AUTH_PASSWORD'),
      ssl: v('CONFIG_AMQP_ENABLE_SSL'),
    },
    mariadb: {
      host: v<string | undefined>('CONFIG_MARIADB_HOST') ?? controller.address,
      user: v('CONFIG_MARIADB_USER'),
      password: secret('CONFIG_MARIADB_PW'),
    },
    keystone: {
      region: v('CONFIG_KEYSTONE_REGION'),
      adminUser: v('CONFIG_KEYSTONE_ADMIN_USERNAME'),
      adminPassword: secret('CONFIG_KEYSTONE_ADMIN_PW'),
      adminEmail: v('CONFIG_KEYSTONE_ADMIN_EMAIL'),
      demoPassword: secret('CONFIG_KEYSTONE_DEMO_PW'),
      dbPassword: secret('CONFIG_KEYSTONE_DB_PW'),
    },
    glance: { dbPassword: secret('CONFIG_GLANCE_DB_PW'), ksPassword: secret('CONFIG_GLANCE_KS_PW'), backend: v('CONFIG_GLANCE_BACKEND') },
    placement: { dbPassword: secret('CAIRN_PLACEMENT_DB_PW'), ksPassword: secret('CAIRN_PLACEMENT_KS_PW') },
    nova: {
      dbPassword: secret('CONFIG_NOVA_DB_PW'),
      ksPassword: secret('CONFIG_NOVA_KS_PW'),
      cpuAllocationRatio: v('CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO'),
      ramAllocationRatio: v('CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO'),
      diskAllocationRatio: v('CAIRN_NOVA_SCHED_DISK_ALLOC_RATIO'),
      virtType: v<string>('CONFIG_NOVA_LIBVIRT_VIRT_TYPE') === PER_HOST ? 'auto' : v('CONFIG_NOVA_LIBVIRT_VIRT_TYPE'),
      migrateProtocol: v('CONFIG_NOVA_COMPUTE_MIGRATE_PROTOCOL'),
    },
    neutron: {
      dbPassword: secret('CONFIG_NEUTRON_DB_PW'),
      ksPassword: secret('CONFIG_NEUTRON_KS_PW'),
      metadataSecret: secret('CONFIG_NEUTRON_METADATA_PW'),
      l3ExtBridge: v('CONFIG_NEUTRON_L3_EXT_BRIDGE'),
      ml2: {
        typeDrivers: v<string[]>('CONFIG_NEUTRON_ML2_TYPE_DRIVERS') ?? [],
        tenantNetworkTypes: v<string[]>('CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES') ?? [],
        mechanismDrivers: v<string[]>('CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS') ?? [],
        flatNetworks: v<string[]>('CONFIG_NEUTRON_ML2_FLAT_NETWORKS') ?? [],
        vlanRanges: v<VlanRange[]>('CONFIG_NEUTRON_ML2_VLAN_RANGES') ?? [],
        tunnelIdRanges: v<Range[]>('CONFIG_NEUTRON_ML2_TUNNEL_ID_RANGES') ?? [],
        vniRanges: v<Range[]>('CONFIG_NEUTRON_ML2_VNI_RANGES') ?? [],
        ...(v<string | undefined>('CONFIG_NEUTRON_ML2_VXLAN_GROUP') ? { vxlanGroup: v<string>('CONFIG_NEUTRON_ML2_VXLAN_GROUP') } : {}),
      },
      ovs: {
        bridgeMappings: v<BridgeMapping[]>('CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS') ?? [],
        bridgeIfaces: v<BridgeIface[]>('CONFIG_NEUTRON_OVS_BRIDGE_IFACES') ?? [],
        ...(v<string | undefined>('CONFIG_NEUTRON_OVS_TUNNEL_IF') ? { tunnelInterface: v<string>('CONFIG_NEUTRON_OVS_TUNNEL_IF') } : {}),
        vxlanUdpPort: v('CONFIG_NEUTRON_OVS_VXLAN_UDP_PORT'),
        datapathType: v('CAIRN_OVS_DATAPATH_TYPE'),
      },
    },
    horizon: { secretKey: secret('CONFIG_HORIZON_SECRET_KEY'), ssl: v('CONFIG_HORIZON_SSL') },
    cinder: {
      dbPassword: secret('CONFIG_CINDER_DB_PW'),
      ksPassword: secret('CONFIG_CINDER_KS_PW'),
      volumeGroup: v('CONFIG_CINDER_VOLUME_NAME'),
      volumesCreate: v('CONFIG_CINDER_VOLUMES_CREATE'),
      volumesSizeBytes: v('CONFIG_CINDER_VOLUMES_SIZE'),
    },
    swift: { ksPassword: secret('CONFIG_SWIFT_KS_PW'), hash: secret('CONFIG_SWIFT_HASH'), replicas: v('CONFIG_SWIFT_STORAGE_REPLICAS') },
    heat: {
      dbPassword: secret('CONFIG_HEAT_DB_PW'),
      ksPassword: secret('CONFIG_HEAT_KS_PW'),
      domain: v('CONFIG_HEAT_DOMAIN'),
      domainAdmin: v('CONFIG_HEAT_DOMAIN_ADMIN'),
      domainPassword: secret('CONFIG_HEAT_DOMAIN_PASSWORD'),
      authEncryptionKey: heatEncryptionKey(secret('CONFIG_HEAT_AUTH_ENC_KEY'), answers.unsetSecrets.has('CONFIG_HEAT_AUTH_ENC_KEY')),
    },
    provisionDemo: v('CONFIG_PROVISION_DEMO'),
    demoFloatRange: v('CONFIG_PROVISION_DEMO_FLOATRANGE'),
  };
}

/**
 * Heat's credential encryption key. A key the answer file sets is used as it is (rules.ts says
 * when its length is one heat refuses); an unset one falls back to CONFIG_DEFAULT_PASSWORD like
 * every secret, but through sha256, because heat only starts with a key of 16, 24 or 32
 * characters: the first 32 hex digits are always a valid key, and the same on every run.
 */
export function heatEncryptionKey(value: string, unset: boolean): string {
  return unset ? createHash('sha256').update(`heat auth_encryption_key:${value}`, 'utf8').digest('hex').slice(0, 32) : value;
}

function mentionsInvalidKey(p: Problem, invalid: ReadonlySet<string>): boolean {
  for (const key of invalid) if (p.key === key || new RegExp(`\\b${key}\\b`).test(p.message)) return true;
  return false;
}

/** Hosts as Packstack finds them: root@address for the controller, network and compute lists. */
function hostsFromAnswerFile(answers: AnswerValues, osFamily: OsFamily, error: (key: string, message: string) => void): Host[] | undefined {
  const controller = valueOf<string | undefined>(answers, 'CONFIG_CONTROLLER_HOST');
  if (!controller) {
    if (!answers.sources.has('CONFIG_CONTROLLER_HOST') || answers.sources.get('CONFIG_CONTROLLER_HOST')!.raw === '') {
      error('CONFIG_CONTROLLER_HOST', 'no controller: set the controller\'s address here, or pass --inventory');
    }
    return undefined;
  }
  const sshKey = valueOf<string | undefined>(answers, 'CONFIG_SSH_KEY');
  const keyFile = sshKey ? sshKey.replace(/\.pub$/, '') : undefined;
  const byAddress = new Map<string, Host>();
  const add = (address: string, role: Role, key: string): void => {
    let h = byAddress.get(address);
    if (!h) {
      h = {
        name: address,
        address,
        roles: [],
        osFamily,
        ssh: { user: 'root', port: 22, ...(keyFile ? { keyFile } : {}) },
        sudo: false,
        interfaceAddresses: {},
        origin: `${answers.file}:${lineOf(answers, key)}`,
      };
      byAddress.set(address, h);
    }
    if (!h.roles.includes(role)) h.roles.push(role);
  };
  add(controller, 'control', 'CONFIG_CONTROLLER_HOST');
  const listed = (key: string): string[] => {
    const hosts = valueOf<string[] | undefined>(answers, key) ?? [];
    return hosts.length > 0 ? hosts : [controller];
  };
  for (const a of listed('CONFIG_NETWORK_HOSTS')) add(a, 'network', 'CONFIG_NETWORK_HOSTS');
  for (const a of listed('CONFIG_COMPUTE_HOSTS')) add(a, 'compute', 'CONFIG_COMPUTE_HOSTS');
  return [...byAddress.values()].map((h) => ({ ...h, roles: sortRoles(h.roles) }));
}

function hostsFromInventory(inventory: Inventory, osFamily: OsFamily): Host[] {
  return inventory.hosts.map((h) => {
    const roles = sortRoles((['control', 'network', 'compute'] as const).filter((r) => inventory.groups[r].members.includes(h.name)));
    return {
      name: h.name,
      address: h.address,
      roles,
      osFamily: h.osFamily ?? osFamily,
      ssh: { user: h.sshUser, port: h.sshPort, ...(h.sshKey ? { keyFile: h.sshKey } : {}) },
      sudo: h.sudo,
      ...(h.managementInterface ? { managementInterface: h.managementInterface } : {}),
      ...(h.externalInterface ? { externalInterface: h.externalInterface } : {}),
      interfaceAddresses: h.interfaces,
      ...(h.gateway ? { gateway: h.gateway } : {}),
      ...(h.knownHosts ? { knownHostsFile: h.knownHosts } : {}),
      origin: h.origin,
    };
  });
}

function sortRoles(roles: Role[]): Role[] {
  const order: Role[] = ['control', 'network', 'compute'];
  return order.filter((r) => roles.includes(r));
}
