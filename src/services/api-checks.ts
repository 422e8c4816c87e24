/**
 * The shape of a service's API health checks (`cairn verify`), as pure data a service
 * descriptor returns from its `apiChecks` field, so that a service's one file says how to prove
 * its API works too. The types and the small helpers the checks' judges share live here, not in
 * src/verify/, because verify/ reads the descriptors: services/ must not import it back.
 *
 * verify/checks.ts collects the checks of the descriptors that apply (see apiServices there)
 * and verify/run-verify.ts runs them on the control host with the admin credentials loaded.
 */
import type { Deployment } from '../config/model.js';

/** A check: a shell snippet and the judge of its output. */
export interface Check {
  id: string;
  /** The snippet, run under sh with stderr merged into stdout. */
  script: string;
  judge: (output: string, code: number) => { ok: boolean; detail: string };
  hint: string;
}

/** An API check, with its hint for containers mode when that one differs. */
export interface ApiCheck extends Check {
  /**
   * The hint in containers mode, given the container the API checks run in: there the host has
   * no `openstack` client and no service log under /var/log, so the hint points at the
   * containers instead. Unset: `hint` serves both modes.
   */
  containersHint?: (apiContainer: string) => string;
}

/** What the API checks expect, learned from the host checks (hostnames as services see them). */
export interface Expectations {
  /** Hostname of each compute host (nova-compute registers under it). */
  computes: string[];
  /** Hostnames of hosts that run the OVS agent. */
  ovsAgents: string[];
  /** Hostnames of network hosts (L3, DHCP, metadata agents). */
  networkHosts: string[];
}

/** What a descriptor sees when it makes its API checks. */
export interface ApiCheckContext {
  deployment: Deployment;
  expect: Expectations;
  /**
   * The catalog service types of every descriptor whose API checks run this time (this one's
   * among them): keystone's endpoints check expects exactly these.
   */
  catalogTypes: readonly string[];
}

/** The last `n` lines of `s` on one line, for a result's detail. */
export const lastLines = (s: string, n = 3): string => s.trim().split('\n').slice(-n).join(' / ');

/** The JSON value in `out` (from its first `[` or `{`: the client may print warnings first). */
export function parseJson<T>(out: string): T | undefined {
  const start = out.search(/[[{]/);
  if (start < 0) return undefined;
  try {
    return JSON.parse(out.slice(start)) as T;
  } catch {
    return undefined;
  }
}

/** Names in `expected` missing from `have`, as a message part. */
export function missing(expected: readonly string[], have: readonly string[]): string[] {
  return expected.filter((e) => !have.includes(e));
}

/** The packages-mode hints' start: how to run the client on the control host. */
export const ADMIN_HINT = 'on the control host: . /root/keystonerc_admin; ';

/** The containers-mode hints' start: how to run the client inside `apiContainer`. */
export function containersShell(apiContainer: string): string {
  return `on the control host: docker exec -it ${apiContainer} sh, then export the OS_* values of /root/keystonerc_admin and run openstack`;
}

/** Where a container service's log is, for a containers-mode hint. */
export function containerLogs(service: string): string {
  return `docker logs --tail 50 cairn-${service}`;
}
