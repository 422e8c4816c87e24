/**
 * answer-files/NAME.ini for a lab: the generator's complete, commented answer file with the
 * settings a lab decides (hosts, NTP, key, Neutron on a userspace OVS datapath, QEMU, Heat on,
 * and Cinder, Swift and the services cairn does not deploy turned off).
 *
 * An existing file is kept, because its passwords must stay stable across runs; only the keys
 * that name the lab's hosts are rewritten when the lab's addresses or shape changed.
 */
import { computesOf, controllersOf, type LabPlan } from './address-plan.js';
import { aptProxyUrl } from './gateway-apt-cache.js';

/**
 * Packstack services a lab does without: their CONFIG_<NAME>_INSTALL is set to `n`. Most are
 * services cairn does not deploy. Cinder: this machine's kernel has no device-mapper, so its LVM
 * backend cannot make a volume in a lab node (the prechecks would refuse it). Swift: it works in
 * a lab, but costs the lab's two cores minutes for a service most labs do not use; turn it on
 * in the lab's answer file. One list, because the generator rejects keys it does not know.
 */
export const SERVICES_OFF_IN_LABS = [
  'CINDER',
  'SWIFT',
  'CEILOMETER',
  'AODH',
  'MANILA',
  'MAGNUM',
  'TROVE',
  'IRONIC',
  'GNOCCHI',
  'PANKO',
  'SAHARA',
] as const;

/** Keys that follow the lab's addresses, shape and key path: kept in step in an existing file. */
export const LAB_HOST_KEYS = [
  'CONFIG_CONTROLLER_HOST',
  'CONFIG_COMPUTE_HOSTS',
  'CONFIG_NETWORK_HOSTS',
  'CONFIG_NTP_SERVERS',
  'CONFIG_SSH_KEY',
  'CONFIG_NEUTRON_OVS_TUNNEL_IF',
  'CONFIG_PROVISION_DEMO_FLOATRANGE',
  'CAIRN_APT_PROXY',
] as const;

/** Every setting the lab passes to the answer-file generator. `publicKey` is an absolute path. */
export function labAnswerSettings(plan: LabPlan, publicKey: string): Record<string, string> {
  const controller = controllersOf(plan)[0];
  const settings: Record<string, string> = {
    CONFIG_CONTROLLER_HOST: controller?.managementAddress ?? '',
    CONFIG_COMPUTE_HOSTS: computesOf(plan).map((n) => n.managementAddress).join(','),
    CONFIG_NETWORK_HOSTS: controller?.managementAddress ?? '',
    CONFIG_NTP_SERVERS: plan.management.gateway,
    CONFIG_SSH_KEY: publicKey,
    CONFIG_NEUTRON_ML2_TYPE_DRIVERS: 'flat,vxlan',
    CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES: 'vxlan',
    CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS: 'physnet1:br-ex',
    CONFIG_NEUTRON_OVS_BRIDGE_IFACES: `br-ex:${plan.external.interface}`,
    // Tunnels over the external network: with the userspace datapath OVS sends VXLAN only out of
    // a bridge holding the tunnel address (br-ex on the controller, br-tunnel on the computes).
    CONFIG_NEUTRON_OVS_TUNNEL_IF: plan.external.interface,
    // No /dev/kvm in a container lab: software emulation. The kernel has no openvswitch module.
    CONFIG_NOVA_LIBVIRT_VIRT_TYPE: 'qemu',
    CAIRN_OVS_DATAPATH_TYPE: 'netdev',
    // Demo provisioning with the lab's external network as the floating range: the deploy host
    // holds its gateway address, so floating IPs answer from here.
    CONFIG_PROVISION_DEMO: 'y',
    CONFIG_PROVISION_DEMO_FLOATRANGE: plan.external.subnet,
    // Heat, which Packstack leaves off: the lab deploys every service cairn can.
    CONFIG_HEAT_INSTALL: 'y',
    // Nodes already use the host's Debian archive (the node image's apt sources), through the
    // gateway's package cache (gateway-apt-cache.ts).
    CONFIG_REPO: '',
    CAIRN_APT_PROXY: aptProxyUrl(plan),
  };
  for (const service of SERVICES_OFF_IN_LABS) settings[`CONFIG_${service}_INSTALL`] = 'n';
  return settings;
}

/** The result of bringing an existing answer file in step with the lab. */
export interface AnswerFileUpdate {
  text: string;
  /** `KEY: old -> new` for each key rewritten. */
  changed: string[];
  /** Keys the lab sets that the file does not have at all (left alone; warned about). */
  missing: string[];
}

/**
 * Rewrites the `keys` of an existing answer file to the lab's values, line by line, leaving
 * everything else (passwords, comments, your edits) exactly as it was.
 */
export function updateAnswerFile(
  text: string,
  settings: Record<string, string>,
  keys: readonly string[] = LAB_HOST_KEYS,
): AnswerFileUpdate {
  const changed: string[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n').map((line) => {
    const m = /^(\s*)([A-Z0-9_]+)(\s*=\s*)(.*?)(\r?)$/.exec(line);
    if (!m || !keys.includes(m[2]!)) return line;
    const key = m[2]!;
    seen.add(key);
    const want = settings[key];
    if (want === undefined || m[4] === want) return line;
    changed.push(`${key}: ${m[4]} -> ${want}`);
    return `${m[1]}${key}${m[3]}${want}${m[5]}`;
  });
  return { text: lines.join('\n'), changed, missing: keys.filter((k) => !seen.has(k)) };
}

/** The signature of src/config/generate.ts's generator. */
export type GenerateAnswerFile = (settings: Record<string, string>) => string;
