/**
 * What a lab provider (Docker containers, libvirt VMs) does for `cairn lab`. lab.ts owns the
 * flow (plan, key pair, known_hosts, inventory, answer file); a provider only makes, finds and
 * removes machines and networks.
 */
import type { LabPlan } from './address-plan.js';
import type { LabPaths } from './lab-name.js';
import type { NodeHostKeys } from './known-hosts.js';
import type { NodeRow } from './node-table.js';
import type { Progress } from '../local/progress.js';

/** Context every provider call gets. */
export interface ProviderContext {
  paths: LabPaths;
  progress: Progress;
}

/** Address slots as the provider's own registry (the engine) sees them. */
export interface SlotView {
  /** The slot lab's existing networks use, when it has any. */
  own?: number;
  /** Slots other labs or other networks occupy, each with who has it. */
  taken: Map<number, string>;
}

/** What `up` reports. */
export interface UpResult {
  nodes: NodeRow[];
  /** Host keys read from each node out of band, for known_hosts. */
  hostKeys: NodeHostKeys[];
  /** What this run changed on the provider (empty when the lab already was as planned). */
  changes: string[];
}

/** What `status` reports. */
export interface LabObservation {
  /** Whether anything of the lab exists on the provider. */
  exists: boolean;
  networks: { name: string; subnet: string; exists: boolean }[];
  gateway: { name: string; state: string };
  nodes: NodeRow[];
}

/** A way of making lab machines. */
export interface LabProvider {
  readonly name: 'docker' | 'libvirt';
  /** How long nodes may take after `up` before sshd accepts the lab key. */
  readonly sshDeadlineMs: number;
  slots(lab: string): Promise<SlotView>;
  up(plan: LabPlan, publicKey: string, ctx: ProviderContext): Promise<UpResult>;
  /** Removes everything of lab `lab`; returns a line per thing removed. */
  /** Removes the lab's objects; `purge` also its package cache. */
  down(lab: string, ctx: ProviderContext, purge?: boolean): Promise<string[]>;
  status(plan: LabPlan | undefined, lab: string): Promise<LabObservation>;
}
