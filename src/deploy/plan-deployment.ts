/**
 * Deployment + hardware -> decided Deployment -> rendered files -> Plan: the pure part of a run,
 * composed once. `deploy` calls it once per run, from the hosts' hardware (apply's planner);
 * `verify` and `render` call it without hardware (nothing they read depends on it).
 */
import type { Deployment } from '../config/model.js';
import { hostSideServices } from '../containers/infra.js';
import { containerServices } from '../containers/services.js';
import { buildPlan } from '../plan/build-plan.js';
import { decideHosts, type Hardware, type HostNote } from '../plan/decide-hosts.js';
import type { Playbook } from '../plan/playbook.js';
import type { Plan } from '../plan/steps.js';
import { renderFiles, type RenderedFile } from '../render/render-files.js';
import { TemplateSet } from '../render/templates.js';
import { allServices } from '../services/index.js';
import { shippedPlaybooks } from './playbooks.js';

/** The stages a run composes; a test may wrap them (to count calls), nothing else replaces them. */
export interface Stages {
  renderFiles: typeof renderFiles;
  buildPlan: typeof buildPlan;
}

/** The real stages. */
export const STAGES: Stages = { renderFiles, buildPlan };

/** What a run works from: the deployment with its hardware decisions, its files and its plan. */
export interface Planned {
  deployment: Deployment;
  /** Every file of every enabled service (containers mode: also the containers' files). */
  files: RenderedFile[];
  plan: Plan;
  /** Decisions worth telling the user (virt_type falling back to qemu). */
  notes: HostNote[];
}

/** Inputs that are loaded once per run and reused by every planning call. */
export interface PlanInputs {
  playbooks?: readonly Playbook[];
  templates?: TemplateSet;
  stages?: Stages;
}

/**
 * Plans `d` given its hosts' hardware. Packages mode: every service on the hosts. Containers
 * mode: the host side only (see hostSidePlan), while `files` also holds what the service
 * containers read, so the containers stage renders nothing again.
 */
export function planDeployment(d: Deployment, hardware: ReadonlyMap<string, Hardware> = new Map(), inputs: PlanInputs = {}): Planned {
  const stages = inputs.stages ?? STAGES;
  const { deployment, notes } = decideHosts(d, hardware);
  const files = stages.renderFiles(deployment, allServices, inputs.templates ?? new TemplateSet());
  const playbooks = inputs.playbooks ?? shippedPlaybooks();
  const plan = deployment.mode === 'containers' ? hostSidePlan(deployment, files, playbooks, stages) : stages.buildPlan(deployment, files, playbooks, allServices);
  return { deployment, files, plan, notes };
}

/**
 * The host-side plan of containers mode (what a containers deploy applies and `cairn verify`
 * checks the units of): the packages-mode plan restricted to chrony, repositories, MariaDB
 * (with the container services' databases), RabbitMQ, memcached, Open vSwitch with the provider
 * bridges, libvirtd and the admin credentials.
 */
function hostSidePlan(d: Deployment, files: readonly RenderedFile[], playbooks: readonly Playbook[], stages: Stages): Plan {
  const services = hostSideServices(containerServices);
  // The services that really render on the host side are the packages-mode descriptors
  // themselves; the container services' host-side views render nothing.
  const rendering = new Set(services.filter((s) => allServices.includes(s)).map((s) => s.name));
  // The provider bridges and forwarding stay (Open vSwitch is on the host, the agents' routers
  // forward); a playbook's own commands do not (they may call tools only packages mode installs).
  const hostPlaybooks = playbooks.map((p) => ({ ...p, commands: [] }));
  return stages.buildPlan(d, files.filter((f) => rendering.has(f.service)), hostPlaybooks, services);
}
