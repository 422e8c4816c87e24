/**
 * A plan: each host's steps, in the order they run. The step types themselves are defined in
 * services/steps.ts (descriptors make steps too) and handed on from here, so the stages after
 * planning keep reading them from the plan.
 */

export type {
  BridgePortStep,
  CommandStep,
  FactCondition,
  FileStep,
  PackagesStep,
  Step,
  StepBase,
  SysctlStep,
  UnitStep,
  WaitStep,
} from '../services/steps.js';
import type { Step } from '../services/steps.js';

/** One host's steps, in the order they run. */
export interface HostPlan {
  host: string;
  address: string;
  osFamily: 'debian' | 'rhel';
  sudo: boolean;
  steps: Step[];
}

/** The whole plan: a pure value, printed by --dry-run and saved in the run directory. */
export interface Plan {
  hosts: HostPlan[];
}
