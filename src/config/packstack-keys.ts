/**
 * Packstack keys that cairn knows but does not act on: services it does not deploy (yet),
 * features Packstack or OpenStack removed, and options it does not implement. They are never
 * silently ignored: each group is reported once, and a group whose service is switched on is
 * an error when cairn cannot deliver it.
 */

/** A family of keys cairn recognises and ignores, with the reason. */
export interface IgnoredGroup {
  /** What the messages call the group: a key name or a `PREFIX_*` pattern. */
  label: string;
  match: RegExp;
  /** The y/n key that switches the feature on, if any. */
  toggle?: string;
  /** Severity when the toggle says y (errors: cairn cannot deploy what was asked for). */
  whenOn?: 'error' | 'warning';
  /** Why the keys are ignored (and, with whenOn, why switching on is refused or harmless). */
  reason: string;
}

const notDeployed = (service: string, prefix: string, toggle: string, note = ''): IgnoredGroup => ({
  label: `${prefix}*`,
  match: new RegExp(`^${prefix}`),
  toggle,
  whenOn: 'error',
  reason: `cairn does not deploy ${service} yet${note}`,
});

/**
 * Checked in order; the first match wins (the specific groups come before the generic purge and
 * TLS groups further down).
 */
export const IGNORED_GROUPS: readonly IgnoredGroup[] = [
  {
    label: 'CONFIG_CINDER_* of other backends',
    match: /^CONFIG_CINDER_(NETAPP_|GLUSTER_|NFS_|SOLIDFIRE_|VMDK_)/,
    reason: 'cairn deploys Cinder\'s lvm backend only (CONFIG_CINDER_BACKEND), so the other backends\' settings are not used',
  },
  {
    label: 'CONFIG_CINDER_BACKUP_*, CONFIG_CINDER_*_VOLUME_TYPE',
    match: /^CONFIG_CINDER_(BACKUP|.*VOLUME_TYPE)/,
    reason: 'cairn does not deploy cinder-backup or make volume types; volumes go to the lvm backend\'s default type',
  },
  notDeployed('Manila (shared file systems)', 'CONFIG_MANILA_', 'CONFIG_MANILA_INSTALL'),
  notDeployed('Ceilometer (telemetry)', 'CONFIG_CEILOMETER_', 'CONFIG_CEILOMETER_INSTALL'),
  notDeployed('Aodh (alarming)', 'CONFIG_AODH_', 'CONFIG_AODH_INSTALL'),
  notDeployed('Gnocchi (metrics)', 'CONFIG_GNOCCHI_', 'CONFIG_GNOCCHI_INSTALL'),
  notDeployed('Panko (events)', 'CONFIG_PANKO_', 'CONFIG_PANKO_INSTALL', '; Packstack dropped it too'),
  { label: 'CONFIG_HEAT_CLOUDWATCH_INSTALL', match: /^CONFIG_HEAT_CLOUDWATCH_INSTALL$/, toggle: 'CONFIG_HEAT_CLOUDWATCH_INSTALL', whenOn: 'error', reason: 'heat-api-cloudwatch was removed from Heat (Queens); alarms are Aodh\'s, which cairn does not deploy' },
  notDeployed('Magnum (container infrastructure)', 'CONFIG_MAGNUM_', 'CONFIG_MAGNUM_INSTALL'),
  notDeployed('Trove (databases)', 'CONFIG_TROVE_', 'CONFIG_TROVE_INSTALL', '; Packstack dropped it too'),
  notDeployed('Ironic (bare metal)', 'CONFIG_IRONIC_', 'CONFIG_IRONIC_INSTALL'),
  notDeployed('Sahara (data processing)', 'CONFIG_SAHARA_', 'CONFIG_SAHARA_INSTALL', '; Packstack dropped it too'),
  notDeployed('Tempest', 'CONFIG_PROVISION_TEMPEST', 'CONFIG_PROVISION_TEMPEST', '; `cairn verify` checks the cloud instead'),
  { label: 'CONFIG_RUN_TEMPEST', match: /^CONFIG_RUN_TEMPEST/, toggle: 'CONFIG_RUN_TEMPEST', whenOn: 'error', reason: 'cairn does not run Tempest yet; `cairn verify` checks the cloud instead' },
  { label: 'CONFIG_LBAAS_INSTALL', match: /^CONFIG_LBAAS_/, toggle: 'CONFIG_LBAAS_INSTALL', whenOn: 'error', reason: 'Neutron LBaaS was removed from OpenStack (Octavia replaced it) and cairn deploys neither' },
  { label: 'CONFIG_NEUTRON_METERING_AGENT_INSTALL', match: /^CONFIG_NEUTRON_METERING_AGENT_INSTALL$/, toggle: 'CONFIG_NEUTRON_METERING_AGENT_INSTALL', whenOn: 'error', reason: 'cairn does not deploy the Neutron metering agent yet' },
  { label: 'CONFIG_NEUTRON_FWAAS', match: /^CONFIG_NEUTRON_FWAAS$/, toggle: 'CONFIG_NEUTRON_FWAAS', whenOn: 'error', reason: 'cairn does not deploy Neutron FWaaS' },
  { label: 'CONFIG_NEUTRON_VPNAAS', match: /^CONFIG_NEUTRON_VPNAAS$/, toggle: 'CONFIG_NEUTRON_VPNAAS', whenOn: 'error', reason: 'cairn does not deploy Neutron VPNaaS' },
  { label: 'CONFIG_VMWARE_BACKEND, CONFIG_VCENTER_*', match: /^(CONFIG_VMWARE_BACKEND$|CONFIG_VCENTER_)/, toggle: 'CONFIG_VMWARE_BACKEND', whenOn: 'error', reason: 'cairn deploys libvirt computes only, not VMware vCenter' },
  { label: 'CONFIG_NAGIOS_*', match: /^CONFIG_NAGIOS_/, toggle: 'CONFIG_NAGIOS_INSTALL', whenOn: 'warning', reason: 'Packstack removed its Nagios monitoring (Newton); cairn does not install Nagios, and `cairn verify` checks the cloud' },
  { label: 'CONFIG_USE_SUBNETS', match: /^CONFIG_USE_SUBNETS$/, toggle: 'CONFIG_USE_SUBNETS', whenOn: 'error', reason: 'cairn takes host addresses, not subnets: list the hosts or use an inventory' },
  { label: 'CONFIG_ENABLE_RDO_TESTING', match: /^CONFIG_ENABLE_RDO_TESTING$/, toggle: 'CONFIG_ENABLE_RDO_TESTING', whenOn: 'warning', reason: 'cairn does not manage RDO repositories; list the repositories you want in CONFIG_REPO' },

  { label: 'CONFIG_NOVA_NETWORK_*', match: /^CONFIG_NOVA_NETWORK_/, reason: 'nova-network was removed from Nova (Rocky); cairn networks with Neutron' },
  { label: 'CONFIG_KEYSTONE_API_VERSION', match: /^CONFIG_KEYSTONE_API_VERSION$/, reason: 'the Keystone v2.0 API was removed (Queens); cairn always uses v3' },
  { label: 'CONFIG_KEYSTONE_TOKEN_FORMAT', match: /^CONFIG_KEYSTONE_TOKEN_FORMAT$/, reason: 'UUID tokens were removed from Keystone (Rocky); cairn always uses fernet tokens' },
  { label: 'CONFIG_KEYSTONE_ADMIN_TOKEN', match: /^CONFIG_KEYSTONE_ADMIN_TOKEN$/, reason: 'the Keystone admin token is gone; cairn bootstraps Keystone with keystone-manage bootstrap' },
  { label: 'CONFIG_KEYSTONE_SERVICE_NAME', match: /^CONFIG_KEYSTONE_SERVICE_NAME$/, reason: 'cairn runs Keystone the way the distribution packages it (uwsgi on Debian, httpd on RHEL family)' },
  { label: 'CONFIG_KEYSTONE_LDAP_*', match: /^CONFIG_KEYSTONE_LDAP_/, reason: 'LDAP identity is not implemented by cairn (CONFIG_KEYSTONE_IDENTITY_BACKEND must be sql)' },
  { label: 'CONFIG_USE_EPEL', match: /^CONFIG_USE_EPEL$/, reason: 'Packstack stopped using EPEL; cairn installs only from the distribution and CONFIG_REPO' },
  { label: 'CONFIG_MONGODB_HOST', match: /^CONFIG_MONGODB_/, reason: 'MongoDB was only used by Ceilometer, which cairn does not deploy' },
  { label: 'CONFIG_REDIS_*', match: /^CONFIG_REDIS_/, reason: 'Redis was only used by telemetry services, which cairn does not deploy' },
  { label: '*_DB_PURGE_ENABLE, CONFIG_KEYSTONE_FERNET_TOKEN_ROTATE_ENABLE', match: /(_DB_PURGE_ENABLE|^CONFIG_KEYSTONE_FERNET_TOKEN_ROTATE_ENABLE)$/, reason: 'cairn does not install Packstack\'s database purge and fernet rotation cron jobs yet' },
  { label: 'CONFIG_SSL_*, CONFIG_SELFSIGN_*', match: /^(CONFIG_SSL_|CONFIG_SELFSIGN_)/, reason: 'cairn does not set up TLS yet: services answer on plain HTTP inside the cloud\'s networks' },
  { label: 'CONFIG_AMQP_NSS_CERTDB_PW, CONFIG_AMQP_SSL_*', match: /^CONFIG_AMQP_(NSS_CERTDB_PW|SSL_)/, reason: 'AMQP over TLS is not implemented by cairn yet' },
  { label: 'CONFIG_HORIZON_SSL_*', match: /^CONFIG_HORIZON_SSL_/, reason: 'HTTPS for Horizon is not implemented by cairn yet' },
  { label: 'CONFIG_RH_*, CONFIG_SATELLITE_*', match: /^(CONFIG_RH_|CONFIG_SATELLITE_)/, reason: 'cairn does not register hosts with Red Hat subscription services: register them before deploying' },
  { label: 'CONFIG_NOVA_* extras', match: /^(CONFIG_NOVA_(MANAGE_FLAVORS|COMPUTE_MANAGER|COMPUTE_PRIVIF|PCI_|LIBVIRT_[A-Z_]+$)|CONFIG_VNC_SSL_)/, reason: 'these Nova options are not implemented by cairn; Nova\'s defaults apply' },
  { label: 'CONFIG_NEUTRON_* extras', match: /^CONFIG_NEUTRON_(LB_|OVS_BRIDGES_COMPUTE|OVS_EXTERNAL_PHYSNET|OVS_TUNNEL_SUBNETS|ML2_SRIOV_|ML2_SUPPORTED_PCI_|OVN_)/, reason: 'these Neutron options (Linux bridge, OVN, SR-IOV, compute-side bridges) are not implemented by cairn' },
  { label: 'CONFIG_PROVISION_* extras', match: /^(CONFIG_PROVISION_(DEMO_|IMAGE_|UEC_|OVS_BRIDGE|ALL_IN_ONE_OVS_BRIDGE))/, reason: 'cairn\'s demo provisioning boots its own guest image (`cairn images guest`, built from Debian\'s packages) and downloads none; of the CONFIG_PROVISION_DEMO_* keys it reads CONFIG_PROVISION_DEMO_FLOATRANGE' },
  { label: 'CONFIG_UNSUPPORTED', match: /^CONFIG_UNSUPPORTED$/, reason: 'cairn has no unsupported-options switch' },
  { label: 'EXCLUDE_SERVERS', match: /^EXCLUDE_SERVERS$/, reason: 'cairn has no server exclusion list: use an inventory to choose the hosts of a run' },
];

/** The group `key` belongs to, if any. */
export function ignoredGroupOf(key: string): IgnoredGroup | undefined {
  return IGNORED_GROUPS.find((g) => g.match.test(key));
}

/** Toggles cairn writes as `n` in a generated answer file, so users see what it does not deploy. */
export const NOT_DEPLOYED_TOGGLES: readonly string[] = IGNORED_GROUPS.filter(
  (g) => g.toggle && g.whenOn === 'error' && /_INSTALL$/.test(g.toggle),
).map((g) => g.toggle!);

/** Placeholder Packstack writes for passwords it fills in with random ones at run time. */
export const PW_PLACEHOLDER = 'PW_PLACEHOLDER';
