/**
 * The Docker engine of containers mode, on every host that runs a service container: part of
 * the host side's plan, so it is installed in the same apt transaction as the infrastructure
 * (on every host at once, through the packages step's retry of a failed download), and its unit
 * is enabled and started by the same units step. The containers stage only checks that the
 * engine answers (node-prep.ts ensureEngine), and installs it itself when the host side was
 * skipped.
 */
import type { ServiceDescriptor } from './descriptor.js';

/** docker.io from Debian's archive on every role; RHEL-family hosts have no Docker package in their own repositories. */
export const dockerEngine: ServiceDescriptor = {
  name: 'docker-engine',
  enabled: (d) => d.mode === 'containers',
  components: (['control', 'network', 'compute'] as const).map((role) => ({
    name: 'docker',
    role,
    unit: { debian: 'docker', rhel: 'docker' },
    packages: { debian: ['docker.io'], rhel: [] },
    ports: [],
    osFamilies: ['debian'],
  })),
  files: () => [],
};
