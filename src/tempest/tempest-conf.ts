/**
 * tempest.conf from the Deployment: where the APIs are, the admin's credentials, which services
 * cairn deployed, the guest image, flavors and external network demo provisioning made, and
 * feature flags that say what this cloud can do. Pure; the IDs Tempest wants (image, flavors,
 * network) are looked up on the cloud first (run-tempest.ts) and passed in.
 *
 * Every flag that differs from Tempest's default says why here, so a skip in the report can be
 * traced to a line of this file.
 */
import type { Deployment } from '../config/model.js';
import { hasRole } from '../config/model.js';
import { dashboardRootUrl } from '../services/horizon.js';
import { SWIFT_FEATURES } from '../services/swift.js';
import { iniBool, iniValue, keystoneUrl } from '../services/common.js';
import type { DemoSpec } from '../provision/demo-spec.js';

/** What the cloud calls the things demo provisioning made. */
export interface CloudIds {
  imageId: string;
  flavorId: string;
  flavorAltId: string;
  publicNetworkId: string;
  /** The aliases of the API extensions Neutron loaded (Tempest's "all" expects some it may lack, e.g. metering). */
  networkExtensions: string[];
}

/** A section of an INI file: option name to an already escaped value. */
type Section = Record<string, string>;

/** One reason per feature cairn's cloud lacks, by tempest.conf section and option. */
export const FEATURES_OFF: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'compute-feature-enabled': {
    // Nova moves guests between computes over SSH between the compute hosts' nova users, which
    // cairn does not set up; resize to the same host is off in nova.conf (Nova's default).
    resize:
      'resize and cold migration move a guest between compute hosts over SSH, which cairn does not set up',
    cold_migration:
      'cold migration needs SSH between the compute hosts, which cairn does not set up',
    live_migration:
      'live migration needs libvirt connections between the compute hosts, which cairn does not set up',
    shelve_migrate: 'unshelve to another host is a migration, which cairn does not set up',
    // The guest has no agent that sets passwords and no rescue userspace of its own.
    change_password: 'the guest image has no agent that sets the root password',
    rescue:
      "the guest is a kernel and ramdisk pair: a rescue boot would boot the same ramdisk, so Tempest's rescue checks cannot tell",
    // Nova builds config drives with genisoimage, which cairn does not install on computes.
    config_drive:
      'config drives need genisoimage on the compute hosts, which cairn does not install; guests use the metadata service',
    attach_encrypted_volume: 'encrypted volumes need a key manager (Barbican), which cairn does not deploy',
    serial_console: 'nova.conf has no [serial_console]',
    spice_console: 'the consoles are VNC (noVNC)',
  },
};

/** The INI text of `sections`, in order. */
function ini(sections: ReadonlyArray<[string, Section]>): string {
  const out: string[] = [
    '# Written by cairn verify --tempest from the deployment; a re-run rewrites it.',
  ];
  for (const [name, opts] of sections) {
    out.push('', `[${name}]`);
    for (const [k, v] of Object.entries(opts)) out.push(`${k} = ${v}`);
  }
  return out.join('\n') + '\n';
}

/** tempest.conf of `d` for a Tempest workspace at `workspace`. */
export function tempestConf(
  d: Deployment,
  demo: DemoSpec,
  ids: CloudIds,
  workspace: string,
): string {
  const computes = d.hosts.filter((h) => hasRole(h, 'compute')).length;
  const off = (section: string): Section =>
    Object.fromEntries(Object.keys(FEATURES_OFF[section] ?? {}).map((k) => [k, iniBool(false)]));
  return ini([
    ['DEFAULT', { log_file: iniValue(`${workspace}/tempest.log`), use_stderr: iniBool(false) }],
    ['oslo_concurrency', { lock_path: iniValue(`${workspace}/lock`) }],
    [
      'auth',
      {
        // Each test class gets its own project, user, network and router: nothing is shared
        // with the demo project, and nothing a test leaves behind outlives its project.
        use_dynamic_credentials: iniBool(true),
        create_isolated_networks: iniBool(true),
        admin_username: iniValue(d.keystone.adminUser),
        admin_password: iniValue(d.keystone.adminPassword),
        admin_project_name: 'admin',
        admin_domain_name: 'Default',
      },
    ],
    [
      'identity',
      {
        uri_v3: iniValue(keystoneUrl(d)),
        auth_version: 'v3',
        region: iniValue(d.keystone.region),
        v3_endpoint_type: 'public',
      },
    ],
    // Keystone's Zed API has no v2; application credentials are on by default there.
    [
      'identity-feature-enabled',
      { api_v2: iniBool(false), api_v2_admin: iniBool(false), api_v3: iniBool(true) },
    ],
    [
      'compute',
      {
        image_ref: iniValue(ids.imageId),
        image_ref_alt: iniValue(ids.imageId),
        flavor_ref: iniValue(ids.flavorId),
        flavor_ref_alt: iniValue(ids.flavorAltId),
        region: iniValue(d.keystone.region),
        min_compute_nodes: String(computes),
        // qemu without KVM: a guest takes about half a minute from create to SSH here.
        build_timeout: '300',
      },
    ],
    [
      'compute-feature-enabled',
      {
        ...off('compute-feature-enabled'),
        console_output: iniBool(true),
        vnc_console: iniBool(true),
        metadata_service: iniBool(true),
        interface_attach: iniBool(true),
        snapshot: iniBool(true),
      },
    ],
    ['image', { region: iniValue(d.keystone.region) }],
    ['image-feature-enabled', { api_v1: iniBool(false), api_v2: iniBool(true) }],
    [
      'network',
      {
        region: iniValue(d.keystone.region),
        public_network_id: iniValue(ids.publicNetworkId),
        floating_network_name: iniValue(demo.external.network),
        // Tempest's own project networks must not overlap the demo network or the hosts'.
        project_network_cidr: '10.100.0.0/16',
        project_networks_reachable: iniBool(false),
      },
    ],
    // ML2 with the port_security extension driver (neutron.ts). The extensions as Neutron lists
    // them: with Tempest's default "all", its extensions test expects metering and dvr, which
    // cairn does not load.
    [
      'network-feature-enabled',
      { port_security: iniBool(true), ipv6: iniBool(true), api_extensions: iniValue([...ids.networkExtensions].sort().join(',')) },
    ],
    [
      'validation',
      {
        run_validation: iniBool(true),
        connect_method: 'floating',
        auth_method: 'keypair',
        image_ssh_user: 'root',
        image_alt_ssh_user: 'root',
        network_for_ssh: iniValue(demo.external.network),
        // Nova generates RSA key pairs (Tempest's default, ecdsa, would not read them).
        ssh_key_type: 'rsa',
      },
    ],
    ['scenario', { dhcp_client: 'udhcpc' }],
    // What cairn's Swift proxy provides (swift.ts says why container sync is not among it);
    // Tempest's default, all, would test middlewares cairn does not load.
    ...(d.services.swift ? [['object-storage-feature-enabled', { container_sync: iniBool(false), discoverable_apis: SWIFT_FEATURES.join(',') }] as [string, Section]] : []),
    // cinder-backup is not deployed (Packstack's CONFIG_CINDER_BACKUP is not implemented).
    ...(d.services.cinder ? [['volume-feature-enabled', { backup: iniBool(false) }] as [string, Section]] : []),
    // The dashboard's web root (Tempest signs in at <dashboard_url>auth/login/): / in packages
    // mode, Debian's /horizon/ in containers mode; Tempest's default is http://localhost/.
    ...(d.services.horizon ? [['dashboard', { dashboard_url: iniValue(dashboardRootUrl(d)) }] as [string, Section]] : []),
    [
      'service_available',
      {
        nova: iniBool(d.services.nova),
        neutron: iniBool(d.services.neutron),
        glance: iniBool(d.services.glance),
        horizon: iniBool(d.services.horizon),
        cinder: iniBool(d.services.cinder),
        swift: iniBool(d.services.swift),
      },
    ],
  ]);
}
