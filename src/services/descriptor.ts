/**
 * The shape of a service descriptor: one per OpenStack or infrastructure service, the single
 * source of truth that rendering, placement, apply and verification all iterate
 * (kolla-ansible's `<service>_services` maps, as a typed value).
 */
import type { Deployment, Host, OsFamily, Role } from '../config/model.js';
import type { FileStep, Step } from './steps.js';
import type { ApiCheck, ApiCheckContext } from './api-checks.js';
import type { ContainerDef } from './container-def.js';

/** What a descriptor sees when it decides a host's files: the deployment and that host. */
export interface HostContext {
  deployment: Deployment;
  host: Host;
  /** Shortcut for host.osFamily. */
  os: OsFamily;
}

/** One configuration file a service puts on a host. */
export interface FileSpec {
  /** Absolute path on the host. */
  path: string;
  /** Template path relative to templates/, e.g. `keystone/keystone.conf.hbs`. */
  template: string;
  /** Octal permission string, e.g. `0640`. */
  mode: string;
  owner: string;
  group: string;
  /** systemd units restarted when this file changes in a run. */
  restarts: string[];
  /** The template's typed view-model; all decisions are made here, not in the template. */
  view: Record<string, unknown>;
}

/** One unit of a service (e.g. nova-api) and the role whose hosts run it. */
export interface Component {
  name: string;
  role: Role;
  /** systemd unit per OS family. */
  unit: Record<OsFamily, string>;
  /** Distribution packages per OS family. */
  packages: Record<OsFamily, string[]>;
  /** TCP ports it listens on (for health checks and prechecks). */
  ports: number[];
  /**
   * OS families that have this component, when not all do: Debian splits neutron-server into
   * neutron-api and neutron-rpc-server, RHEL runs both in one neutron-server unit.
   */
  osFamilies?: OsFamily[];
}

/**
 * Phases a descriptor can add host steps to (ServiceDescriptor.hostSteps). `ovs-bridges` and
 * `chrony-sync` run only on hosts whose playbooks name them.
 */
export type HostStepPhase = 'repos' | 'files' | 'ovs-bridges' | 'chrony-sync';

/** What a descriptor sees when it adds host steps: the host, and its own files there. */
export interface HostStepContext extends HostContext {
  /** This service's files on the host, as the file steps the planner made of them. */
  files: readonly FileStep[];
}

/** A database the service owns on the control host's MariaDB. */
export interface DatabaseSpec {
  name: string;
  user: string;
  password: (d: Deployment) => string;
}

/** A Keystone catalog entry the service registers. */
export interface EndpointSpec {
  serviceName: string;
  serviceType: string;
  /** URL for all three interfaces, given the control host's address. */
  url: (controllerAddress: string) => string;
  /** Keystone user (in project `service`) the service authenticates as. */
  user: string;
  password: (d: Deployment) => string;
}

/**
 * What a service needs in Keystone besides its service user and catalog entries (heat's stack
 * domain and roles). The catalog step makes it, idempotently, with everything else.
 */
export interface IdentitySpec {
  /** Roles that must exist. */
  roles?: string[];
  /** Domains, each with an administrator: a user of the domain with `admin` on it. */
  domains?: { name: string; description: string; admin: { name: string; password: string } }[];
  /** Role grants to existing users (of the default domain) on projects of the default domain. */
  grants?: { user: string; project: string; role: string }[];
}

/** A service descriptor. */
export interface ServiceDescriptor {
  name: string;
  /** Whether the deployment turns this service on. */
  enabled: (d: Deployment) => boolean;
  components: Component[];
  /**
   * Roles whose hosts run this service besides its components' roles: where a service of
   * files or host steps only goes (repositories everywhere, credentials on control hosts).
   * With the components' roles this is the one placement source (see placedOn); playbooks
   * name no services.
   */
  roles?: readonly Role[];
  /** Files this service puts on `ctx.host` (empty when it runs nothing there). */
  files: (ctx: HostContext) => FileSpec[];
  /**
   * The phase this service's files are written in, when not `files`: repositories go in
   * `repos`, before the packages that come from them.
   */
  filesPhase?: 'repos';
  /**
   * Steps this service adds to a host's plan besides its files, packages, units and bootstrap,
   * by phase; when each phase runs is the planner's (plan/order.ts), not the service's.
   */
  hostSteps?: { readonly [P in HostStepPhase]?: (ctx: HostStepContext) => Step[] };
  databases?: DatabaseSpec[];
  endpoints?: EndpointSpec[];
  /** Keystone domains, roles and grants the service needs (see IdentitySpec). */
  identity?: (d: Deployment) => IdentitySpec;
  /**
   * Commands that bring the service up on `ctx.host` beyond files and units: database
   * migrations, key setup, registration. `all` is every enabled service, for the steps that
   * act for all of them (MariaDB creates every database, Keystone registers every endpoint).
   */
  bootstrap?: (ctx: HostContext, all: readonly ServiceDescriptor[]) => BootstrapStep[];
  /**
   * The containers this service runs as in containers mode, in deployment order; none for a
   * service that stays on the host (infrastructure). They read this descriptor's rendered
   * files and run its bootstrap steps as one-shot containers.
   */
  containers?: readonly ContainerDef[];
  /**
   * The checks `cairn verify` runs against this service's API on the control host, with the
   * admin credentials loaded, when the service is deployed (see verify/checks.ts apiServices).
   */
  apiChecks?: (ctx: ApiCheckContext) => ApiCheck[];
}

/**
 * One bootstrap command (or wait) of a service. It runs on the host whose plan it is in, next
 * to the service's units: `before-start` ones (migrations) before the units (re)start,
 * `after-start` ones (registration) once they run.
 */
export interface BootstrapStep {
  /** Unique within the service; the step id is `command:<service>:<name>`. */
  name: string;
  title: string;
  when: 'before-start' | 'after-start';
  argv: string[];
  /** Input on stdin: where passwords go, never argv. */
  stdin?: string;
  /**
   * What, besides argv and stdin, the outcome depends on (e.g. the database URL a migration
   * reads). A stamped command re-runs when any of these change; see CommandStep.stamp.
   */
  inputs?: string[];
  /** Guards instead of a stamp: skip when this path exists... */
  creates?: string;
  /** ...or when this command exits 0. */
  unless?: string[];
  /** Poll `argv` until it exits 0, instead of running it once (read-only checks). */
  wait?: { intervalMs: number; deadlineMs: number };
  /**
   * For an after-start wait that nothing else on the host needs (an API's readiness, checked so
   * the deploy ends with every API answering): it runs after all of the host's units have
   * started instead of right after its own, so the services load side by side rather than
   * each in turn.
   */
  atEnd?: boolean;
  /**
   * For a before-start command that needs only its database and the host's files (a schema
   * migration; Horizon's static files, which need no database): it is started as soon as the
   * databases exist, in the host's background lane, instead of when its service's turn comes;
   * the service's own steps wait for it.
   */
  early?: boolean;
  timeoutMs?: number;
  /** Units restarted when this command ran (it changed their configuration). */
  restarts?: string[];
}

/** Components of `service` that run on `host`. */
export function componentsOn(service: ServiceDescriptor, host: Host): Component[] {
  return service.components.filter(
    (c) => host.roles.includes(c.role) && (c.osFamilies === undefined || c.osFamilies.includes(host.osFamily)),
  );
}

/**
 * Roles whose hosts run `service`: its components' roles and its own `roles`, in role order.
 * A view of a descriptor that keeps fewer components must keep these as its `roles`.
 */
export function placementRoles(service: ServiceDescriptor): Role[] {
  const roles: readonly Role[] = ['control', 'network', 'compute'];
  return roles.filter((r) => service.roles?.includes(r) || service.components.some((c) => c.role === r));
}

/** Whether `service` runs on `host` (one of the host's roles is one of its placementRoles). */
export function placedOn(service: ServiceDescriptor, host: Host): boolean {
  return placementRoles(service).some((r) => host.roles.includes(r));
}

/** Units of the components of `service` that run on `host`, for `ctx.os`. */
export function unitsOn(service: ServiceDescriptor, ctx: HostContext): string[] {
  return componentsOn(service, ctx.host).map((c) => c.unit[ctx.os]);
}
