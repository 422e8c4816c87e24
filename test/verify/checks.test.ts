/**
 * The health checks' scripts run for real under the local sh (the combined script is plain sh),
 * and their judges against output shaped like the openstack client's.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { apiChecks, apiServices, combinedScript, containersCheck, expectations, hostChecks, judgeAll, splitOutput, type Check } from '../../src/verify/checks.js';
import { planDeployment } from '../../src/deploy/plan-deployment.js';
import { containersVerify } from '../../src/deploy/verify-cloud.js';
import { adminEnvScript } from '../../src/services/credentials.js';
import type { Deployment } from '../../src/config/model.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { renderFiles } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { shippedPlaybooks } from '../../src/deploy/playbooks.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const sh = (script: string): string => spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' }).stdout;

test('the combined script runs every check and reports each output and exit code', (t) => {
  const checks: Check[] = [
    { id: 'a', script: 'echo first; echo second', judge: (o) => ({ ok: o === 'first\nsecond', detail: o }), hint: '' },
    { id: 'b', script: 'echo oops >&2; exit 3', judge: (o, c) => ({ ok: c === 0, detail: `${c} ${o}` }), hint: 'look at b' },
    { id: 'c', script: 'sleep 0.2; printf "no newline"', judge: (o) => ({ ok: o === 'no newline', detail: o }), hint: '' },
  ];
  const out = sh(combinedScript(checks, 'X=1'));
  const parts = splitOutput(out);
  t.deepEqual(parts.get('b'), { output: 'oops', code: 3 });
  const results = judgeAll('h1', checks, out);
  t.deepEqual(results.map((r) => [r.check, r.ok]), [['a', true], ['b', false], ['c', true]]);
  t.is(results[1]!.hint, 'look at b');
  t.is(results[0]!.hint, undefined);
});

test('a check whose output is missing fails with "did not run"', (t) => {
  const [r] = judgeAll('h1', [{ id: 'gone', script: 'true', judge: () => ({ ok: true, detail: '' }), hint: 'h' }], 'garbage\n');
  t.false(r!.ok);
  t.regex(r!.detail, /did not run/);
});

test('host checks: every unit of the plan, the clock, and the bridge port on the network host', (t) => {
  const d = exampleDeployment();
  const plan = buildPlan(d, renderFiles(d, allServices), shippedPlaybooks(), allServices);
  const ctrl = plan.hosts.find((h) => h.host === 'ctrl1')!;
  const checks = hostChecks(d, d.hosts[0]!, ctrl);
  t.deepEqual(checks.map((c) => c.id), ['hostname', 'services', 'clock', 'bridge-br-ex-eth1']);
  const services = checks.find((c) => c.id === 'services')!;
  t.regex(services.script, / keystone /);
  t.regex(services.script, / nova-conductor /);
  // Judged against what the loop prints: one failed unit fails the check and is named.
  const units = ctrl.steps.flatMap((s) => (s.kind === 'unit' ? [s.unit] : []));
  const output = units.map((u) => `${u} ${u === 'nova-scheduler' ? 'failed' : 'active'}`).join('\n');
  t.deepEqual(services.judge(output, 0), { ok: false, detail: 'nova-scheduler failed' });
  t.true(services.judge(units.map((u) => `${u} active`).join('\n'), 0).ok);
  const bridge = checks.find((c) => c.id === 'bridge-br-ex-eth1')!;
  t.true(bridge.judge('eth1\nphy-br-ex', 0).ok);
  t.false(bridge.judge('phy-br-ex', 0).ok);
  t.regex(bridge.judge('', 2).detail, /does not exist/);
});

test('API checks: computes and agents are matched by the hostnames the hosts reported', (t) => {
  const d = exampleDeployment();
  const expect = expectations(d, new Map([['ctrl1', 'lab-ctrl1'], ['cmp1', 'lab-cmp1.example'], ['cmp2', 'lab-cmp2']]));
  t.deepEqual(expect, { computes: ['lab-cmp1', 'lab-cmp2'], ovsAgents: ['lab-ctrl1', 'lab-cmp1', 'lab-cmp2'], networkHosts: ['lab-ctrl1'] });
  const checks = apiChecks(d, expect);
  t.deepEqual(checks.map((c) => c.id), ['keystone-token', 'endpoints', 'image-upload', 'compute-services', 'hypervisors', 'placement', 'network-agents', 'dashboard']);
  const by = (id: string): Check => checks.find((c) => c.id === id)!;

  const services = JSON.stringify([
    { ID: 1, Binary: 'nova-compute', Host: 'lab-cmp1', Zone: 'nova', Status: 'enabled', State: 'up' },
    { ID: 2, Binary: 'nova-compute', Host: 'lab-cmp2', Zone: 'nova', Status: 'enabled', State: 'down' },
  ]);
  t.deepEqual(by('compute-services').judge(services, 0), { ok: false, detail: 'not up: lab-cmp2 (listed: lab-cmp1 up, lab-cmp2 down)' });

  const agents = (alive: boolean) =>
    JSON.stringify([
      ...['lab-ctrl1', 'lab-cmp1', 'lab-cmp2'].map((h) => ({ 'Agent Type': 'Open vSwitch agent', Host: h, Alive: true, State: true })),
      { 'Agent Type': 'L3 agent', Host: 'lab-ctrl1', Alive: true, State: true },
      { 'Agent Type': 'DHCP agent', Host: 'lab-ctrl1', Alive: alive, State: true },
      { 'Agent Type': 'Metadata agent', Host: 'lab-ctrl1', Alive: true, State: true },
    ]);
  t.deepEqual(by('network-agents').judge(agents(true), 0), { ok: true, detail: '6 agents alive' });
  t.deepEqual(by('network-agents').judge(agents(false), 0), { ok: false, detail: 'not alive: DHCP agent on lab-ctrl1' });

  const endpoints = (status: number | string) =>
    JSON.stringify(['identity', 'image', 'compute', 'placement', 'network'].map((s) => ({ service: s, interface: 'public', url: `http://x/${s}`, status: s === 'image' ? status : 200 })));
  t.true(by('endpoints').judge(endpoints(300), 0).ok);
  t.deepEqual(by('endpoints').judge(endpoints('timed out'), 0), { ok: false, detail: 'image public http://x/image: timed out' });
  t.false(by('hypervisors').judge('Missing value auth-url required for auth plugin password', 1).ok);
});

test('containers mode: each service container must run and report healthy; one missing or unhealthy is named', (t) => {
  const d = exampleDeployment();
  const c = containersCheck(d.hosts[0]!, ['cairn-keystone', 'cairn-glance-api']);
  t.regex(c.script, /^docker inspect --type container --format .*cairn.image-version.* cairn-keystone cairn-glance-api$/);
  const line = (name: string, status: string, health: string): string => `/${name} ${status} ${health} zed-3`;
  t.deepEqual(c.judge([line('cairn-keystone', 'running', 'healthy'), line('cairn-glance-api', 'running', 'healthy')].join('\n'), 0), {
    ok: true,
    detail: '2 healthy: cairn-keystone:zed-3, cairn-glance-api:zed-3',
  });
  t.deepEqual(c.judge([line('cairn-keystone', 'running', 'unhealthy'), 'Error: No such object: cairn-glance-api'].join('\n'), 1), {
    ok: false,
    detail: 'cairn-keystone running unhealthy, cairn-glance-api missing',
  });
  t.false(c.judge(line('cairn-keystone', 'exited', 'no-healthcheck'), 1).ok);
  // The engine itself did not answer: said so, not "missing".
  t.deepEqual(c.judge('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?', 1), {
    ok: false,
    detail: 'docker inspect failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
  });
});

test('containers mode: verify checks the host side\'s units, the containers where they run, and only their APIs', (t) => {
  const d: Deployment = { ...exampleDeployment(), mode: 'containers' };
  const plan = planDeployment(d).plan;
  const ctrlUnits = plan.hosts.find((h) => h.host === 'ctrl1')!.steps.flatMap((s) => (s.kind === 'unit' ? [s.unit] : []));
  // Open vSwitch (with br-ex on the network host, before its agents need it) stays on the host,
  // and so does the unit that puts netdev bridges back together at boot; the Docker engine the
  // containers run on is a unit of the host side, checked like the others.
  t.deepEqual(ctrlUnits, ['openvswitch-switch', 'cairn-ovs-netdev', 'chrony', 'mariadb', 'rabbitmq-server', 'memcached', 'docker']);
  const ctrlSteps = plan.hosts.find((h) => h.host === 'ctrl1')!.steps.map((s) => s.id);
  t.true(ctrlSteps.includes('bridge-port:br-ex:eth1'));
  t.true(ctrlSteps.includes('sysctl:net.ipv4.ip_forward'));
  t.false(ctrlSteps.some((id) => id.includes('neutron')), 'no neutron package, file or unit on the host');
  // The hypervisor and the OVS the agent drives stay on the compute hosts: checked there (nova's
  // libvirtd first: the descriptors' order, as in packages mode).
  const cmpUnits = plan.hosts.find((h) => h.host === 'cmp1')!.steps.flatMap((s) => (s.kind === 'unit' ? [s.unit] : []));
  // cairn-netdev-taps: the netdev datapath's tap watcher stays on the host too.
  t.deepEqual(cmpUnits, ['cairn-netdev-taps', 'chrony', 'libvirtd', 'openvswitch-switch', 'docker']);
  const cv = containersVerify(d, planDeployment(d).files);
  // The descriptors' order: neutron's servers after nova's containers (nova before neutron).
  const ctrlContainers = ['keystone', 'glance-api', 'placement-api', 'nova-api', 'nova-metadata-api', 'nova-conductor', 'nova-scheduler', 'nova-novncproxy', 'neutron-server', 'neutron-rpc-server'];
  const agents = ['neutron-openvswitch-agent', 'neutron-dhcp-agent', 'neutron-l3-agent', 'neutron-metadata-agent'];
  t.deepEqual([...cv.on], [
    ['ctrl1', [...ctrlContainers, ...agents, 'horizon'].map((n) => `cairn-${n}`)],
    ['cmp1', ['cairn-nova-compute', 'cairn-neutron-openvswitch-agent']],
    ['cmp2', ['cairn-nova-compute', 'cairn-neutron-openvswitch-agent']],
  ]);
  t.is(cv.apiContainer, 'cairn-keystone');
  const checks = apiChecks(d, expectations(d, new Map()), apiServices(d, true));
  t.deepEqual(checks.map((c) => c.id), ['keystone-token', 'endpoints', 'image-upload', 'compute-services', 'hypervisors', 'placement', 'network-agents', 'dashboard']);
  const endpoints = (services: string[]): string => JSON.stringify(services.map((s) => ({ service: s, interface: 'public', url: 'http://x/', status: 200 })));
  t.true(checks[1]!.judge(endpoints(['identity', 'image', 'placement', 'compute', 'network']), 0).ok);
  t.deepEqual(checks[1]!.judge(endpoints(['identity', 'image', 'placement', 'network']), 0), { ok: false, detail: 'no compute endpoint' });
});

test('the admin environment for a container survives any password through sh', (t) => {
  const d = exampleDeployment();
  const tricky: Deployment = { ...d, keystone: { ...d.keystone, adminPassword: `it's "$HOME" \\ \`x\`` } };
  const out = sh(`${adminEnvScript(tricky)}\nprintf '%s' "$OS_PASSWORD"`);
  t.is(out, `it's "$HOME" \\ \`x\``);
});
