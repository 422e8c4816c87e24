/**
 * The apply engine against real hosts: lab nodes (systemd + OpenSSH in containers) reached over
 * real SSH. Small plans made of every step kind keep it fast; the full OpenStack deploy has its
 * own test. Asserts: apply, no-op re-run (nothing changes, nothing restarts), dry run changes
 * nothing, a changed file restarts only its unit, the lock refuses a concurrent deploy, a
 * connection dropped mid-run followed by a re-run that converges, host keys and keys refused,
 * an unreachable host within a bound.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { applyPlan, type ApplyOptions, type ApplyReport } from '../../src/apply/apply-plan.js';
import { acquireLock } from '../../src/apply/lock.js';
import type { Host } from '../../src/config/model.js';
import type { HostPlan, Plan, Step } from '../../src/plan/steps.js';
import { sha256 } from '../../src/render/render-files.js';
import { connectSsh } from '../../src/transport/ssh-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { repoRoot } from '../helpers/paths.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';

let lab: TestLab;
let node: Host;

test.before(async (t) => {
  t.timeout(15 * 60_000);
  lab = await startTestLab('eng', 1, (s) => t.log(s));
  node = lab.deployment.hosts.find((h) => h.roles.includes('compute'))!;
});
test.after.always(async () => {
  await lab?.down();
});

const sh = (argv: string[]): string => execFileSync('docker', ['exec', node.name, ...argv], { encoding: 'utf8' });

function file(path: string, content: string, restarts: string[] = []): Step {
  return { kind: 'file', id: `file:${path}`, title: `file ${path}`, phase: 'files', path, mode: '0640', owner: 'root', group: 'root', content, sha256: sha256(content), restarts };
}

const UNIT = '/etc/systemd/system/cairn-test.service';
function plan(config: string, extra: Step[] = []): Plan {
  const steps: Step[] = [
    { kind: 'packages', id: 'packages', title: 'packages', phase: 'packages', names: ['tree'] },
    file('/etc/cairn-test/app.conf', config, ['cairn-test']),
    file(UNIT, '[Unit]\nDescription=cairn test unit\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n', ['cairn-test']),
    { kind: 'unit', id: 'unit:cairn-test', title: 'cairn-test', phase: 'units', unit: 'cairn-test', restartOn: [`file:/etc/cairn-test/app.conf`, `file:${UNIT}`] },
    { kind: 'command', id: 'command:stamp', title: 'stamp', phase: 'commands', argv: ['sh', '-c', 'date +%s%N > /etc/cairn-test/stamp'], creates: '/etc/cairn-test/stamp' },
    ...extra,
  ];
  const hp: HostPlan = { host: node.name, address: node.address, osFamily: 'debian', sudo: false, steps };
  return { hosts: [hp] };
}

function options(over: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    dryRun: false,
    forks: 4,
    connect: (h) => connectSsh(h, { readyTimeoutMs: 5000 }),
    onEvent: () => undefined,
    log: () => undefined,
    owner: 'test-run',
    secrets: [],
    ...over,
  };
}

const statuses = (r: ApplyReport): Record<string, string> => Object.fromEntries(r.hosts[0]!.steps.map((s) => [s.id, s.status]));
const unitStarted = (): string => sh(['systemctl', 'show', '-p', 'ActiveEnterTimestampMonotonic', '--value', 'cairn-test']).trim();

test.serial('apply converges, a re-run changes and restarts nothing, a dry run touches nothing', async (t) => {
  t.timeout(10 * 60_000);
  const first = await applyPlan(lab.deployment, plan('v=1\n'), options());
  t.true(first.ok, JSON.stringify(first.hosts[0]));
  t.deepEqual(statuses(first), { packages: 'changed', 'file:/etc/cairn-test/app.conf': 'changed', [`file:${UNIT}`]: 'changed', 'unit:cairn-test': 'changed', 'command:stamp': 'changed' });
  t.is(sh(['cat', '/etc/cairn-test/app.conf']), 'v=1\n');
  t.is(sh(['stat', '-c', '%a %U', '/etc/cairn-test/app.conf']).trim(), '640 root');
  t.is(sh(['systemctl', 'is-active', 'cairn-test']).trim(), 'active');
  t.regex(sh(['sh', '-c', 'command -v tree']), /tree/);
  const started = unitStarted();
  const stamp = sh(['cat', '/etc/cairn-test/stamp']);

  const again = await applyPlan(lab.deployment, plan('v=1\n'), options());
  t.true(again.ok);
  t.true(Object.values(statuses(again)).every((s) => s === 'ok'), JSON.stringify(statuses(again)));
  t.is(again.hosts[0]!.steps.find((s) => s.id === 'file:/etc/cairn-test/app.conf')!.reason, 'unchanged (sha256 match)');
  t.is(unitStarted(), started, 'nothing restarted');
  t.is(sh(['cat', '/etc/cairn-test/stamp']), stamp, 'the guarded command did not run again');

  const before = sh(['sh', '-c', 'sha256sum /etc/cairn-test/* /etc/systemd/system/cairn-test.service; ls -A /run/cairn 2>&1']);
  const dry = await applyPlan(lab.deployment, plan('v=2\n'), options({ dryRun: true }));
  t.true(dry.ok);
  t.is(statuses(dry)['file:/etc/cairn-test/app.conf'], 'would-change');
  t.is(statuses(dry)['unit:cairn-test'], 'would-change');
  t.regex(dry.hosts[0]!.steps.find((s) => s.id === 'file:/etc/cairn-test/app.conf')!.diff!, /-v=1\n\+v=2/);
  t.is(sh(['sh', '-c', 'sha256sum /etc/cairn-test/* /etc/systemd/system/cairn-test.service; ls -A /run/cairn 2>&1']), before, 'the dry run changed nothing, not even a lock');
  t.is(unitStarted(), started);

  const changed = await applyPlan(lab.deployment, plan('v=2\n'), options());
  t.deepEqual(
    Object.entries(statuses(changed)).filter(([, s]) => s !== 'ok').map(([id]) => id),
    ['file:/etc/cairn-test/app.conf', 'unit:cairn-test'],
    'only the changed file and the unit that reads it',
  );
  t.not(unitStarted(), started, 'the unit restarted');
});

test.serial('a second deploy is refused by the lock while the first holds it; a dropped holder does not block the next run', async (t) => {
  t.timeout(5 * 60_000);
  const holder = await connectSsh(node);
  await acquireLock(holder, 'other-run alice@elsewhere', false);
  const refused = await applyPlan(lab.deployment, plan('v=2\n'), options());
  t.false(refused.ok);
  t.regex(refused.hosts[0]!.error!, /another deploy holds the lock \(other-run alice@elsewhere\)/);
  t.is(sh(['cat', '/run/cairn/deploy.lock/owner']).trim(), 'other-run alice@elsewhere', 'the refused run left the lock alone');
  await holder.close();
  // The holder's connection is gone: its lock is stale, and the next run takes it over.
  const notes: string[] = [];
  const next = await applyPlan(lab.deployment, plan('v=2\n'), options({ onEvent: (e) => e.type === 'note' && notes.push(e.message) }));
  t.true(next.ok, next.hosts[0]!.error);
  t.regex(notes.join('\n'), /took over a stale lock: other-run alice@elsewhere/);
  t.is(sh(['sh', '-c', 'ls /run/cairn/deploy.lock 2>&1 || true']).trim().includes('No such file'), true, 'released');
});

test.serial('a connection dropped mid-run fails clearly, and a re-run converges', async (t) => {
  t.timeout(5 * 60_000);
  const slow: Step = { kind: 'command', id: 'command:slow', title: 'slow step', phase: 'commands', argv: ['sh', '-c', 'sleep 30 && touch /etc/cairn-test/slow-done'], creates: '/etc/cairn-test/slow-done' };
  const running = applyPlan(lab.deployment, plan('v=3\n', [slow]), options());
  await new Promise((r) => setTimeout(r, 4000));
  // Kill the sshd processes serving cairn's connection on the node (as a network cut would).
  sh(['sh', '-c', "pkill -f '^sshd: root[@]' || true"]);
  const cut = await running;
  t.false(cut.ok);
  t.regex(cut.hosts[0]!.error!, new RegExp(`host ${node.name}: `));
  const quick: Step = { ...slow, argv: ['touch', '/etc/cairn-test/slow-done'] };
  const rerun = await applyPlan(lab.deployment, plan('v=3\n', [quick]), options());
  t.true(rerun.ok, rerun.hosts[0]!.error);
  t.is(sh(['cat', '/etc/cairn-test/app.conf']), 'v=3\n');
  t.is(sh(['systemctl', 'is-active', 'cairn-test']).trim(), 'active');
  const third = await applyPlan(lab.deployment, plan('v=3\n', [quick]), options());
  t.true(Object.values(statuses(third)).every((s) => s === 'ok'), 'converged');
});

test.serial('unknown and changed host keys, a wrong key and an unreachable host are refused before any change', async (t) => {
  t.timeout(3 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'cairn-keys-'));
  const empty = join(dir, 'empty_known_hosts');
  writeFileSync(empty, '');
  const unknown = await applyPlan(lab.deployment, plan('v=9\n'), options({ connect: (h) => connectSsh({ ...h, knownHostsFile: empty }, { readyTimeoutMs: 5000 }) }));
  t.is(unknown.abortedBefore, 'connect');
  t.regex(unknown.hosts[0]!.error!, /SHA256:[A-Za-z0-9+/]{43}/);
  t.regex(unknown.hosts[0]!.error!, /--trust-new-hosts/);

  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
  const otherKey = execFileSync('cat', [join(dir, 'other.pub')], { encoding: 'utf8' }).split(' ').slice(0, 2).join(' ');
  const changedFile = join(dir, 'changed_known_hosts');
  writeFileSync(changedFile, `${node.address} ${otherKey}\n`);
  const changed = await applyPlan(lab.deployment, plan('v=9\n'), options({ connect: (h) => connectSsh({ ...h, knownHostsFile: changedFile }, { trustNewHosts: true, readyTimeoutMs: 5000 }) }));
  t.is(changed.abortedBefore, 'connect');
  t.regex(changed.hosts[0]!.error!, /changed/i);

  const wrongKey = await applyPlan(lab.deployment, plan('v=9\n'), options({ connect: (h) => connectSsh({ ...h, ssh: { ...h.ssh, keyFile: join(dir, 'other') } }, { readyTimeoutMs: 5000 }) }));
  t.is(wrongKey.abortedBefore, 'connect');
  t.regex(wrongKey.hosts[0]!.error!, /authentication failed/);

  // An address on the lab's own management network where no node is.
  const nowhere = node.address.replace(/\.\d+$/, '.250');
  const started = Date.now();
  const unreachable = await applyPlan(lab.deployment, { hosts: [{ ...plan('v=9\n').hosts[0]!, host: node.name }] }, options({ connect: (h) => connectSsh({ ...h, address: nowhere }, { readyTimeoutMs: 3000 }) }));
  t.is(unreachable.abortedBefore, 'connect');
  t.true(Date.now() - started < 15_000, 'fails within a bound');
  t.is(sh(['cat', '/etc/cairn-test/app.conf']), 'v=3\n', 'no change reached the host');
});

test.serial('single NIC: the management interface goes into an OVS bridge and the host stays reachable', async (t) => {
  t.timeout(10 * 60_000);
  // The node's only route to cairn is eth0 (its SSH address): the Packstack br-ex:eth0 case.
  const iface = 'eth0';
  const address = sh(['sh', '-c', `ip -o -4 addr show dev ${iface} | awk '{print $4}'`]).trim();
  const steps: Step[] = [
    { kind: 'packages', id: 'packages', title: 'packages', phase: 'packages', names: ['openvswitch-switch'] },
    { kind: 'unit', id: 'unit:openvswitch-switch', title: 'ovs', phase: 'units', unit: 'openvswitch-switch', restartOn: [] },
    { kind: 'bridge-port', id: `bridge-port:br-mgmt:${iface}`, title: 'br-mgmt', phase: 'ovs-bridges', bridge: 'br-mgmt', iface, datapathType: 'netdev', confirmSeconds: 30 },
  ];
  const single: Plan = { hosts: [{ host: node.name, address: node.address, osFamily: 'debian', sudo: false, steps }] };
  const first = await applyPlan(lab.deployment, single, options());
  t.true(first.ok, JSON.stringify(first.hosts[0]));
  t.is(statuses(first)[`bridge-port:br-mgmt:${iface}`], 'changed');
  t.regex(first.hosts[0]!.steps.find((s) => s.id === `bridge-port:br-mgmt:${iface}`)!.detail ?? '', /moved to br-mgmt/);
  // The address (and the default route) now live on the bridge; eth0 is its port.
  t.is(sh(['sh', '-c', "ip -o -4 addr show dev br-mgmt | awk '{print $4}'"]).trim(), address);
  t.is(sh(['sh', '-c', `ip -o -4 addr show dev ${iface}`]).trim(), '');
  t.is(sh(['ovs-vsctl', 'port-to-br', iface]).trim(), 'br-mgmt');
  // And cairn still reaches it: the re-run connects, finds nothing to do.
  const again = await applyPlan(lab.deployment, single, options());
  t.true(again.ok, JSON.stringify(again.hosts[0]));
  t.true(Object.values(statuses(again)).every((s) => s === 'ok'), JSON.stringify(statuses(again)));
});

/** Every file and directory under `dir` with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.set(p, `${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

test.serial('cairn deploy --dry-run --trust-new-hosts writes nothing anywhere: not under HOME, not in the state dir, no known_hosts', async (t) => {
  t.timeout(5 * 60_000);
  // A user of their own: fresh HOME and working directory, the lab's key, a known_hosts file
  // that does not exist yet (so every host key is new and --trust-new-hosts has work to do).
  const top = mkdtempSync(join(tmpdir(), 'cairn-dry-'));
  const home = join(top, 'home');
  const work = join(top, 'work');
  mkdirSync(home);
  mkdirSync(work);
  copyFileSync(lab.paths.privateKey, join(work, 'id_ed25519'));
  const inv = parseDocument(readFileSync(lab.paths.inventory, 'utf8'));
  inv.setIn(['defaults', 'ssh_key'], 'id_ed25519');
  inv.setIn(['defaults', 'known_hosts'], 'known_hosts');
  writeFileSync(join(work, 'lab.yml'), inv.toString());
  copyFileSync(lab.paths.answerFile, join(work, 'lab.ini'));
  const before = new Map([...snapshot(home), ...snapshot(work)]);

  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'cairn.js'), 'deploy', '-a', 'lab.ini', '-i', 'lab.yml', '--dry-run', '--trust-new-hosts'], {
    cwd: work,
    env: { ...process.env, HOME: home },
    encoding: 'utf8',
    timeout: 4 * 60_000,
  });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout + r.stderr, /dry run finished/);
  t.false(existsSync(join(work, 'known_hosts')), 'no host key was recorded');
  t.false(existsSync(join(work, '.cairn')), 'no state directory, no run directory');
  const after = new Map([...snapshot(home), ...snapshot(work)]);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
  t.deepEqual(changed, [], 'files changed by the dry run');
});
