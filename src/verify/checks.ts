/**
 * The health checks of `cairn verify`, as data: which script runs where, and how its output is
 * judged. Pure: run-verify.ts sends the scripts and feeds their output back to the judges.
 *
 * Two kinds of checks: host checks (units, clock, bridges, service containers) run on every
 * host over its own SSH connection; API checks run on the control host with the real
 * `openstack` client and the keystonerc_admin cairn put there, so they also prove the
 * credentials users get work. In containers mode the host has no client: the API checks run in
 * the keystone container, with the same credentials exported first. Each service's API checks
 * are its descriptor's (services/<svc>.ts, `apiChecks`); this file picks the descriptors.
 */
import type { Deployment, Host } from '../config/model.js';
import { hasRole } from '../config/model.js';
import type { HostPlan } from '../plan/steps.js';
import { shQuote } from '../transport/quote.js';
import { LABELS } from '../containers/spec.js';
import { lastLines, type ApiCheck, type Check, type Expectations } from '../services/api-checks.js';
import type { ServiceDescriptor } from '../services/descriptor.js';
import { allServices } from '../services/index.js';

// The check types and the judges' helpers live with the descriptors, whose API checks use
// them (services/ must not import verify/); re-exported for the code that imports them here.
export { lastLines, type ApiCheck, type Check, type Expectations } from '../services/api-checks.js';
export { dashboardUrl } from '../services/horizon.js';

/** The verdict of one check on one host. */
export interface CheckResult {
  check: string;
  host: string;
  ok: boolean;
  detail: string;
  /** What to look at when it failed. */
  hint?: string;
}

const MARK = '@@cairn-check';

/**
 * One script that runs every check at once (each in the background, output to its own file) and
 * prints each one's output between markers, so a host costs one round trip however many checks.
 */
export function combinedScript(checks: readonly Check[], preamble = ''): string {
  const lines = ['set +e', 'export LC_ALL=C', 'dir=$(mktemp -d)', preamble];
  checks.forEach((c, i) => {
    lines.push(`( ${c.script}\n) > "$dir/${i}" 2>&1 </dev/null; echo $? > "$dir/${i}.rc" &`);
  });
  lines.push('wait');
  checks.forEach((c, i) => {
    lines.push(`printf '%s %s %s\\n' ${shQuote(MARK)} ${shQuote(c.id)} "$(cat "$dir/${i}.rc")"; cat "$dir/${i}"; echo`);
  });
  lines.push('rm -rf "$dir"');
  return lines.join('\n') + '\n';
}

/** Splits a combined script's output into each check's output and exit code. */
export function splitOutput(output: string): Map<string, { output: string; code: number }> {
  const result = new Map<string, { output: string; code: number }>();
  let current: { id: string; code: number; lines: string[] } | undefined;
  const flush = (): void => {
    if (current) result.set(current.id, { output: current.lines.join('\n').trim(), code: current.code });
  };
  for (const line of output.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      flush();
      const [, id = '', code = '1'] = line.split(' ');
      current = { id, code: Number(code), lines: [] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  return result;
}

/** Judges every check's output; a check whose output is missing failed to run. */
export function judgeAll(host: string, checks: readonly Check[], output: string): CheckResult[] {
  const parts = splitOutput(output);
  return checks.map((c) => {
    const part = parts.get(c.id);
    if (!part) return { check: c.id, host, ok: false, detail: 'did not run (no output)', hint: c.hint };
    const v = c.judge(part.output, part.code);
    return { check: c.id, host, ok: v.ok, detail: v.detail, ...(v.ok ? {} : { hint: c.hint }) };
  });
}

/** Checks that run on `host`: its units, its clock, its bridges, and its hostname (for the API checks). */
export function hostChecks(d: Deployment, host: Host, plan: HostPlan): Check[] {
  const units = plan.steps.flatMap((s) => (s.kind === 'unit' ? [s.unit] : []));
  const checks: Check[] = [
    { id: 'hostname', script: 'hostname', judge: (out, code) => ({ ok: code === 0 && out !== '', detail: out }), hint: 'the host has no hostname' },
  ];
  if (units.length > 0) {
    checks.push({
      id: 'services',
      script: `for u in ${units.map(shQuote).join(' ')}; do printf '%s %s\\n' "$u" "$(systemctl is-active "$u")"; done`,
      judge: (out) => {
        const states = out.split('\n').filter(Boolean).map((l) => l.split(' '));
        const bad = states.filter(([, state]) => state !== 'active');
        if (states.length !== units.length) return { ok: false, detail: `read ${states.length} of ${units.length} units: ${lastLines(out)}` };
        return bad.length === 0
          ? { ok: true, detail: `${units.length} active` }
          : { ok: false, detail: bad.map(([u, s]) => `${u} ${s}`).join(', ') };
      },
      hint: `on ${host.name}: journalctl -u UNIT -n 50 --no-pager (and the service's log under /var/log/)`,
    });
  }
  if (plan.steps.some((s) => s.kind === 'unit' && (s.unit === 'chrony' || s.unit === 'chronyd'))) {
    checks.push({
      id: 'clock',
      // waitsync 1 checks once: exit 0 only when synchronised.
      script: "chronyc -n waitsync 1 >/dev/null && chronyc -n tracking | awk -F': *' '/^(Reference ID|System time|Stratum)/ {print $2}' | paste -sd ' '",
      judge: (out, code) => ({ ok: code === 0, detail: code === 0 ? `synchronised (${out})` : `not synchronised: ${lastLines(out) || 'chronyc failed'}` }),
      hint: `on ${host.name}: chronyc -n sources (are the NTP servers reachable?)`,
    });
  }
  for (const step of plan.steps) {
    if (step.kind !== 'bridge-port') continue;
    checks.push({
      id: `bridge-${step.bridge}-${step.iface}`,
      script: `ovs-vsctl br-exists ${shQuote(step.bridge)} && ovs-vsctl list-ports ${shQuote(step.bridge)}`,
      judge: (out, code) => {
        const ports = out.split('\n').filter(Boolean);
        if (code === 2) return { ok: false, detail: `bridge ${step.bridge} does not exist` };
        if (code !== 0) return { ok: false, detail: lastLines(out) };
        return ports.includes(step.iface)
          ? { ok: true, detail: `${step.bridge} has port ${step.iface}` }
          : { ok: false, detail: `${step.bridge} ports: ${ports.join(', ') || 'none'}; ${step.iface} missing` };
      },
      hint: `on ${host.name}: ovs-vsctl show; re-run cairn deploy (the bridge step converges)`,
    });
  }
  return checks;
}

/**
 * A host's service containers: each running and reporting healthy (its own health check, the
 * one the upgrade gate waits on), read with the node's docker CLI.
 */
export function containersCheck(host: Host, names: readonly string[]): Check {
  return {
    id: 'containers',
    // inspect prints one line per container it found and an error for each one it did not.
    script: `docker inspect --type container --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}} {{index .Config.Labels "${LABELS.version}"}}' ${names.map(shQuote).join(' ')}`,
    judge: (out) => {
      const lines = out.split('\n');
      // Nothing parsed and not one "No such" line: docker itself failed (engine down, no CLI).
      if (!lines.some((l) => l.startsWith('/') || /no such/i.test(l))) return { ok: false, detail: `docker inspect failed: ${lastLines(out) || 'no output'}` };
      const seen = new Map(lines.filter((l) => l.startsWith('/')).map((l) => {
        const [name = '', status = '', health = '', version = ''] = l.slice(1).split(' ');
        return [name, { status, health, version }] as const;
      }));
      const bad = names.flatMap((n) => {
        const c = seen.get(n);
        if (!c) return [`${n} missing`];
        return c.status === 'running' && c.health === 'healthy' ? [] : [`${n} ${c.status} ${c.health}`];
      });
      if (bad.length > 0) return { ok: false, detail: bad.join(', ') };
      return { ok: true, detail: `${names.length} healthy: ${names.map((n) => `${n}:${seen.get(n)!.version}`).join(', ')}` };
    },
    hint: `on ${host.name}: docker ps -a; docker logs --tail 50 CONTAINER; cairn history`,
  };
}

/**
 * The descriptors whose API checks apply, in deployment order: the one place that decides which
 * APIs verify expects (the endpoints check expects exactly their catalog entries).
 * Packages mode: every service the answer file enables. Containers mode: the enabled services
 * cairn runs in containers (ones with container definitions). A descriptor's containers are
 * enabled with it, so nova's checks run only when nova-api and nova-compute are both deployed,
 * as before; the host-side services (MariaDB, ...) have no API checks either way.
 */
export function apiServices(d: Deployment, containers: boolean): ServiceDescriptor[] {
  return allServices.filter((s) => s.enabled(d) && (!containers || (s.containers ?? []).length > 0));
}

/**
 * Checks that run on the control host against the APIs, with the admin credentials loaded:
 * each of `services`' own checks, in their order (keystone's token and catalog first).
 */
export function apiChecks(d: Deployment, expect: Expectations, services: readonly ServiceDescriptor[] = apiServices(d, false)): ApiCheck[] {
  const catalogTypes = services.flatMap((s) => (s.endpoints ?? []).map((e) => e.serviceType));
  return services.flatMap((s) => s.apiChecks?.({ deployment: d, expect, catalogTypes }) ?? []);
}

/**
 * The API checks with their containers-mode hints (each check's containersHint, where it has
 * one): there the host has no `openstack` client and no service log under /var/log.
 */
export function containersApiHints(checks: readonly ApiCheck[], apiContainer: string): ApiCheck[] {
  return checks.map((c) => ({ ...c, hint: c.containersHint?.(apiContainer) ?? c.hint }));
}

/** The sh preamble of the API checks: the admin credentials cairn put on the control host. */
export const API_PREAMBLE = '[ -r /root/keystonerc_admin ] && . /root/keystonerc_admin';

/** Which hosts the API checks expect in each role, given each host's hostname. */
export function expectations(d: Deployment, hostnames: ReadonlyMap<string, string>): Expectations {
  const name = (h: Host): string => (hostnames.get(h.name) ?? h.name).split('.')[0]!;
  return {
    computes: d.hosts.filter((h) => hasRole(h, 'compute')).map(name),
    ovsAgents: d.hosts.filter((h) => hasRole(h, 'compute') || hasRole(h, 'network')).map(name),
    networkHosts: d.hosts.filter((h) => hasRole(h, 'network')).map(name),
  };
}
