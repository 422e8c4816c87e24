/**
 * The order a host's steps run in: one explicit list, owned by code (kind's create.go), not
 * by playbooks or file names. The planner walks it front to back and reads the order nowhere
 * else. Within a phase, services keep the order of services/index.ts.
 */
import * as phase from './phases.js';
import type { PhaseFunction } from './phases.js';

/** The phases, in the order they run, each with the function that plans it. */
export const PHASES = [
  // Package sources first: every package below comes from the repositories configured here.
  { name: 'repos', steps: phase.repos },
  // One install of everything the host needs: one resolver run and one dpkg/rpm transaction
  // instead of one per service.
  { name: 'packages', steps: phase.packages },
  // Every rendered file, before services are (re)started, so nothing runs on packaged defaults
  // longer than the install itself.
  { name: 'files', steps: phase.files },
  { name: 'sysctl', steps: phase.sysctl },
  // After openvswitch-switch is installed and before the OVS agent starts: the agent exits when
  // a bridge named in bridge_mappings does not exist.
  { name: 'ovs-bridges', steps: phase.ovsBridges },
  // Enable and start units in service order; restart those whose files changed in this run.
  // Each service's bootstrap steps (phase 'bootstrap': migrations before its units start,
  // registration after) run here, next to its units, because the next service needs them.
  { name: 'units', steps: phase.units },
  // After chrony restarted with its new servers.
  { name: 'chrony-sync', steps: phase.chronySync },
  // Playbook commands last: they may need any service above.
  { name: 'commands', steps: phase.commands },
] as const satisfies readonly { name: string; steps: PhaseFunction }[];

/** A phase name. */
export type Phase = (typeof PHASES)[number]['name'];

/** The phase names, in the order they run. */
export const PHASE_NAMES: readonly Phase[] = PHASES.map((p) => p.name);
