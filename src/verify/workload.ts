/**
 * `cairn verify --workload`: what a user does first with a new cloud, done for them and timed.
 * One guest per compute host (forced there), each ACTIVE, its console showing its DHCP address
 * and the SSH key the metadata service gave it, a floating IP each; then from outside the
 * tenant network: ICMP from the network host's external side, SSH with the key from this
 * machine; from inside each guest: a ping to the guest on another compute (east-west over the
 * tunnels) and to the router. Everything made is deleted at the end, also when a step fails.
 *
 * The cloud side is one Python process on the control host (templates/workload/guests.py, the
 * same API runner as demo provisioning); the rest goes over SSH from here. It uses what demo
 * provisioning made (demo-spec.ts): without CONFIG_PROVISION_DEMO=y there is no network to use.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Deployment, Host } from '../config/model.js';
import { controllerOf, hasRole } from '../config/model.js';
import { apiRunner, jsonLines } from '../provision/api-runner.js';
import { demoSpec } from '../provision/demo-spec.js';
import { packageRoot } from '../render/templates.js';
import { connectSsh } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import { tailLine } from '../errors.js';
import type { CheckResult } from './checks.js';
import { hostsToDiagnose, readDiagnostics, type HostDiagnostics } from './datapath-diagnostics.js';

const run = promisify(execFile);

/** One line the cloud-side script printed. */
interface ScriptLine {
  step: string;
  guest: string;
  ok: boolean;
  ms: number;
  detail: string;
  fip?: string;
  fixed?: string;
  router?: string;
}

/** A guest that got a floating IP. */
interface Guest {
  host: string;
  fip: string;
  fixed: string;
}

/** The outcome of the workload check. */
export interface WorkloadReport {
  ok: boolean;
  /** One row per step and guest (`host` is the compute host, or the control host for the run's own steps). */
  results: CheckResult[];
  ms: number;
  /** When a guest's network failed: the datapath state of its compute and the network host, read before the guests were deleted. */
  diagnostics?: HostDiagnostics[];
}

/** How to run it. */
export interface WorkloadOptions {
  trustNewHosts?: boolean;
  /** Where the run's key and the guests' host keys go (deleted after). */
  scratchDir?: string;
  /** In containers mode: the container the cloud-side script runs in. */
  apiContainer?: string;
  onResult?: (r: CheckResult) => void;
  log?: (line: string) => void;
}

/** Hints per step: where to look when it fails. */
const HINTS: Readonly<Record<string, (host: string, ctrl: string) => string>> = {
  computes: (h, c) => `openstack compute service list on ${c}; journalctl -u nova-compute on the compute hosts`,
  active: (h) => `openstack server show (fault); journalctl -u nova-compute -u libvirtd on ${h}; nova-scheduler and nova-conductor logs on the control host`,
  dhcp: (h, c) => `the guest's DHCP goes over VXLAN to ${c}'s neutron-dhcp-agent: ovs-vsctl show and ovs-appctl dpctl/dump-flows on ${h} (br-tun vxlan ports), journalctl -u neutron-openvswitch-agent on ${h}`,
  metadata: (h, c) => `the guest reaches 169.254.169.254 through the router on ${c}: ip netns exec qrouter-... iptables -t nat -L -nv; journalctl -u neutron-metadata-agent -u neutron-l3-agent on ${c}`,
  'floating-ip': (h, c) => `openstack floating ip list; journalctl -u neutron-l3-agent on ${c}`,
  'ping-external': (h, c) => `ICMP from ${c}'s external side to the floating IP: ip netns exec qrouter-... ip addr (qg- port), br-ex ports on ${c}, security group rule icmp`,
  'ssh-external': (h, c) => `TCP from here to the floating IP: security group rule tcp/22, the router's DNAT on ${c}; on a lab, cairn lab up turns the external bridge's checksum offload off`,
  'ping-east-west': (h) => `guest to guest across computes: br-tun flows and vxlan ports on ${h} and the other compute (ovs-appctl ofproto/trace br-int)`,
  'ping-router': (h, c) => `guest to its router on ${c}: qr- port in the qrouter namespace, br-tun flows on ${h}`,
  clean: (h, c) => `openstack server list --all-projects --name cairn-wl on ${c}; delete what is left by hand`,
};

/** Parses the script's JSON lines. */
export function parseScriptLines(stdout: string): ScriptLine[] {
  return jsonLines<ScriptLine>(stdout, (v) => typeof v.step === 'string' && typeof v.ok === 'boolean');
}

/** The row of one step. */
export function row(step: string, host: string, ok: boolean, ms: number, detail: string, ctrl: string): CheckResult {
  const r: CheckResult = { check: step, host, ok, detail: `${(ms / 1000).toFixed(1)} s  ${detail}` };
  const hint = HINTS[step];
  if (!ok && hint) r.hint = hint(host, ctrl);
  return r;
}

/** A one-packet-at-a-time ICMP echo from the host's python3 (lab nodes have no ping binary). */
export function icmpPingScript(address: string, count: number): string {
  return [
    'import socket, struct, sys, time',
    'def cs(b):',
    '    b += bytes(len(b) % 2)',
    '    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16',
    '    return ~s & 0xffff',
    's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(2)',
    'got = 0',
    `for seq in range(${count}):`,
    '    p = struct.pack("!BBHHH", 8, 0, 0, 4242, seq) + b"cairn-workload"',
    '    p = p[:2] + struct.pack("!H", cs(p)) + p[4:]',
    `    s.sendto(p, (${JSON.stringify(address)}, 0))`,
    '    end = time.time() + 2',
    '    while time.time() < end:',
    '        try:',
    '            data, src = s.recvfrom(2048)',
    '        except socket.timeout:',
    '            break',
    `        if src[0] == ${JSON.stringify(address)} and data[20] == 0:`,
    '            got += 1; break',
    `print("%d/%d answered" % (got, ${count}))`,
    'sys.exit(0 if got > 0 else 1)',
  ].join('\n');
}

/** Runs the workload check against the deployed cloud `d`. */
export async function verifyWorkload(d: Deployment, opts: WorkloadOptions = {}): Promise<WorkloadReport> {
  const started = Date.now();
  const ctrl = controllerOf(d);
  const results: CheckResult[] = [];
  const add = (r: CheckResult): void => {
    results.push(r);
    opts.onResult?.(r);
  };
  const spec = demoSpec(d);
  if ('message' in spec || !d.provisionDemo) {
    add(row('setup', ctrl.name, false, 0, 'message' in spec ? spec.message : 'verify --workload boots guests on the demo network: set CONFIG_PROVISION_DEMO=y and run cairn deploy', ctrl.name));
    return { ok: false, results, ms: Date.now() - started };
  }
  const network = d.hosts.find((h) => hasRole(h, 'network')) ?? ctrl;
  const computes = d.hosts.filter((h) => hasRole(h, 'compute'));
  const prefix = `cairn-wl-${randomBytes(3).toString('hex')}`;
  const scratch = mkdtempSync(join(opts.scratchDir ?? tmpdir(), 'cairn-workload-'));
  const runner = apiRunner(d, opts.apiContainer);
  const transports: Transport[] = [];
  // One connection per deployment host, whatever its roles: the diagnostics reuse them.
  const hostTransports = new Map<string, Transport>();
  const connect = async (h: Host): Promise<Transport> => {
    const known = hostTransports.get(h.name);
    if (known) return known;
    const t = await connectSsh(h, { ...(opts.trustNewHosts ? { trustNewHosts: true } : {}), ...(opts.log ? { log: opts.log } : {}) });
    transports.push(t);
    hostTransports.set(h.name, t);
    return t;
  };
  const cloudSide = async (t: Transport, payload: Record<string, unknown>): Promise<{ lines: ScriptLine[]; code: number; stderr: string }> => {
    const script = readFileSync(join(packageRoot(), 'templates', 'workload', 'guests.py'), 'utf8');
    const b64 = Buffer.from(JSON.stringify({ prefix, ...payload })).toString('base64');
    // Scoped to the demo project: the guests use its network and security group.
    const stdin = `${runner.preamble}\nexport OS_PROJECT_NAME=demo\npython3 - <<'CAIRN_PY'\nCAIRN_SPEC = "${b64}"\n${script}CAIRN_PY\n`;
    const r = await t.run({ argv: runner.argv, stdin, timeoutMs: 900_000, secrets: runner.secrets });
    return { lines: parseScriptLines(r.stdout), code: r.code, stderr: r.stderr };
  };

  let t: Transport | undefined;
  // False once the cloud side said it cannot sign in to the demo project: nothing was made then.
  let signedIn = true;
  let diagnostics: HostDiagnostics[] = [];
  try {
    t = await connect(ctrl);
    const keyFile = join(scratch, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', prefix, '-f', keyFile]);
    const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();

    // Compute hosts by their hostname, which is what Nova calls them.
    const names = new Map<string, string>();
    for (const h of computes) {
      const ht = await connect(h);
      const r = await ht.run({ argv: ['hostname', '-s'] });
      names.set(r.stdout.trim() || h.name, h.name);
    }
    const boot = await cloudSide(t, {
      action: 'boot',
      publicKey,
      image: spec.image.guest,
      flavor: spec.flavors[0]!.name,
      network: spec.private.network,
      external: spec.external.network,
      computes: [...names.keys()],
      activeTimeoutS: 180,
      bootTimeoutS: 120,
    });
    const guests: Guest[] = [];
    let router = '';
    for (const l of boot.lines) {
      if (l.router) router = l.router;
      if (l.step === 'boot') continue;
      const host = names.get(l.guest) ?? (l.guest || ctrl.name);
      add(row(l.step, host, l.ok, l.ms, l.detail, ctrl.name));
      if (l.step === 'floating-ip' && l.fip) guests.push({ host, fip: l.fip, fixed: l.fixed ?? '' });
    }
    signedIn = !boot.lines.some((l) => l.step === 'setup' && !l.ok);
    if (boot.code !== 0 && signedIn) {
      add(row('boot', ctrl.name, false, Date.now() - started, `the cloud-side script exited ${boot.code}: ${boot.stderr.trim().split('\n').slice(-4).join(' | ')}`, ctrl.name));
    }

    const nt = await connect(network);
    for (const g of guests) {
      const t0 = Date.now();
      const p = await nt.run({ argv: ['python3', '-c', icmpPingScript(g.fip, 3)], timeoutMs: 30_000 });
      add(row('ping-external', g.host, p.code === 0, Date.now() - t0, `from ${network.name} to ${g.fip}: ${(p.stdout || p.stderr).trim()}`, ctrl.name));
    }
    const guestTransports = new Map<string, Transport>();
    for (const g of guests) {
      const t0 = Date.now();
      const host: Host = {
        name: `${prefix}-${g.host}`,
        address: g.fip,
        roles: [],
        osFamily: 'debian',
        ssh: { user: 'root', port: 22, keyFile },
        sudo: false,
        interfaceAddresses: {},
        knownHostsFile: join(scratch, 'known_hosts'),
        origin: 'verify --workload',
      };
      // dropbear may still be starting when the console says so: a few tries.
      let error = '';
      for (let i = 0; i < 5 && !guestTransports.has(g.host); i++) {
        try {
          const gt = await connectSsh(host, { trustNewHosts: true, readyTimeoutMs: 10_000 });
          transports.push(gt);
          guestTransports.set(g.host, gt);
        } catch (e) {
          error = (e as Error).message;
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
      const gt = guestTransports.get(g.host);
      const hostname = gt ? (await gt.run({ argv: ['hostname'] })).stdout.trim() : '';
      add(row('ssh-external', g.host, gt !== undefined, Date.now() - t0, gt ? `ssh root@${g.fip} with the run's key: hostname ${hostname}` : `ssh root@${g.fip}: ${error}`, ctrl.name));
    }
    for (const g of guests) {
      const gt = guestTransports.get(g.host);
      if (!gt) continue;
      const other = guests.find((o) => o.host !== g.host);
      if (other) {
        const t0 = Date.now();
        const p = await gt.run({ argv: ['ping', '-c', '3', '-W', '2', other.fixed], timeoutMs: 30_000 });
        add(row('ping-east-west', g.host, p.code === 0, Date.now() - t0, `to ${other.fixed} on ${other.host}: ${tailLine(p.stdout, 2) || p.stderr.trim()}`, ctrl.name));
      }
      if (router) {
        const t0 = Date.now();
        const p = await gt.run({ argv: ['ping', '-c', '3', '-W', '2', router], timeoutMs: 30_000 });
        add(row('ping-router', g.host, p.code === 0, Date.now() - t0, `to the router ${router}: ${tailLine(p.stdout, 2) || p.stderr.trim()}`, ctrl.name));
      }
    }
    // Closed while the guests still answer: a connection to a deleted guest never closes cleanly.
    await closeAll([...guestTransports.values()]);
  } catch (e) {
    add(row('setup', ctrl.name, false, Date.now() - started, (e as Error).message, ctrl.name));
  } finally {
    // Read while the guests' ports and flows still exist: the clean-up below removes them.
    const toRead = hostsToDiagnose(results, network.name).filter((h) => hostTransports.has(h));
    diagnostics = await Promise.all(toRead.map((h) => readDiagnostics(h, hostTransports.get(h)!)));
    if (t && signedIn) {
      try {
        const clean = await cloudSide(t, { action: 'clean' });
        for (const l of clean.lines) add(row(l.step, ctrl.name, l.ok, l.ms, l.detail, ctrl.name));
        if (clean.code !== 0 || clean.lines.length === 0) add(row('clean', ctrl.name, false, 0, `the clean-up exited ${clean.code}: ${clean.stderr.trim().split('\n').slice(-3).join(' | ')}`, ctrl.name));
      } catch (e) {
        add(row('clean', ctrl.name, false, 0, (e as Error).message, ctrl.name));
      }
    }
    await closeAll(transports);
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    ok: results.length > 0 && results.every((r) => r.ok),
    results,
    ms: Date.now() - started,
    ...(diagnostics.length > 0 ? { diagnostics } : {}),
  };
}

/** Closes every transport, giving up on one after 5 s (its host may be gone). */
async function closeAll(transports: readonly Transport[]): Promise<void> {
  const giveUp = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5000).unref());
  await Promise.all(transports.map((x) => Promise.race([x.close().catch(() => undefined), giveUp()])));
}
