/**
 * The product's main job, end to end, on real OpenStack (Zed from Debian's archive): a lab of
 * 1 controller + 2 computes -> `cairn deploy` -> `cairn verify` all green -> a no-op re-run
 * changes and restarts nothing -> one option changed: only the affected files change and only
 * the affected services restart, on the affected hosts -> verify again. Also: guests on every
 * compute (verify --workload), Tempest's smoke set, a compute killed mid-deploy and one rebooted,
 * and a wrong bridge interface refused by the prechecks before any change.
 *
 * Runs through the real CLI (main()) as a user would, and reads the run directory's report.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApplyReport } from '../../src/apply/apply-plan.js';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { controllerOf } from '../../src/config/model.js';
import type { VerifyReport } from '../../src/verify/run-verify.js';
import type { WorkloadReport } from '../../src/verify/workload.js';
import { formatDiagnostics } from '../../src/verify/datapath-diagnostics.js';
import type { TempestReport } from '../../src/tempest/tempest-report.js';
import type { ProvisionReport } from '../../src/provision/run-provision.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';

let lab: TestLab;
let stateDir: string;

test.before(async (t) => {
  t.timeout(15 * 60_000);
  lab = await startTestLab('e2e', 2, (s) => t.log(s));
  stateDir = mkdtempSync(join(tmpdir(), 'cairn-e2e-state-'));
});
test.after.always(async () => {
  await lab?.down();
});

/** Runs the CLI in-process, capturing what it prints. */
async function cairn(args: string[]): Promise<{ code: number; out: string[]; err: string[]; ms: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const started = Date.now();
  const code = await main(args, io);
  return { code, out, err, ms: Date.now() - started };
}

/** The workload's rows and, when a guest's network failed, the datapath state read before the guests went (for the CI log). */
function logWorkload(t: ExecutionContext, w: WorkloadReport): void {
  t.log(w.results.map((r) => `${r.check} ${r.host} ${r.ok ? 'ok' : 'FAILED'} ${r.detail}`).join('\n'));
  if (w.diagnostics) t.log(formatDiagnostics(w.diagnostics));
}

const latest = <T>(name: string): T => JSON.parse(readFileSync(join(stateDir, 'runs', 'latest', name), 'utf8')) as T;
const changedSteps = (r: ApplyReport): string[] => r.hosts.flatMap((h) => h.steps.filter((s) => s.status === 'changed').map((s) => `${h.host} ${s.id}`));
const deployArgs = (answerFile: string, ...more: string[]): string[] => ['deploy', '-a', answerFile, '-i', lab.paths.inventory, '--state-dir', stateDir, '-v', ...more];

test.serial('deploy from a fresh lab, then every health check passes', async (t) => {
  t.timeout(55 * 60_000);
  const run = await cairn(deployArgs(lab.paths.answerFile));
  t.log(run.out.filter((l) => /^(times|health|dashboard|credentials|deploy )/.test(l)).join('\n'));
  t.is(run.code, 0, [...run.out.slice(-40), ...run.err.slice(-20)].join('\n'));
  const health = latest<VerifyReport>('verify.json');
  t.true(health.ok, JSON.stringify(health.results.filter((r) => !r.ok)));
  t.true(health.results.some((r) => r.check === 'image-upload' && r.ok));
  t.true(health.results.some((r) => r.check === 'network-agents' && r.ok));
  // The lab turns Heat on: a stack was created and deleted.
  t.true(health.results.some((r) => r.check === 'heat-stack' && r.ok), 'heat-stack checked and ok');
  // The deploy host's copy of the credentials, readable by its owner only.
  const rc = join(stateDir, 'keystonerc_admin');
  t.regex(readFileSync(rc, 'utf8'), /OS_AUTH_URL=/);
  // Demo provisioning (the lab turns it on): everything made on the first run.
  const provision = latest<ProvisionReport>('provision.json');
  t.true(provision.ok, provision.error);
  t.log(`demo provisioning: ${(provision.ms / 1000).toFixed(1)} s`);
  for (const r of ['image cairn-guest', 'flavor m1.nano', 'network public', 'subnet public_subnet', 'router router1', 'security group rule tcp/22']) {
    t.true(provision.changes.some((c) => c.resource === r && c.action === 'created'), `${r}: ${JSON.stringify(provision.changes)}`);
  }
});

test.serial('cairn verify on its own exits 0 and prints a table', async (t) => {
  t.timeout(10 * 60_000);
  const run = await cairn(['verify', '-a', lab.paths.answerFile, '-i', lab.paths.inventory, '--wait', '60']);
  t.is(run.code, 0, run.out.join('\n'));
  t.regex(run.out[0]!, /^CHECK\s+HOST\s+RESULT\s+DETAIL/);
  t.regex(run.out.at(-1)!, /^all \d+ checks passed/);
});

test.serial('verify --workload: a guest on each compute gets DHCP and its key, answers ping and SSH on its floating IP, reaches the other and the router', async (t) => {
  t.timeout(15 * 60_000);
  const run = await cairn(['verify', '-a', lab.paths.answerFile, '-i', lab.paths.inventory, '--workload', '--json']);
  const report = JSON.parse(run.out.join('\n')) as VerifyReport & { workload: WorkloadReport };
  logWorkload(t, report.workload);
  t.is(run.code, 0, JSON.stringify(report.workload.results.filter((r) => !r.ok)));
  const computes = lab.deployment.hosts.filter((h) => h.roles.includes('compute')).map((h) => h.name);
  for (const step of ['active', 'dhcp', 'metadata', 'floating-ip', 'ping-external', 'ssh-external', 'ping-east-west', 'ping-router']) {
    t.deepEqual(report.workload.results.filter((r) => r.check === step && r.ok).map((r) => r.host).sort(), [...computes].sort(), step);
  }
  t.true(report.workload.results.some((r) => r.check === 'clean' && r.ok && /deleted server/.test(r.detail)));
  t.log(`workload check: ${(report.workload.ms / 1000).toFixed(1)} s`);
});

test.serial('verify --tempest --smoke: OpenStack\'s own smoke tests pass; the one failure left is Keystone\'s, not cairn\'s', async (t) => {
  t.timeout(45 * 60_000);
  const run = await cairn(['verify', '-a', lab.paths.answerFile, '-i', lab.paths.inventory, '--wait', '120', '--tempest', '--smoke', '--json', '--state-dir', stateDir]);
  const report = JSON.parse(run.out.join('\n')) as { tempest?: TempestReport & { runDir?: string; notRun?: string; error?: string } };
  const tr = report.tempest;
  if (!tr || tr.passed === undefined) return t.fail(`tempest did not run: ${JSON.stringify(tr)}\n${run.err.slice(-10).join('\n')}`);
  t.log(`tempest --smoke: ${tr.passed} passed, ${tr.failed} failed, ${tr.skipped} skipped in ${(tr.ms / 1000).toFixed(0)} s`);
  // Debian's security update of Keystone (2:22.0.2-0+deb12u6) accepts only `blob` when a
  // credential is updated, as Keystone 2026.2 does; Tempest 33's test also sends project_id and
  // type and gets HTTP 400. Every other failure is cairn's to fix.
  const keystones = /test_credentials\.CredentialsTestJSON\.test_credentials_create_get_update_delete/;
  t.deepEqual(tr.failures.filter((f) => !keystones.test(f.id)).map((f) => `${f.id}: ${f.detail}`), []);
  t.true(tr.passed >= 80, `${tr.passed} passed`);
  t.is(run.code, tr.failures.length === 0 ? 0 : 1, 'exit 0 only with no failure');
  // Every skip says why (services cairn does not deploy, Identity v2).
  t.true(tr.skips.every((k) => k.reason.trim().length > 0));
});

test.serial('a no-op re-run changes nothing and restarts nothing', async (t) => {
  t.timeout(10 * 60_000);
  const run = await cairn(deployArgs(lab.paths.answerFile, '--no-verify'));
  t.is(run.code, 0, run.err.join('\n'));
  t.deepEqual(changedSteps(latest<ApplyReport>('report.json')), []);
  t.true(latest<ProvisionReport>('provision.json').unchanged, 'demo provisioning skipped by its stamp');
  t.log(`no-op re-run of the 3-node lab: ${(run.ms / 1000).toFixed(1)} s`);
});

test.serial('one changed option changes one file and restarts one service, on the computes only', async (t) => {
  t.timeout(15 * 60_000);
  const text = readFileSync(lab.paths.answerFile, 'utf8');
  const changed = /^CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO=.*$/m.test(text)
    ? text.replace(/^CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO=.*$/m, 'CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO=2.0')
    : `${text}\nCONFIG_NOVA_SCHED_RAM_ALLOC_RATIO=2.0\n`;
  const answerFile = join(stateDir, 'answer-ram-ratio.ini');
  writeFileSync(answerFile, changed, { mode: 0o600 });
  const run = await cairn(deployArgs(answerFile));
  t.is(run.code, 0, [...run.out.slice(-30), ...run.err].join('\n'));
  const computes = lab.deployment.hosts.filter((h) => h.roles.includes('compute')).map((h) => h.name).sort();
  t.deepEqual(changedSteps(latest<ApplyReport>('report.json')).sort(), computes.flatMap((c) => [`${c} file:/etc/nova/nova.conf`, `${c} unit:nova-compute`]).sort());
  t.true(latest<VerifyReport>('verify.json').ok);
});

test.serial('a compute stopped mid-deploy: a clear failure naming it; once it is back, a re-run converges and verify is green', async (t) => {
  t.timeout(25 * 60_000);
  // Back to the lab's ratio: every compute has a file to write and a service to restart.
  const answerFile = lab.paths.answerFile;
  const victim = lab.deployment.hosts.filter((h) => h.roles.includes('compute')).map((h) => h.name).sort().at(-1)!;
  const runsBefore = new Set(existsSync(join(stateDir, 'runs')) ? readdirSync(join(stateDir, 'runs')) : []);
  const deploy = cairn(deployArgs(answerFile, '--no-verify'));
  // Stop the node as soon as the run starts changing hosts (its apply phase).
  const killed = (async () => {
    for (let i = 0; i < 600; i++) {
      const run = readdirSync(join(stateDir, 'runs')).find((r) => r !== 'latest' && !runsBefore.has(r));
      const events = run ? join(stateDir, 'runs', run, 'events.jsonl') : '';
      if (events && existsSync(events) && readFileSync(events, 'utf8').includes('"phase":"apply"')) {
        execFileSync('docker', ['kill', lab.container(victim)], { stdio: 'ignore' });
        return true;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  })();
  const failed = await deploy;
  t.true(await killed, 'the run reached its apply phase');
  t.is(failed.code, 1, failed.out.slice(-20).join('\n'));
  const said = [...failed.out, ...failed.err].join('\n');
  t.regex(said, new RegExp(victim), 'the failure names the stopped host');
  t.notRegex(said, /^\s+at /m, 'no stack trace');
  const failedReport = latest<ApplyReport>('report.json');
  t.truthy(failedReport.hosts.find((h) => h.host === victim)?.error);

  // The node comes back (`cairn lab up` starts a stopped node), then a plain re-run converges.
  await lab.up();
  const rerun = await cairn(deployArgs(answerFile));
  t.is(rerun.code, 0, [...rerun.out.slice(-30), ...rerun.err].join('\n'));
  const changed = changedSteps(latest<ApplyReport>('report.json'));
  t.log(`re-run after the node came back changed: ${changed.join(', ') || 'nothing'}`);
  t.true(changed.every((c) => !c.startsWith(`${controllerOf(lab.deployment).name} `)), 'nothing changed on the controller');
  t.true(latest<VerifyReport>('verify.json').ok, JSON.stringify(latest<VerifyReport>('verify.json').results.filter((r) => !r.ok)));
});

test.serial('a compute rebooted: its bridge ports, tunnel address and agents come back by themselves; guests on it are reached with no re-run and no other agent restarted', async (t) => {
  t.timeout(20 * 60_000);
  const computes = lab.deployment.hosts.filter((h) => h.roles.includes('compute')).map((h) => h.name).sort();
  const rebooted = computes[0]!;
  const others = lab.deployment.hosts.map((h) => h.name).filter((n) => n !== rebooted);
  const onNode = (node: string, argv: string[]): string => execFileSync('docker', ['exec', lab.container(node), ...argv], { encoding: 'utf8', timeout: 60_000 });
  const agentStart = (node: string): string => onNode(node, ['systemctl', 'show', '-p', 'ExecMainStartTimestampMonotonic', '--value', 'neutron-openvswitch-agent']).trim();
  const before = new Map(others.map((n) => [n, agentStart(n)]));
  // A clean reboot: the node's systemd shuts down (its STOPSIGNAL), the node boots again with
  // fresh network interfaces; no cairn command runs on it afterwards.
  execFileSync('docker', ['restart', '--time', '60', lab.container(rebooted)], { stdio: 'ignore' });
  // Booted when systemd says so (sshd is up then), as an operator would wait for the host;
  // right after the restart even systemd's bus is not there yet ("Failed to connect to bus").
  let state = '';
  for (let i = 0; i < 90 && !/^(running|degraded)$/m.test(state); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 2000));
    const r = spawnSync('docker', ['exec', lab.container(rebooted), 'systemctl', 'is-system-running'], { encoding: 'utf8', timeout: 30_000 });
    state = `${r.stdout}${r.stderr}`;
  }
  t.regex(state, /^(running|degraded)$/m, `${rebooted} booted: ${state}`);
  // Health first (nova-compute and the agent report in again, the clock syncs), then guests.
  const health = await cairn(['verify', '-a', lab.paths.answerFile, '-i', lab.paths.inventory, '--wait', '300']);
  t.is(health.code, 0, health.out.join('\n'));
  const run = await cairn(['verify', '-a', lab.paths.answerFile, '-i', lab.paths.inventory, '--workload', '--json']);
  const report = JSON.parse(run.out.join('\n')) as VerifyReport & { workload: WorkloadReport };
  logWorkload(t, report.workload);
  t.is(run.code, 0, JSON.stringify(report.workload.results.filter((r) => !r.ok)));
  // The guest on the rebooted compute got DHCP from the controller over the tunnel and reached
  // the other compute's guest: the agents that were already running learnt its endpoint again.
  for (const step of ['dhcp', 'metadata', 'ping-east-west', 'ssh-external']) {
    t.true(report.workload.results.some((r) => r.check === step && r.host === rebooted && r.ok), `${step} on ${rebooted}`);
  }
  t.deepEqual(new Map(others.map((n) => [n, agentStart(n)])), before, 'no other OVS agent restarted');
});

test.serial('a wrong bridge interface is refused before any host is touched, naming the interfaces that exist', async (t) => {
  t.timeout(5 * 60_000);
  const text = readFileSync(lab.paths.answerFile, 'utf8').replace(/^CONFIG_NEUTRON_OVS_BRIDGE_IFACES=.*$/m, 'CONFIG_NEUTRON_OVS_BRIDGE_IFACES=br-ex:eth9');
  const answerFile = join(stateDir, 'answer-wrong-iface.ini');
  writeFileSync(answerFile, text, { mode: 0o600 });
  const run = await cairn(deployArgs(answerFile, '--no-verify'));
  // The lab's inventory declares each node's interfaces, so validation already refuses it
  // (exit 2); without an inventory the prechecks do, on the host's own list (exit 1).
  t.is(run.code, 2);
  const message = run.err.join('\n');
  t.regex(message, /no interface 'eth9'; its interfaces are eth0, eth1/);
  t.regex(message, /no host was touched/);
});
