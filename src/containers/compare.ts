/**
 * Field-by-field comparison of a running container (`docker inspect`) with its desired spec,
 * in the manner of kolla-ansible's compare_container: the result lists what differs, and an
 * empty list means "leave it alone". Pure; decide.ts decides what to do with the result.
 */
import { LABELS, bindString, msToNs, type ContainerSpec } from './spec.js';

/**
 * The part of the engine's inspect answer that is compared (field names as the engine sends
 * them). Everything is optional: older engines and hand-made containers omit fields, and a
 * missing field must read as "differs", never crash.
 */
export interface InspectedContainer {
  Name?: string;
  State?: { Status?: string; Running?: boolean; Health?: { Status?: string } };
  Config?: {
    Image?: string;
    Cmd?: string[] | null;
    User?: string;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } | null;
  };
  HostConfig?: {
    NetworkMode?: string;
    CapAdd?: string[] | null;
    ReadonlyPaths?: string[] | null;
    Binds?: string[] | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  };
}

/** One field that differs, both sides as short text for the user. */
export interface SpecDifference {
  field: string;
  current: string;
  desired: string;
}

const show = (v: unknown): string => (v === undefined || v === null ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * What differs between `current` (inspect) and `desired`. Compared: image reference, command
 * (when the spec sets one), user (when set), cairn's environment variables (the image's own,
 * such as PATH, are not cairn's and are ignored; one cairn set before and no longer wants is
 * a difference, known from the cairn.env-keys label), cairn's container labels (LABELS; the
 * image's labels are ignored), binds (as a set), network mode, added capabilities (as a set), whether /proc/sys is
 * writable, health check and restart policy.
 */
export function compareSpec(current: InspectedContainer, desired: ContainerSpec): SpecDifference[] {
  const diffs: SpecDifference[] = [];
  const add = (field: string, cur: unknown, want: unknown): void => {
    diffs.push({ field, current: show(cur), desired: show(want) });
  };
  const config = current.Config ?? {};
  const host = current.HostConfig ?? {};

  if (config.Image !== desired.image) add('image', config.Image, desired.image);

  if (desired.command !== undefined && !sameList(config.Cmd ?? [], desired.command)) add('command', config.Cmd, desired.command);
  if (desired.user !== undefined && (config.User ?? '') !== desired.user) add('user', config.User || undefined, desired.user);

  const env = envMap(config.Env);
  for (const [k, v] of Object.entries(desired.env).sort(([a], [b]) => a.localeCompare(b))) {
    if (env.get(k) !== v) add(`env.${k}`, env.get(k), v);
  }
  const labels = config.Labels ?? {};
  const setBefore = (labels[LABELS.envKeys] ?? '').split(',').filter(Boolean);
  for (const k of setBefore.sort()) {
    if (!(k in desired.env)) add(`env.${k}`, env.get(k), undefined);
  }

  // cairn's container labels only: the image's own labels (also cairn.* ones, such as the
  // cairn.image and cairn.tag every cairn image carries) show up in the container's too.
  const containerKeys = new Set<string>(Object.values(LABELS));
  const labelKeys = new Set([...Object.keys(labels).filter((k) => containerKeys.has(k)), ...Object.keys(desired.labels)]);
  for (const k of [...labelKeys].sort()) {
    if (labels[k] !== desired.labels[k]) add(`label.${k}`, labels[k], desired.labels[k]);
  }

  const curBinds = [...(host.Binds ?? [])].sort();
  const wantBinds = desired.binds.map(bindString).sort();
  if (!sameList(curBinds, wantBinds)) {
    // Name the binds that are only on one side: a full list of both is hard to read.
    const only = (a: string[], b: string[]): string[] => a.filter((x) => !b.includes(x));
    add('binds', only(curBinds, wantBinds).join(' ') || '(none extra)', only(wantBinds, curBinds).join(' ') || '(none extra)');
  }

  if (host.NetworkMode !== desired.networkMode) add('network', host.NetworkMode, desired.networkMode);
  const curCaps = [...(host.CapAdd ?? [])].sort();
  const wantCaps = [...desired.capAdd].sort();
  if (!sameList(curCaps, wantCaps)) add('cap_add', curCaps.join(',') || '(none)', wantCaps.join(',') || '(none)');

  // An engine too old to report read-only paths made them Docker's defaults (/proc/sys among them).
  const curProcSysWritable = host.ReadonlyPaths ? !host.ReadonlyPaths.includes('/proc/sys') : false;
  if (curProcSysWritable !== desired.procSysWritable) add('proc_sys_writable', curProcSysWritable, desired.procSysWritable);

  const hc = config.Healthcheck ?? undefined;
  const want = desired.healthcheck;
  if (!hc || !sameList(hc.Test ?? [], want.test)) add('healthcheck.test', hc?.Test, want.test);
  if ((hc?.Interval ?? 0) !== msToNs(want.intervalMs)) add('healthcheck.interval', hc?.Interval, msToNs(want.intervalMs));
  if ((hc?.Timeout ?? 0) !== msToNs(want.timeoutMs)) add('healthcheck.timeout', hc?.Timeout, msToNs(want.timeoutMs));
  if ((hc?.Retries ?? 0) !== want.retries) add('healthcheck.retries', hc?.Retries, want.retries);
  if ((hc?.StartPeriod ?? 0) !== msToNs(want.startPeriodMs)) add('healthcheck.start_period', hc?.StartPeriod, msToNs(want.startPeriodMs));

  const rp = host.RestartPolicy ?? undefined;
  // The engine reports `""` for a container created without a policy, which means `no`.
  const rpName = rp?.Name === '' || rp?.Name === undefined ? 'no' : rp.Name;
  if (rpName !== desired.restartPolicy.name) add('restart_policy', rpName, desired.restartPolicy.name);
  else if ((rp?.MaximumRetryCount ?? 0) !== desired.restartPolicy.maximumRetryCount) {
    add('restart_policy.maximum_retry_count', rp?.MaximumRetryCount ?? 0, desired.restartPolicy.maximumRetryCount);
  }
  return diffs;
}

/** One line per difference, for logs and dry runs: `image: a -> b`. */
export function describeDifferences(diffs: readonly SpecDifference[]): string {
  return diffs.map((d) => `${d.field}: ${d.current} -> ${d.desired}`).join('; ');
}
