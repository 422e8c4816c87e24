/**
 * Deployment + rendered files + playbooks -> Plan. Pure: the same input gives the same plan,
 * which `deploy --dry-run` prints and `deploy` applies (re-checking each step on the host).
 */
import type { Deployment, Host } from '../config/model.js';
import type { RenderedFile } from '../render/render-files.js';
import { placedOn, type ServiceDescriptor } from '../services/descriptor.js';
import { PHASES } from './order.js';
import type { PhaseContext } from './phases.js';
import type { Playbook } from './playbook.js';
import type { HostPlan, Plan, Step } from './steps.js';

/** Builds the plan of every host. */
export function buildPlan(
  deployment: Deployment,
  files: readonly RenderedFile[],
  playbooks: readonly Playbook[],
  services: readonly ServiceDescriptor[],
): Plan {
  return { hosts: deployment.hosts.map((host) => planHost(deployment, host, files, playbooks, services)) };
}

/** One host's plan: each phase of order.ts in turn, given the steps of those before it. */
function planHost(
  deployment: Deployment,
  host: Host,
  files: readonly RenderedFile[],
  playbooks: readonly Playbook[],
  services: readonly ServiceDescriptor[],
): HostPlan {
  // Where a service runs is its descriptor's to say (its components' roles, its `roles`).
  const active = services.filter((s) => placedOn(s, host) && s.enabled(deployment));
  const steps: Step[] = [];
  const ctx: PhaseContext = {
    deployment,
    host,
    active,
    files: files.filter((f) => f.host === host.name && active.some((s) => s.name === f.service)),
    playbooks: playbooks.filter((p) => host.roles.includes(p.role)),
    steps,
  };
  for (const phase of PHASES) steps.push(...phase.steps(ctx));
  return { host: host.name, address: host.address, osFamily: host.osFamily, sudo: host.sudo, steps };
}
