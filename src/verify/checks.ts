/**
 * The health checks of `cairn verify`, as data: which script runs where, and how its output is
 * judged. Pure: run-verify.ts sends the scripts and feeds their output back to the judges.
 *
 * Two kinds of checks: host checks (units, clock, bridges, service containers) run on every
 * host over its own SSH connection; API checks run on the control host with the real
 * `openstack` client and the keystonerc_admin cairn put there, so they also prove the
 * credentials users get work. In containers mode the host has no client: the API checks run in
 * the keystone container, with the same credentials exported first.
 */
import type { Deployment, Host } from '../config/model.js';
import { controllerOf, hasRole } from '../config/model.js';
import type { HostPlan } from '../plan/steps.js';
import { shQuote } from '../transport/quote.js';
import { LABELS } from '../containers/spec.js';

/** The verdict of one check on one host. */
export interface CheckResult {
  check: string;
  host: string;
  ok: boolean;
  detail: string;
  /** What to look at when it failed. */
  hint?: string;
}

/** A check: a shell snippet and the judge of its output. */
export interface Check {
  id: string;
  /** The snippet, run under sh with stderr merged into stdout. */
  script: string;
  judge: (output: string, code: number) => { ok: boolean; detail: string };
  hint: string;
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

/** The last `n` lines of `s` on one line, for a result's detail. */
export const lastLines = (s: string, n = 3): string => s.trim().split('\n').slice(-n).join(' / ');

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

/** A tiny raw disk image the image check uploads: 1 MiB, made on the control host. */
const IMAGE_SCRIPT = [
  'img=$(mktemp)',
  'head -c 1048576 /dev/zero > "$img"',
  'name="cairn-verify-$(date +%s)-$$"',
  'id=$(openstack image create --disk-format raw --container-format bare --file "$img" -f value -c id "$name") || { rm -f "$img"; exit 1; }',
  'rm -f "$img"',
  'listed=$(openstack image list -f value -c ID | grep -c "$id")',
  'status=$(openstack image show "$id" -f value -c status)',
  'openstack image delete "$id"',
  'echo "$status $listed"',
  '[ "$status" = active ] && [ "$listed" = 1 ]',
].join('\n');

/** A Python snippet that prints the resource providers' names, as JSON, with the admin credentials. */
const PLACEMENT_SCRIPT = `python3 - <<'PY'
import json, os
from keystoneauth1 import session
from keystoneauth1.identity import v3
s = session.Session(auth=v3.Password(
    auth_url=os.environ["OS_AUTH_URL"], username=os.environ["OS_USERNAME"], password=os.environ["OS_PASSWORD"],
    project_name=os.environ["OS_PROJECT_NAME"], user_domain_name=os.environ["OS_USER_DOMAIN_NAME"],
    project_domain_name=os.environ["OS_PROJECT_DOMAIN_NAME"]))
r = s.get("/resource_providers", endpoint_filter={"service_type": "placement", "interface": "public"},
          headers={"OpenStack-API-Version": "placement 1.0"})
print(json.dumps(sorted(p["name"] for p in r.json()["resource_providers"])))
PY`;

/** A Python snippet that GETs every catalog endpoint and prints [{service, interface, url, status}]. */
const ENDPOINTS_SCRIPT = `openstack endpoint list -f json | python3 -c '
import json, sys, urllib.request, urllib.error
out = []
for e in json.load(sys.stdin):
    try:
        status = urllib.request.urlopen(e["URL"], timeout=10).status
    except urllib.error.HTTPError as err:
        status = err.code
    except Exception as err:
        status = str(err)
    out.append({"service": e["Service Type"], "interface": e["Interface"], "url": e["URL"], "status": status})
print(json.dumps(out))
'`;

function parseJson<T>(out: string): T | undefined {
  const start = out.search(/[[{]/);
  if (start < 0) return undefined;
  try {
    return JSON.parse(out.slice(start)) as T;
  } catch {
    return undefined;
  }
}

/** Names in `expected` missing from `have`, as a message part. */
function missing(expected: readonly string[], have: readonly string[]): string[] {
  return expected.filter((e) => !have.includes(e));
}

/**
 * Which APIs the checks expect to find deployed. Packages mode: what the answer file enables.
 * Containers mode: the services cairn runs in containers so far (see containersVerify).
 */
export interface ApiScope {
  glance: boolean;
  placement: boolean;
  nova: boolean;
  /** The network API (a `network` endpoint). */
  neutron: boolean;
  /** Neutron's agents (OVS, L3, DHCP, metadata), each alive on its host. */
  networkAgents: boolean;
  horizon: boolean;
}

/** The APIs a packages-mode deployment of `d` has (placement comes with nova). */
export function packagesScope(d: Deployment): ApiScope {
  return { glance: d.services.glance, placement: d.services.nova, nova: d.services.nova, neutron: d.services.neutron, networkAgents: d.services.neutron, horizon: d.services.horizon };
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

/** Checks that run on the control host against the APIs, with the admin credentials loaded. */
export function apiChecks(d: Deployment, expect: Expectations, scope: ApiScope = packagesScope(d)): Check[] {
  const ctrl = controllerOf(d);
  const admin = 'on the control host: . /root/keystonerc_admin; ';
  const checks: Check[] = [
    {
      id: 'keystone-token',
      script: 'openstack token issue -f value -c expires',
      judge: (out, code) => ({ ok: code === 0, detail: code === 0 ? `token issued, expires ${out}` : lastLines(out) }),
      hint: `${admin}openstack token issue; journalctl -u keystone (or /var/log/keystone/)`,
    },
    {
      id: 'endpoints',
      script: ENDPOINTS_SCRIPT,
      judge: (out, code) => {
        const list = parseJson<{ service: string; interface: string; url: string; status: number | string }[]>(out);
        if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
        const expected = ['identity', ...(scope.glance ? ['image'] : []), ...(scope.nova ? ['compute'] : []), ...(scope.placement ? ['placement'] : []), ...(scope.neutron ? ['network'] : [])];
        const absent = missing(expected, list.map((e) => e.service));
        const down = list.filter((e) => typeof e.status !== 'number' || e.status >= 500);
        if (absent.length > 0 || down.length > 0) {
          return { ok: false, detail: [...absent.map((s) => `no ${s} endpoint`), ...down.map((e) => `${e.service} ${e.interface} ${e.url}: ${e.status}`)].join('; ') };
        }
        return { ok: true, detail: `${list.length} endpoints answer (${[...new Set(list.map((e) => e.service))].join(', ')})` };
      },
      hint: `${admin}openstack endpoint list; check the failing service's unit and log`,
    },
  ];
  if (scope.nova) {
    checks.push(
      {
        id: 'compute-services',
        script: 'openstack compute service list --service nova-compute -f json',
        judge: (out, code) => {
          const list = parseJson<{ Host: string; State: string; Status: string }[]>(out);
          if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
          const up = list.filter((s) => s.State === 'up' && s.Status === 'enabled').map((s) => s.Host);
          const absent = missing(expect.computes, up);
          return absent.length === 0
            ? { ok: true, detail: `nova-compute up on ${up.join(', ')}` }
            : { ok: false, detail: `not up: ${absent.join(', ')} (listed: ${list.map((s) => `${s.Host} ${s.State}`).join(', ') || 'none'})` };
        },
        hint: 'on the compute host: journalctl -u nova-compute; /var/log/nova/nova-compute.log (RabbitMQ or placement unreachable?)',
      },
      {
        id: 'hypervisors',
        script: 'openstack hypervisor list -f json',
        judge: (out, code) => {
          const list = parseJson<Record<string, string>[]>(out);
          if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
          const names = list.map((h) => (h['Hypervisor Hostname'] ?? '').split('.')[0]!);
          const absent = missing(expect.computes, names);
          return absent.length === 0 ? { ok: true, detail: `${names.length} hypervisors: ${names.join(', ')}` } : { ok: false, detail: `missing: ${absent.join(', ')} (listed: ${names.join(', ') || 'none'})` };
        },
        hint: 'on the control host: nova-manage cell_v2 discover_hosts --verbose (as nova)',
      },
      {
        id: 'placement',
        script: PLACEMENT_SCRIPT,
        judge: (out, code) => {
          const names = parseJson<string[]>(out);
          if (code !== 0 || !names) return { ok: false, detail: lastLines(out) };
          const short = names.map((n) => n.split('.')[0]!);
          const absent = missing(expect.computes, short);
          return absent.length === 0 ? { ok: true, detail: `resource providers: ${short.join(', ')}` } : { ok: false, detail: `no resource provider for ${absent.join(', ')}` };
        },
        hint: 'on the compute host: /var/log/nova/nova-compute.log (placement errors); on the control host: journalctl -u placement-api',
      },
    );
  }
  if (scope.networkAgents) {
    checks.push({
      id: 'network-agents',
      script: 'openstack network agent list -f json',
      judge: (out, code) => {
        const list = parseJson<{ 'Agent Type': string; Host: string; Alive: boolean | string; State: boolean | string }[]>(out);
        if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
        const alive = (type: string, host: string): boolean =>
          list.some((a) => a['Agent Type'] === type && a.Host.split('.')[0] === host && (a.Alive === true || a.Alive === ':-)'));
        const want: [string, string][] = [
          ...expect.ovsAgents.map((h): [string, string] => ['Open vSwitch agent', h]),
          ...expect.networkHosts.flatMap((h): [string, string][] => [['L3 agent', h], ['DHCP agent', h], ['Metadata agent', h]]),
        ];
        const dead = want.filter(([type, host]) => !alive(type, host));
        return dead.length === 0
          ? { ok: true, detail: `${want.length} agents alive` }
          : { ok: false, detail: `not alive: ${dead.map(([t, h]) => `${t} on ${h}`).join(', ')}` };
      },
      hint: 'on that host: journalctl -u neutron-openvswitch-agent (or the l3/dhcp/metadata agent); /var/log/neutron/',
    });
  }
  if (scope.glance) {
    checks.push({
      id: 'image-upload',
      script: IMAGE_SCRIPT,
      judge: (out, code) => ({ ok: code === 0, detail: code === 0 ? 'a 1 MiB raw image was uploaded, listed, active and deleted' : lastLines(out) }),
      hint: `${admin}openstack image create --file FILE test; /var/log/glance/glance-api.log`,
    });
  }
  if (scope.horizon) {
    const url = `${dashboardUrl(d)}auth/login/`;
    checks.push({
      id: 'dashboard',
      script: `python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=20).status)' ${shQuote(url)}`,
      judge: (out, code) => ({ ok: code === 0 && out.trim() === '200', detail: code === 0 ? `${url} answered ${out.trim()}` : lastLines(out) }),
      hint: 'on the control host: /var/log/apache2/error.log and /var/log/openstack-dashboard/ (httpd on RHEL)',
    });
  }
  return checks;
}

/**
 * The API checks' hints for containers mode: there the host has no `openstack` client and no
 * service log under /var/log, so each hint points at the containers instead.
 */
export function containersApiHints(checks: readonly Check[], apiContainer: string): Check[] {
  const logs = (service: string): string => `docker logs --tail 50 cairn-${service}`;
  const shell = `on the control host: docker exec -it ${apiContainer} sh, then export the OS_* values of /root/keystonerc_admin and run openstack`;
  const hints: Record<string, string> = {
    'keystone-token': `${shell} token issue; ${logs('keystone')}`,
    endpoints: `${shell} endpoint list; docker ps -a, and docker logs of the failing service's container`,
    'image-upload': `${shell} image create --file FILE test; ${logs('glance-api')}`,
    'network-agents': `${shell} network agent list; on that host: ${logs('neutron-openvswitch-agent')} (or neutron-l3-agent, -dhcp-agent, -metadata-agent)`,
    dashboard: `on the control host: ${logs('horizon')}; docker exec cairn-horizon tail /var/log/openstack-dashboard/error.log`,
  };
  return checks.map((c) => ({ ...c, hint: hints[c.id] ?? c.hint }));
}

/** The dashboard's URL, as users open it. */
export function dashboardUrl(d: Deployment): string {
  const ctrl = controllerOf(d);
  const host = ctrl.address.includes(':') ? `[${ctrl.address}]` : ctrl.address;
  return `${d.horizon.ssl ? 'https' : 'http'}://${host}${ctrl.osFamily === 'debian' ? '/' : '/dashboard/'}`;
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
