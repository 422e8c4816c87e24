/**
 * The desired state of one service container, as a plain value (kolla-ansible's container
 * parameters, typed). Pure: nothing here talks to an engine. decide.ts compares a spec with
 * what `docker inspect` says (compare.ts), and engine.ts creates containers from it
 * (createOptions).
 */
import type { Bind } from '../services/container-def.js';

/** Labels cairn puts on every container it manages; state is rediscovered from them. */
export const LABELS = {
  /** Marks the container as cairn's (value: always `yes`). */
  managed: 'cairn.managed',
  /** Container service name, e.g. `keystone`, `glance-api`. */
  service: 'cairn.service',
  /** Image version the container runs, e.g. `zed-1` (the image tag). */
  version: 'cairn.image-version',
  /** sha256 over the rendered configuration files the container reads (see configHash). */
  configHash: 'cairn.config-hash',
  /** Comma-separated names of the environment variables cairn set (so a removed one is seen). */
  envKeys: 'cairn.env-keys',
} as const;

// A host path bind-mounted into the container: defined with the services' container
// definitions (their data directories are binds), which must not import containers/.
export type { Bind };

/** Docker's health check, in milliseconds (the engine speaks nanoseconds; see createOptions). */
export interface Healthcheck {
  /** Docker's form: `['CMD', argv...]` (no shell). */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  /** Failures during this time after start do not count (services need a while to come up). */
  startPeriodMs: number;
}

/** Docker restart policy. */
export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** Only meaningful with `on-failure`; 0 otherwise. */
  maximumRetryCount: number;
}

/** One service container as cairn wants it. */
export interface ContainerSpec {
  /** Container name on the node, e.g. `cairn-keystone`. */
  name: string;
  /** Container service name (label cairn.service). */
  service: string;
  /** Full image reference, `repository:tag`. */
  image: string;
  /** Image tag alone (label cairn.image-version). */
  version: string;
  /** The command, or undefined for the image's CMD. */
  command?: string[];
  /** User to run as (`name` or `uid:gid`); undefined keeps the image's. */
  user?: string;
  /**
   * Capabilities added to Docker's default set (nova-compute's privsep needs a few). Never
   * --privileged: it fails in nested engines whose bounding set lacks a capability (LAB.md),
   * and a list says what the service may do.
   */
  capAdd: string[];
  /**
   * /proc/sys writable (Docker mounts it read-only by default): the L3 and DHCP agents set the
   * network sysctls of the namespaces they make (`ip netns exec qrouter-... sysctl -w`), which
   * `ip netns exec` reaches through /proc/sys. Docker's other read-only and masked paths stay.
   */
  procSysWritable: boolean;
  /** Environment cairn sets; never secrets (those live in the bind-mounted config files). */
  env: Record<string, string>;
  binds: Bind[];
  /** Always `host`: OpenStack services listen on the node's own addresses, as in packages mode. */
  networkMode: 'host';
  /** Every label, including the cairn.* ones (build with containerLabels). */
  labels: Record<string, string>;
  healthcheck: Healthcheck;
  restartPolicy: RestartPolicy;
}

/** The cairn.* labels of a container. */
export function containerLabels(service: string, version: string, configHash: string, env: Record<string, string>): Record<string, string> {
  return {
    [LABELS.managed]: 'yes',
    [LABELS.service]: service,
    [LABELS.version]: version,
    [LABELS.configHash]: configHash,
    [LABELS.envKeys]: Object.keys(env).sort().join(','),
  };
}

/** `host:container[:ro][,shared]`, Docker's HostConfig.Binds form. */
export function bindString(b: Bind): string {
  const options = [...(b.readOnly ? ['ro'] : []), ...(b.propagation ? [b.propagation] : [])];
  return `${b.host}:${b.container}${options.length ? `:${options.join(',')}` : ''}`;
}

/** Docker's default read-only paths (moby's oci defaults), which a spec can only shorten. */
export const DOCKER_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The read-only paths of `spec`: Docker's defaults, without /proc/sys when it must be writable. */
export function readonlyPaths(spec: Pick<ContainerSpec, 'procSysWritable'>): string[] {
  return DOCKER_READONLY_PATHS.filter((p) => !(spec.procSysWritable && p === '/proc/sys'));
}

/** Milliseconds to the nanoseconds the engine's API uses. */
export function msToNs(ms: number): number {
  return ms * 1_000_000;
}

/** The engine's create-container body for `spec` (what dockerode's createContainer takes). */
export interface CreateOptions {
  name: string;
  Image: string;
  Cmd?: string[];
  User?: string;
  Env: string[];
  Labels: Record<string, string>;
  Healthcheck: { Test: string[]; Interval: number; Timeout: number; Retries: number; StartPeriod: number };
  HostConfig: {
    NetworkMode: string;
    CapAdd: string[];
    /** Only sent to shorten Docker's default list (sent, it replaces the default). */
    ReadonlyPaths?: string[];
    Binds: string[];
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    /** Logs stay readable with `docker logs` but cannot fill the node's disk. */
    LogConfig: { Type: string; Config: Record<string, string> };
  };
}

/** Translates a spec into the create body; `name` may differ (an upgrade starts `NAME-next`). */
export function createOptions(spec: ContainerSpec, name: string = spec.name): CreateOptions {
  return {
    name,
    Image: spec.image,
    ...(spec.command ? { Cmd: [...spec.command] } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    Env: Object.entries(spec.env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels },
    Healthcheck: {
      Test: [...spec.healthcheck.test],
      Interval: msToNs(spec.healthcheck.intervalMs),
      Timeout: msToNs(spec.healthcheck.timeoutMs),
      Retries: spec.healthcheck.retries,
      StartPeriod: msToNs(spec.healthcheck.startPeriodMs),
    },
    HostConfig: {
      NetworkMode: spec.networkMode,
      CapAdd: [...spec.capAdd],
      ...(spec.procSysWritable ? { ReadonlyPaths: readonlyPaths(spec) } : {}),
      Binds: spec.binds.map(bindString),
      RestartPolicy: { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '3' } },
    },
  };
}
