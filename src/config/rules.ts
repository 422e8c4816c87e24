/**
 * Cross-field rules: what no single key's type can say. Each rule is named, small, and returns
 * the problems it finds (with the line of the key that has to change).
 */
import { lineOf, valueOf, type AnswerValues } from './answer-file.js';
import type { Inventory } from './inventory.js';
import { KEY_BY_NAME } from './keys.js';
import type { Deployment, Role } from './model.js';
import type { Problem, Severity } from './problems.js';
import { isLoopback } from './value-types.js';
import { demoSpec } from '../provision/demo-spec.js';
import { cidrAddress, ipv4InCidr } from '../services/common.js';

/** Whether two IPv4 networks (CIDR, host bits allowed) share an address: one holds the other's. */
function cidrsOverlap(a: string, b: string): boolean {
  return ipv4InCidr(cidrAddress(a), b) || ipv4InCidr(cidrAddress(b), a);
}

/** What a rule sees. */
export interface RuleContext {
  deployment: Deployment;
  answers: AnswerValues;
  inventory?: Inventory;
  /** Why a local file named by the input cannot be read (undefined: it can); absent: not checked. */
  localFile?: LocalFileProbe;
}

/** Says why the local file at `path` cannot be read, or undefined when it can. */
export type LocalFileProbe = (path: string) => string | undefined;

/** A named cross-field rule. */
export interface Rule {
  name: string;
  check: (ctx: RuleContext) => Problem[];
}

function problem(ctx: RuleContext, severity: Severity, key: string, message: string): Problem {
  return { severity, file: ctx.answers.file, line: lineOf(ctx.answers, key), key, message };
}
const err = (ctx: RuleContext, key: string, message: string): Problem => problem(ctx, 'error', key, message);
const warn = (ctx: RuleContext, key: string, message: string): Problem => problem(ctx, 'warning', key, message);

/** A service switched on by `toggle` that has no containers yet, in a containers-mode deployment. */
function packagesModeOnly(ctx: RuleContext, service: string, toggle: string): Problem {
  return err(ctx, toggle, `${service} runs in packages mode only so far (no containers for it yet); set n, or CAIRN_DEPLOY_MODE=packages`);
}

/** `KEY (line N)` when the key was set, else `KEY (default)`. */
function at(ctx: RuleContext, key: string): string {
  const line = lineOf(ctx.answers, key);
  return line > 0 ? `${key} (line ${line})` : `${key} (default)`;
}

/** Secret keys and the condition under which the deployment needs them. */
const NEEDED_SECRETS: readonly [string, (d: Deployment) => boolean][] = [
  ['CONFIG_AMQP_AUTH_PASSWORD', () => true],
  ['CONFIG_MARIADB_PW', () => true],
  ['CONFIG_KEYSTONE_DB_PW', () => true],
  ['CONFIG_KEYSTONE_ADMIN_PW', () => true],
  ['CONFIG_KEYSTONE_DEMO_PW', (d) => d.provisionDemo],
  ['CONFIG_GLANCE_DB_PW', (d) => d.services.glance],
  ['CONFIG_GLANCE_KS_PW', (d) => d.services.glance],
  ['CAIRN_PLACEMENT_DB_PW', (d) => d.services.nova],
  ['CAIRN_PLACEMENT_KS_PW', (d) => d.services.nova],
  ['CONFIG_NOVA_DB_PW', (d) => d.services.nova],
  ['CONFIG_NOVA_KS_PW', (d) => d.services.nova],
  ['CONFIG_NEUTRON_DB_PW', (d) => d.services.neutron],
  ['CONFIG_NEUTRON_KS_PW', (d) => d.services.neutron],
  ['CONFIG_NEUTRON_METADATA_PW', (d) => d.services.neutron],
  ['CONFIG_HORIZON_SECRET_KEY', (d) => d.services.horizon],
  ['CONFIG_CINDER_DB_PW', (d) => d.services.cinder],
  ['CONFIG_CINDER_KS_PW', (d) => d.services.cinder],
  ['CONFIG_SWIFT_KS_PW', (d) => d.services.swift],
  ['CONFIG_SWIFT_HASH', (d) => d.services.swift],
  ['CONFIG_HEAT_DB_PW', (d) => d.services.heat],
  ['CONFIG_HEAT_KS_PW', (d) => d.services.heat],
  ['CONFIG_HEAT_DOMAIN_PASSWORD', (d) => d.services.heat],
  ['CONFIG_HEAT_AUTH_ENC_KEY', (d) => d.services.heat],
];

/** The rules, in the order their messages read best. */
export const RULES: readonly Rule[] = [
  {
    name: 'passwords-set',
    check: (ctx) => {
      const out: Problem[] = [];
      const hasDefault = (valueOf<string | undefined>(ctx.answers, 'CONFIG_DEFAULT_PASSWORD') ?? '') !== '';
      for (const [key, needed] of NEEDED_SECRETS) {
        if (!ctx.answers.unsetSecrets.has(key) || !needed(ctx.deployment)) continue;
        const fallback = KEY_BY_NAME.get(key)?.fallback;
        if (fallback && !ctx.answers.unsetSecrets.has(fallback)) continue;
        const placeholder = ctx.answers.sources.get(key)?.raw === 'PW_PLACEHOLDER';
        if (hasDefault) {
          if (placeholder) out.push(warn(ctx, key, 'PW_PLACEHOLDER: Packstack replaced it with a random password on each run; cairn uses CONFIG_DEFAULT_PASSWORD instead'));
        } else {
          const why = placeholder ? 'is PW_PLACEHOLDER, which Packstack replaced with a random password on each run' : 'is not set';
          out.push(err(ctx, key, `${why}, and CONFIG_DEFAULT_PASSWORD is empty: set a password (\`cairn gen-answer-file\` writes random ones)`));
        }
      }
      return out;
    },
  },
  {
    name: 'passwords-strong-enough',
    check: (ctx) => {
      const out: Problem[] = [];
      for (const [key, needed] of NEEDED_SECRETS) {
        const value = ctx.answers.sources.get(key)?.raw ?? '';
        if (ctx.answers.unsetSecrets.has(key) || !needed(ctx.deployment) || value.length >= 8) continue;
        out.push(warn(ctx, key, `is ${value.length} character${value.length === 1 ? '' : 's'} long: easy to guess, and too short for cairn to mask in logs by value (use 8 or more)`));
      }
      return out;
    },
  },
  {
    name: 'single-controller-runs-infrastructure',
    check: (ctx) => {
      const d = ctx.deployment;
      const controller = d.hosts.find((h) => h.name === d.controller)!;
      const out: Problem[] = [];
      const same = (a: string): boolean => a === controller.address || a === controller.name;
      if (!same(d.amqp.host)) {
        out.push(err(ctx, 'CONFIG_AMQP_HOST', `cairn installs RabbitMQ on the controller (${controller.address}); leave this empty or set it to the controller`));
      }
      if (d.services.mariadb && !same(d.mariadb.host)) {
        out.push(err(ctx, 'CONFIG_MARIADB_HOST', `cairn installs MariaDB on the controller (${controller.address}) when CONFIG_MARIADB_INSTALL=y; leave this empty, set it to the controller, or set CONFIG_MARIADB_INSTALL=n to use an existing server`));
      }
      return out;
    },
  },
  {
    name: 'features-not-implemented',
    check: (ctx) => {
      const d = ctx.deployment;
      const out: Problem[] = [];
      if (d.amqp.ssl) out.push(err(ctx, 'CONFIG_AMQP_ENABLE_SSL', 'AMQP over TLS is not implemented by cairn yet; set n'));
      if (valueOf(ctx.answers, 'CONFIG_AMQP_ENABLE_AUTH') === false) {
        out.push(warn(ctx, 'CONFIG_AMQP_ENABLE_AUTH', `cairn always authenticates to RabbitMQ (user ${d.amqp.user}); RabbitMQ's guest account only works from localhost`));
      }
      if (d.horizon.ssl) out.push(err(ctx, 'CONFIG_HORIZON_SSL', 'HTTPS for Horizon is not implemented by cairn yet; set n'));
      if (d.services.heat && valueOf(ctx.answers, 'CONFIG_HEAT_CFN_INSTALL') === false) {
        out.push(warn(ctx, 'CONFIG_HEAT_CFN_INSTALL', 'cairn deploys heat-api-cfn with Heat all the same: wait conditions and the metadata of servers a stack boots are served by it'));
      }
      if (valueOf(ctx.answers, 'CONFIG_KEYSTONE_IDENTITY_BACKEND') === 'ldap') {
        out.push(err(ctx, 'CONFIG_KEYSTONE_IDENTITY_BACKEND', 'LDAP identity is not implemented by cairn yet; set sql'));
      }
      const rhel = d.hosts.filter((h) => h.osFamily === 'rhel').map((h) => h.name);
      if (d.repos.aptProxy !== '' && rhel.length > 0) {
        out.push(warn(ctx, 'CAIRN_APT_PROXY', `apt's proxy applies to Debian hosts only; ${rhel.join(', ')} (RHEL family) fetch packages directly`));
      }
      if (d.services.glance && d.glance.backend === 'swift' && !d.services.swift) {
        out.push(err(ctx, 'CONFIG_GLANCE_BACKEND', `Glance's swift store needs Swift: set ${at(ctx, 'CONFIG_SWIFT_INSTALL')} to y, or this to file`));
      }
      return out;
    },
  },
  {
    // The storage host of Cinder and Swift: the controller so far. One message for both.
    name: 'storage-host',
    check: (ctx) => {
      const d = ctx.deployment;
      const users = [d.services.cinder ? 'Cinder\'s volumes' : '', d.services.swift ? 'Swift\'s storage' : ''].filter((u) => u !== '');
      const storageHost = valueOf<string | undefined>(ctx.answers, 'CONFIG_STORAGE_HOST');
      const ctrl = d.hosts.find((h) => h.name === d.controller)!;
      if (users.length === 0 || !storageHost || storageHost === ctrl.address || storageHost === ctrl.name) return [];
      const known = d.hosts.some((h) => h.address === storageHost || h.name === storageHost);
      return [err(ctx, 'CONFIG_STORAGE_HOST', known
        ? `cairn puts ${users.join(' and ')} on the controller (${ctrl.address}) so far, not on ${storageHost}; leave this empty or set it to the controller`
        : `${storageHost} is not one of the deployment's hosts (${d.hosts.map((h) => h.address).join(', ')}); leave this empty for the controller`)];
    },
  },
  {
    // Cinder as cairn deploys it so far: the LVM backend on the controller, packages mode.
    name: 'cinder-backend',
    check: (ctx) => {
      const d = ctx.deployment;
      if (!d.services.cinder) return [];
      const out: Problem[] = [];
      if (d.mode === 'containers') out.push(packagesModeOnly(ctx, 'Cinder', 'CONFIG_CINDER_INSTALL'));
      const backend = valueOf<string>(ctx.answers, 'CONFIG_CINDER_BACKEND');
      if (backend !== 'lvm') out.push(err(ctx, 'CONFIG_CINDER_BACKEND', `the ${backend} backend is not implemented by cairn; set lvm (an LVM volume group on the storage host)`));
      return out;
    },
  },
  {
    // Swift as cairn deploys it so far: one device, a directory on the controller, packages mode.
    name: 'swift-storage',
    check: (ctx) => {
      const d = ctx.deployment;
      if (!d.services.swift) return [];
      const out: Problem[] = [];
      if (d.mode === 'containers') out.push(packagesModeOnly(ctx, 'Swift', 'CONFIG_SWIFT_INSTALL'));
      if ((valueOf<string | undefined>(ctx.answers, 'CONFIG_SWIFT_STORAGES') ?? '') !== '') {
        out.push(err(ctx, 'CONFIG_SWIFT_STORAGES', 'Swift on block devices is not implemented by cairn yet; leave this empty for one device, a directory /srv/node/swiftloopback on the storage host'));
      }
      if (d.swift.replicas > 1) out.push(err(ctx, 'CONFIG_SWIFT_STORAGE_REPLICAS', `${d.swift.replicas} copies need as many devices, and cairn makes one; set 1`));
      const zones = valueOf<number>(ctx.answers, 'CONFIG_SWIFT_STORAGE_ZONES');
      if (zones > 1) out.push(err(ctx, 'CONFIG_SWIFT_STORAGE_ZONES', `${zones} zones need as many devices, and cairn makes one; set 1`));
      const size = ctx.answers.sources.get('CONFIG_SWIFT_STORAGE_SIZE');
      // Packstack's generated files and cairn's write the default, 2G: only another value is news.
      if (size && size.raw !== '' && size.raw !== '2G') out.push(warn(ctx, 'CONFIG_SWIFT_STORAGE_SIZE', 'cairn stores Swift\'s one device as a directory of the storage host\'s file system, not a loopback file of this size: objects are limited by the host\'s free disk'));
      return out;
    },
  },
  {
    name: 'service-dependencies',
    check: (ctx) => {
      const s = ctx.deployment.services;
      const out: Problem[] = [];
      if (s.nova && !s.neutron) out.push(err(ctx, 'CONFIG_NEUTRON_INSTALL', 'Nova needs Neutron for networking (nova-network no longer exists); set y, or CONFIG_NOVA_INSTALL=n'));
      if (s.nova && !s.glance) out.push(err(ctx, 'CONFIG_GLANCE_INSTALL', 'Nova needs Glance for images; set y, or CONFIG_NOVA_INSTALL=n'));
      return out;
    },
  },
  {
    // Demo provisioning makes networks, a router, flavors and an image: it needs the services
    // that hold them, a provider bridge, and a floating range on the external network.
    name: 'demo-provisioning-possible',
    check: (ctx) => {
      const d = ctx.deployment;
      // A floating range that did not parse is reported by its type already.
      if (!d.provisionDemo || typeof d.demoFloatRange !== 'string') return [];
      const missing = (['neutron', 'nova', 'glance'] as const).filter((s) => !d.services[s]);
      if (missing.length > 0) {
        const keys = missing.map((s) => `CONFIG_${s.toUpperCase()}_INSTALL`).join(', ');
        return [err(ctx, 'CONFIG_PROVISION_DEMO', `demo provisioning makes networks, a router, flavors and an image, which needs ${keys}=y; set CONFIG_PROVISION_DEMO=n or turn them on`)];
      }
      const spec = demoSpec(d);
      if ('message' in spec) return [err(ctx, spec.key, spec.message)];
      const out: Problem[] = [];
      const mapping = d.neutron.ovs.bridgeMappings[0]!;
      const iface = d.neutron.ovs.bridgeIfaces.find((b) => b.bridge === mapping.bridge)?.iface;
      for (const h of d.hosts) {
        const cidr = iface === undefined || !h.roles.includes('network') ? undefined : h.interfaceAddresses[iface];
        if (cidr === undefined || cidrsOverlap(cidr, d.demoFloatRange)) continue;
        const why = `${d.demoFloatRange} is not on the external network of network host ${h.name} (${iface} ${cidr}, the port of ${mapping.bridge} for physnet ${mapping.physnet}): floating IPs there would be unreachable from outside the cloud`;
        // Set by the user: a mistake. Packstack's default: said, since the demo still deploys.
        if (lineOf(ctx.answers, 'CONFIG_PROVISION_DEMO_FLOATRANGE') > 0) out.push(err(ctx, 'CONFIG_PROVISION_DEMO_FLOATRANGE', `${why}; use that network's subnet`));
        else out.push(warn(ctx, 'CONFIG_PROVISION_DEMO_FLOATRANGE', `the default ${why}; set it to that network's subnet`));
      }
      return out;
    },
  },
  {
    name: 'ml2-drivers',
    check: (ctx) => {
      const { ml2 } = ctx.deployment.neutron;
      if (!ctx.deployment.services.neutron) return [];
      const out: Problem[] = [];
      const agent = valueOf<string>(ctx.answers, 'CONFIG_NEUTRON_L2_AGENT');
      if (agent !== 'openvswitch') out.push(err(ctx, 'CONFIG_NEUTRON_L2_AGENT', `cairn deploys the openvswitch agent; ${agent} is not implemented yet`));
      for (const t of ml2.tenantNetworkTypes) {
        if (!ml2.typeDrivers.includes(t)) out.push(err(ctx, 'CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES', `'${t}' is not loaded by ${at(ctx, 'CONFIG_NEUTRON_ML2_TYPE_DRIVERS')}: add it there or remove it here`));
      }
      for (const t of ml2.typeDrivers) {
        if (t === 'gre' || t === 'geneve' || t === 'local') out.push(err(ctx, 'CONFIG_NEUTRON_ML2_TYPE_DRIVERS', `cairn wires flat, vlan and vxlan networks; '${t}' is not implemented yet`));
      }
      if (!ml2.mechanismDrivers.includes('openvswitch')) {
        out.push(err(ctx, 'CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS', 'must include openvswitch (the agent cairn deploys)'));
      }
      for (const m of ml2.mechanismDrivers) {
        if (m !== 'openvswitch' && m !== 'l2population') out.push(err(ctx, 'CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS', `cairn does not deploy the ${m} mechanism driver yet`));
      }
      if (ml2.tenantNetworkTypes.includes('vxlan') && ml2.vniRanges.length === 0) {
        out.push(err(ctx, 'CONFIG_NEUTRON_ML2_VNI_RANGES', 'vxlan project networks need at least one VNI range, such as 10:100'));
      }
      if (ml2.tenantNetworkTypes.includes('vlan') && !ml2.vlanRanges.some((r) => r.range)) {
        out.push(err(ctx, 'CONFIG_NEUTRON_ML2_VLAN_RANGES', 'vlan project networks need a physnet with a VLAN id range, such as physnet1:100:200'));
      }
      if (ml2.vxlanGroup && !ml2.typeDrivers.includes('vxlan')) {
        out.push(warn(ctx, 'CONFIG_NEUTRON_ML2_VXLAN_GROUP', `ignored: vxlan is not among ${at(ctx, 'CONFIG_NEUTRON_ML2_TYPE_DRIVERS')}`));
      }
      return out;
    },
  },
  {
    name: 'physnets-and-bridges-agree',
    check: (ctx) => {
      const { ml2, ovs, l3ExtBridge } = ctx.deployment.neutron;
      if (!ctx.deployment.services.neutron) return [];
      const out: Problem[] = [];
      const mapped = ovs.bridgeMappings.map((m) => m.bridge);
      const physnets = ovs.bridgeMappings.map((m) => m.physnet);
      for (const { bridge, iface } of ovs.bridgeIfaces) {
        if (!mapped.includes(bridge)) {
          out.push(err(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_IFACES', `bridge '${bridge}' (with ${iface}) has no physnet in ${at(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS')}; add physnetN:${bridge} there`));
        }
      }
      for (const { physnet, bridge } of ovs.bridgeMappings) {
        if (!ovs.bridgeIfaces.some((b) => b.bridge === bridge)) {
          out.push(warn(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS', `bridge '${bridge}' (physnet ${physnet}) has no interface in ${at(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_IFACES')}: cairn creates it empty, so traffic on ${physnet} stays inside the host until a port is added`));
        }
      }
      const usedTypes = new Set(ml2.typeDrivers);
      if (usedTypes.has('flat')) {
        for (const p of ml2.flatNetworks) {
          if (p !== '*' && !physnets.includes(p)) out.push(err(ctx, 'CONFIG_NEUTRON_ML2_FLAT_NETWORKS', `physnet '${p}' has no bridge in ${at(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS')}`));
        }
      }
      if (usedTypes.has('vlan')) {
        for (const r of ml2.vlanRanges) {
          if (!physnets.includes(r.physnet)) out.push(err(ctx, 'CONFIG_NEUTRON_ML2_VLAN_RANGES', `physnet '${r.physnet}' has no bridge in ${at(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS')}`));
        }
      }
      if (ovs.bridgeMappings.length > 0 && !mapped.includes(l3ExtBridge)) {
        out.push(warn(ctx, 'CONFIG_NEUTRON_L3_EXT_BRIDGE', `'${l3ExtBridge}' is not among the bridges of ${at(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS')} (${mapped.join(', ')})`));
      }
      return out;
    },
  },
  {
    // With the userspace datapath OVS routes VXLAN itself, only out of an OVS bridge holding the
    // local tunnel address; without one, "native tunnel routing failed" and tenant traffic stays
    // on each host while every agent reports alive. Said at validate time, not found by a guest.
    name: 'netdev-tunnels-have-a-bridge',
    check: (ctx) => {
      const { services, neutron } = ctx.deployment;
      if (!services.neutron || neutron.ovs.datapathType !== 'netdev') return [];
      const tunnelled = neutron.ml2.tenantNetworkTypes.filter((t) => t === 'vxlan' || t === 'gre');
      // A host that declares interfaces but not the tunnel one is an error of bridged-interfaces-exist.
      if (tunnelled.length === 0 || neutron.ovs.tunnelInterface !== undefined) return [];
      const why = 'the userspace datapath sends tunnels only out of an OVS bridge holding the tunnel address, so traffic between hosts will not flow';
      return [warn(ctx, 'CONFIG_NEUTRON_OVS_TUNNEL_IF', `is not set, and ${at(ctx, 'CAIRN_OVS_DATAPATH_TYPE')} is netdev with ${tunnelled.join(', ')} project networks: ${why}; name the interface that carries the tunnels (the lab uses its external interface, eth1)`)];
    },
  },
  {
    name: 'bridged-interfaces-exist',
    check: (ctx) => {
      // Only an inventory tells which interfaces a host has; the prechecks of `deploy` look at the real host.
      if (!ctx.inventory) return [];
      const out: Problem[] = [];
      const { ovs, ml2 } = ctx.deployment.neutron;
      for (const host of ctx.deployment.hosts) {
        const known = Object.keys(host.interfaceAddresses);
        if (known.length === 0) continue;
        if (host.roles.includes('network')) {
          for (const { iface } of ovs.bridgeIfaces) {
            if (!known.includes(iface)) out.push(err(ctx, 'CONFIG_NEUTRON_OVS_BRIDGE_IFACES', `host ${host.name} (${host.origin}) has no interface '${iface}'; its interfaces are ${known.join(', ')}`));
          }
        }
        const tunnelled = ml2.tenantNetworkTypes.includes('vxlan');
        if (tunnelled && ovs.tunnelInterface && (host.roles.includes('network') || host.roles.includes('compute')) && !known.includes(ovs.tunnelInterface)) {
          out.push(err(ctx, 'CONFIG_NEUTRON_OVS_TUNNEL_IF', `host ${host.name} (${host.origin}) has no interface '${ovs.tunnelInterface}'; its interfaces are ${known.join(', ')}`));
        }
      }
      return out;
    },
  },
  {
    name: 'answer-file-agrees-with-inventory',
    check: (ctx) => {
      const inv = ctx.inventory;
      if (!inv) return [];
      const out: Problem[] = [];
      const byRef = (ref: string): string | undefined => inv.hosts.find((h) => h.name === ref || h.address === ref)?.name;
      const compare = (key: string, role: Role): void => {
        const src = ctx.answers.sources.get(key);
        if (!src || src.raw === '') return;
        const listed = key === 'CONFIG_CONTROLLER_HOST' ? [valueOf<string>(ctx.answers, key)] : valueOf<string[]>(ctx.answers, key) ?? [];
        const group = inv.groups[role];
        const where = `${inv.file}:${group.line}: groups/${role}`;
        const named = new Set<string>();
        for (const ref of listed) {
          const name = byRef(ref);
          if (!name) out.push(err(ctx, key, `${ref} is not a host of the inventory (${where} has ${group.members.join(', ') || 'none'})`));
          else {
            named.add(name);
            if (!group.members.includes(name)) out.push(err(ctx, key, `${ref === name ? ref : `${ref} (${name})`} is not in ${where} (${group.members.join(', ') || 'none'})`));
          }
        }
        for (const m of group.members) {
          if (!named.has(m)) {
            const address = inv.hosts.find((h) => h.name === m)?.address;
            out.push(err(ctx, key, `does not list ${m} (${address}), which ${where} has; make them agree, or leave ${key} empty to take the inventory's`));
          }
        }
      };
      compare('CONFIG_CONTROLLER_HOST', 'control');
      compare('CONFIG_NETWORK_HOSTS', 'network');
      compare('CONFIG_COMPUTE_HOSTS', 'compute');
      return out;
    },
  },
  {
    // 127.0.0.1 means "this host" on every host: fine for an all-in-one reached over SSH on
    // loopback, wrong as soon as another host must reach it (or sync its clock from it).
    name: 'loopback-only-on-one-host',
    check: (ctx) => {
      const out: Problem[] = [];
      const count = ctx.deployment.hosts.length;
      const why = (ip: string): string => `'${ip}' is a loopback address: on every host it means that host itself`;
      const fix = 'use the address the other hosts reach it at';
      for (const key of ['CONFIG_NTP_SERVERS', 'CONFIG_CONTROLLER_HOST', 'CONFIG_COMPUTE_HOSTS', 'CONFIG_NETWORK_HOSTS', 'CONFIG_AMQP_HOST', 'CONFIG_MARIADB_HOST']) {
        const raw = valueOf<string | string[] | undefined>(ctx.answers, key);
        const ip = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).find(isLoopback);
        if (!ip) continue;
        if (key === 'CONFIG_NTP_SERVERS') out.push(err(ctx, key, `${why(ip)}, so every host would sync with its own clock; name a real NTP server or leave it empty (the controller then serves the others)`));
        else if (count > 1) out.push(err(ctx, key, `${why(ip)}, and this deployment has ${count} hosts; ${fix}`));
      }
      for (const h of ctx.inventory?.hosts ?? []) {
        if (isLoopback(h.address) && count > 1) {
          out.push({ severity: 'error', file: ctx.inventory!.file, line: h.line, key: `hosts/${h.name}/address`, message: `${why(h.address)}, and this deployment has ${count} hosts; ${fix}` });
        }
      }
      return out;
    },
  },
  {
    // Found at connect time this was exit 1 after the run had started; it is the input's mistake.
    name: 'ssh-keys-readable',
    check: (ctx) => {
      const probe = ctx.localFile;
      if (!probe) return [];
      const out: Problem[] = [];
      const pub = valueOf<string | undefined>(ctx.answers, 'CONFIG_SSH_KEY');
      if (pub) {
        // With an inventory, hosts connect with their own ssh_key; CONFIG_SSH_KEY is then only
        // the key ssh-copy-id installs.
        const paths = ctx.inventory ? [pub] : [pub, pub.replace(/\.pub$/, '')];
        for (const path of new Set(paths)) {
          const why = probe(path);
          if (why) out.push(err(ctx, 'CONFIG_SSH_KEY', `cannot read ${path === pub ? 'the public key' : 'its private key'} ${path}: ${why}`));
        }
      }
      for (const h of ctx.inventory?.hosts ?? []) {
        const why = h.sshKey === undefined ? undefined : probe(h.sshKey);
        if (why) out.push({ severity: 'error', file: ctx.inventory!.file, line: h.line, key: `hosts/${h.name}/ssh_key`, message: `cannot read SSH key ${h.sshKey}: ${why}` });
      }
      return out;
    },
  },
  {
    name: 'roles-present',
    check: (ctx) => {
      const d = ctx.deployment;
      const out: Problem[] = [];
      const has = (r: Role): boolean => d.hosts.some((h) => h.roles.includes(r));
      const where = ctx.inventory ? `${ctx.inventory.file}: groups` : 'the answer file';
      if (d.services.nova && !has('compute')) out.push(err(ctx, 'CONFIG_COMPUTE_HOSTS', `no compute host in ${where}, but CONFIG_NOVA_INSTALL=y`));
      if (d.services.neutron && !has('network')) out.push(err(ctx, 'CONFIG_NETWORK_HOSTS', `no network host in ${where}, but CONFIG_NEUTRON_INSTALL=y`));
      return out;
    },
  },
];
