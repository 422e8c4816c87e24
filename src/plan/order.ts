/**
 * The order a host's steps run in: one explicit list, owned by code (kind's create.go), not
 * by playbooks or file names. Within a phase, services keep the order of services/index.ts.
 */
export const PHASES = [
  // Package sources first: every package below comes from the repositories configured here.
  'repos',
  // One install of everything the host needs: one resolver run and one dpkg/rpm transaction
  // instead of one per service.
  'packages',
  // Every rendered file, before services are (re)started, so nothing runs on packaged defaults
  // longer than the install itself.
  'files',
  'sysctl',
  // After openvswitch-switch is installed and before the OVS agent starts: the agent exits when
  // a bridge named in bridge_mappings does not exist.
  'ovs-bridges',
  // Enable and start units in service order; restart those whose files changed in this run.
  // Each service's bootstrap steps (phase 'bootstrap': migrations before its units start,
  // registration after) run here, next to its units, because the next service needs them.
  'units',
  // After chrony restarted with its new servers.
  'chrony-sync',
  // Playbook commands last: they may need any service above.
  'commands',
] as const;

/** A phase name. */
export type Phase = (typeof PHASES)[number];
