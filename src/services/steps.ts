/**
 * Plan step types: what a host should look like, as data. A step never says how to get there;
 * the apply stage compares each step with the host's facts and does only what is still needed.
 *
 * They live with the services (and import nothing) because descriptors make steps of their own
 * (see ServiceDescriptor.hostSteps), and the planner, above the services, puts them in order.
 */

/** Fields every step has. */
export interface StepBase {
  /** Unique within a host's plan, stable across runs: `file:/etc/nova/nova.conf`. */
  id: string;
  /** What the progress display and logs call the step. */
  title: string;
  /** The service descriptor or host-preparation phase that produced it. */
  phase: string;
  /**
   * Runs in the host's background lane: the apply starts it here and goes on with the next
   * steps, while the lane runs its steps one at a time, in plan order (one beside the host's
   * other steps: two CPUs' worth, not more). A step that needs it names it in `after`.
   */
  background?: boolean;
  /** Background steps this one waits for (they must come earlier in the plan). */
  after?: string[];
}

/** A rendered file with its owner, mode, and the units it restarts when it changes. */
export interface FileStep extends StepBase {
  kind: 'file';
  path: string;
  mode: string;
  owner: string;
  group: string;
  content: string;
  sha256: string;
  restarts: string[];
  /** Put the file only on hosts where this fact holds (decided at apply time). */
  onlyIf?: FactCondition;
}

/** Host facts a step can depend on. */
export type FactCondition = 'cannot-set-clock';

/** Distribution packages that must be installed. */
export interface PackagesStep extends StepBase {
  kind: 'packages';
  names: string[];
  /**
   * Whether the packages' recommended (weak) dependencies come too (CAIRN_INSTALL_RECOMMENDS).
   * Absent: they do not, as in cairn's container images.
   */
  recommends?: boolean;
}

/** A systemd unit that must be enabled and running. */
export interface UnitStep extends StepBase {
  kind: 'unit';
  unit: string;
  /** Step ids of files whose change in this run restarts the unit (handlers). */
  restartOn: string[];
}

/** A kernel parameter that must have a value now (and after reboot, via a file step). */
export interface SysctlStep extends StepBase {
  kind: 'sysctl';
  key: string;
  value: string;
}

/**
 * A command with a guard: skipped when `creates` exists, or when `unless` exits 0. Without a
 * guard it runs only when one of `onChange` (step ids) changed in this run.
 */
export interface CommandStep extends StepBase {
  kind: 'command';
  argv: string[];
  stdin?: string;
  secrets?: string[];
  creates?: string;
  unless?: string[];
  onChange?: string[];
  /**
   * A digest of everything the command's outcome depends on (its argv, input and the config it
   * reads). The command runs when the digest the host recorded after its last success differs,
   * and records the new one after it succeeds: a run cut off before success is retried by the
   * next deploy, and a deploy with the same inputs skips it without a round trip.
   */
  stamp?: string;
  timeoutMs?: number;
}

/**
 * Waits until a probe command exits 0 (polling), or fails at the deadline. Read-only: it runs
 * in dry runs too, unless it depends on a change not made.
 */
export interface WaitStep extends StepBase {
  kind: 'wait';
  argv: string[];
  intervalMs: number;
  deadlineMs: number;
  /** What the step reports on success: the probe's stdout, e.g. chrony's offset and stratum. */
  report: boolean;
  /**
   * A readiness gate for the steps after it: needed only when something changed on the host
   * earlier in this run (a service that was running and was not restarted is still ready).
   */
  onlyAfterChange?: boolean;
}

/**
 * Puts an interface into an OVS bridge; when the interface carries the host's management
 * address, moves the address and routes to the bridge in one remote transaction that reverts
 * itself unless cairn confirms, over a new connection, that the host is still reachable.
 */
export interface BridgePortStep extends StepBase {
  kind: 'bridge-port';
  bridge: string;
  iface: string;
  datapathType: 'system' | 'netdev';
  /** Seconds the host waits for the confirmation before it reverts. */
  confirmSeconds: number;
}

/** Any step. */
export type Step = FileStep | PackagesStep | UnitStep | SysctlStep | CommandStep | WaitStep | BridgePortStep;
