/** The plan for the example 3-node deployment, built with the real playbooks and services. */
import test from 'ava';
import { join } from 'node:path';
import { buildPlan } from '../../src/plan/build-plan.js';
import { PHASE_NAMES, type Phase } from '../../src/plan/order.js';
import { loadPlaybooks, parsePlaybook } from '../../src/plan/playbook.js';
import type { HostPlan, Step } from '../../src/plan/steps.js';
import { renderFiles } from '../../src/render/render-files.js';
import { placementRoles } from '../../src/services/descriptor.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';
import { repoRoot } from '../helpers/paths.js';

const names = allServices.map((s) => s.name);
const { playbooks, problems } = loadPlaybooks(join(repoRoot, 'playbooks'), names);
const d = exampleDeployment();
const plan = buildPlan(d, renderFiles(d, allServices), playbooks, allServices);
const hostPlan = (name: string): HostPlan => plan.hosts.find((h) => h.host === name)!;
const ids = (h: HostPlan): string[] => h.steps.map((s) => s.id);

test('the shipped playbooks are valid', (t) => {
  t.deepEqual(problems, []);
  t.deepEqual(playbooks.map((p) => p.role).sort(), ['compute', 'control', 'network']);
});

test('steps run in phase order on every host', (t) => {
  const rank = (s: Step): number => {
    const phase = s.phase === 'bootstrap' ? 'units' : s.phase === 'ovs-bridges' ? 'ovs-bridges' : s.kind === 'file' && s.phase !== 'repos' && s.phase !== 'sysctl' ? 'files' : s.kind === 'packages' ? 'packages' : s.kind === 'unit' ? 'units' : s.kind === 'wait' ? 'chrony-sync' : s.kind === 'bridge-port' ? 'ovs-bridges' : s.kind === 'sysctl' ? 'sysctl' : s.phase;
    return PHASE_NAMES.indexOf(phase as Phase);
  };
  for (const h of plan.hosts) {
    const ranks = h.steps.map(rank);
    t.false(ranks.includes(-1), `${h.host}: every step belongs to a phase`);
    t.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `${h.host}: ${ids(h).join(', ')}`);
  }
});

test('the phases of a full plan appear in the order of the phase list', (t) => {
  // Repositories and playbook commands too, so that every phase has steps on ctrl1.
  const full = { ...d, repos: { ...d.repos, urls: ['http://repo.example/'] } };
  const withCommands = playbooks.map((p) => ({ ...p, commands: [{ name: 'hello', argv: ['true'] }] }));
  const ctrl = buildPlan(full, renderFiles(full, allServices), withCommands, allServices).hosts.find((h) => h.host === 'ctrl1')!;
  // A step's phase string names its phase, or it is a bootstrap step (run in 'units'), or the
  // service whose file it is ('files').
  const phaseOf = (s: Step): Phase => (s.phase === 'bootstrap' ? 'units' : PHASE_NAMES.includes(s.phase as Phase) ? (s.phase as Phase) : 'files');
  const seen = [...new Set(ctrl.steps.map(phaseOf))];
  t.deepEqual(seen, [...PHASE_NAMES], ctrl.steps.map((s) => `${s.id} (${s.phase})`).join('\n'));
  // Each phase once, in one run: no phase's steps come back after a later phase's.
  const runs = ctrl.steps.map(phaseOf).filter((p, i, all) => i === 0 || all[i - 1] !== p);
  t.deepEqual(runs, [...PHASE_NAMES]);
});

test('services are placed by their descriptors: the same services on each role as the playbooks used to list', (t) => {
  // What control.yml, compute.yml and network.yml listed before placement moved to descriptors.
  const before: Record<string, string[]> = {
    // cinder, heat and swift since: control-host services like the other APIs.
    control: ['repos', 'chrony', 'mariadb', 'rabbitmq', 'memcached', 'keystone', 'glance', 'placement', 'nova', 'neutron', 'cinder', 'swift', 'heat', 'horizon', 'credentials'],
    network: ['repos', 'chrony', 'neutron', 'ovs-network'],
    // ovs-network since: the tunnel bridge of netdev computes (empty unless one is needed);
    // cinder since: the iSCSI initiator that attaches volumes.
    compute: ['repos', 'chrony', 'nova', 'neutron', 'cinder', 'ovs-network'],
  };
  for (const role of ['control', 'network', 'compute'] as const) {
    const on = allServices.filter((s) => placementRoles(s).includes(role)).map((s) => s.name);
    t.deepEqual([...on].sort(), [...before[role]!].sort(), role);
  }
});

test('the control+network host gets the bridge, sysctl and control services; computes do not', (t) => {
  const ctrl = hostPlan('ctrl1');
  t.true(ids(ctrl).includes('bridge-port:br-ex:eth1'));
  t.true(ids(ctrl).includes('sysctl:net.ipv4.ip_forward'));
  t.true(ids(ctrl).includes('unit:keystone'));
  t.true(ids(ctrl).includes('file:/etc/neutron/plugins/ml2/ml2_conf.ini'));
  const cmp = hostPlan('cmp1');
  t.false(ids(cmp).some((id) => id.startsWith('bridge')));
  t.false(ids(cmp).includes('unit:keystone'));
  t.true(ids(cmp).includes('unit:nova-compute'));
});

test('one package step per host, with the union of its services', (t) => {
  for (const h of plan.hosts) {
    const pkgs = h.steps.filter((s) => s.kind === 'packages');
    t.is(pkgs.length, 1, h.host);
    const names = pkgs[0]!.kind === 'packages' ? pkgs[0]!.names : [];
    t.true(names.includes('chrony'));
    t.is(new Set(names).size, names.length, 'no duplicates');
  }
});

test('units restart on exactly the files that name them', (t) => {
  const ctrl = hostPlan('ctrl1');
  const unit = ctrl.steps.find((s) => s.id === 'unit:keystone');
  t.deepEqual(unit?.kind === 'unit' ? unit.restartOn : [], ['file:/etc/keystone/keystone.conf', 'file:/etc/default/keystone']);
  const chrony = ctrl.steps.find((s) => s.id === 'unit:chrony');
  t.deepEqual(chrony?.kind === 'unit' ? chrony.restartOn : [], ['file:/etc/chrony/chrony.conf', 'file:/etc/systemd/system/chrony.service.d/cairn-no-clock.conf']);
});

test('the plan is a deterministic value', (t) => {
  const again = buildPlan(d, renderFiles(d, allServices), playbooks, allServices);
  t.deepEqual(again, plan);
});

test('a playbook naming an unknown step kind, or still listing services, is refused with its line', (t) => {
  const r = parsePlaybook('role: compute\nsteps:\n  - chrony-sync\n  - reboot\n', 'pb.yml');
  t.is(r.playbook, undefined);
  t.deepEqual(
    r.problems.map((p) => `${p.file}:${p.line}: ${p.key}: ${p.message}`),
    ['pb.yml:4: steps/1: must be equal to one of the allowed values', 'pb.yml:4: steps/1: must be object', 'pb.yml:4: steps/1: must be object'],
  );
  const r2 = parsePlaybook('role: compute\nservices: [nova, neutron]\n', 'pb.yml', names);
  t.is(r2.playbook, undefined);
  t.deepEqual(r2.problems.map((p) => `${p.line}: ${p.key}: ${p.message}`), [
    "2: services: a playbook no longer lists services: each service's descriptor says which roles run it (its components' roles, its roles)",
  ]);
});

test('a daemon starts before the service that needs it (packages install without starting anything)', (t) => {
  const before = (h: HostPlan, first: string, then: string): boolean => ids(h).indexOf(`unit:${first}`) < ids(h).indexOf(`unit:${then}`) && ids(h).includes(`unit:${first}`);
  for (const h of plan.hosts.filter((x) => ids(x).includes('unit:nova-compute'))) {
    t.true(before(h, 'libvirtd', 'nova-compute'), `${h.host}: libvirtd before nova-compute`);
  }
  for (const h of plan.hosts.filter((x) => ids(x).includes('unit:neutron-openvswitch-agent'))) {
    t.true(before(h, 'openvswitch-switch', 'neutron-openvswitch-agent'), `${h.host}: openvswitch-switch before the OVS agent`);
  }
  t.true(plan.hosts.some((x) => ids(x).includes('unit:nova-compute')), 'the example has a compute');
});

test('APIs nothing on the host waits for are waited for after all of its units start; keystone\'s, which the catalog needs, right after its own', (t) => {
  const ctrl = ids(hostPlan('ctrl1'));
  const lastUnit = Math.max(...ctrl.map((id, i) => (id.startsWith('unit:') ? i : -1)));
  for (const id of ['command:glance:ready', 'command:placement:ready', 'command:nova:ready', 'command:neutron:ready']) {
    t.true(ctrl.indexOf(id) > lastUnit, `${id} after the last unit`);
  }
  t.true(ctrl.indexOf('command:keystone:ready') < ctrl.indexOf('command:keystone:catalog'), 'keystone answers before its catalog is made');
  t.true(ctrl.indexOf('command:keystone:ready') < lastUnit);
  // Computes wait for the control host's APIs before their own agents start, as before.
  const cmp = ids(hostPlan('cmp1'));
  t.true(cmp.indexOf('command:neutron:controller-ready') < cmp.indexOf('unit:neutron-openvswitch-agent'));
});

test('packages come without recommended dependencies unless the deployment asks for them', (t) => {
  const step = (p: typeof plan): Step => p.hosts[0]!.steps.find((s) => s.kind === 'packages')!;
  t.is((step(plan) as { recommends?: boolean }).recommends, undefined);
  const withRecs = { ...d, repos: { ...d.repos, installRecommends: true } };
  const p2 = buildPlan(withRecs, renderFiles(withRecs, allServices), playbooks, allServices);
  t.is((step(p2) as { recommends?: boolean }).recommends, true);
});

test('schema migrations and Horizon\'s static files go to the control host\'s background lane right after the databases are made; each service\'s own steps wait for its own', (t) => {
  const h = hostPlan('ctrl1');
  const at = ids(h).indexOf('command:mariadb:databases');
  const background = h.steps.filter((s) => s.background);
  t.deepEqual(background.map((s) => s.id), ['command:keystone:db-sync', 'command:glance:db-sync', 'command:placement:db-sync', 'command:nova:api-db-sync', 'command:nova:cell0', 'command:nova:cell1', 'command:nova:db-sync', 'command:neutron:db-sync', 'command:heat:db-sync', 'command:horizon:static'].filter((id) => ids(h).includes(id)));
  t.true(background.length >= 9);
  t.true(background.some((s) => s.id === 'command:horizon:static'));
  t.deepEqual(ids(h).slice(at + 1, at + 1 + background.length), background.map((s) => s.id), 'right after the databases');
  for (const b of background) {
    const service = b.id.split(':')[1]!;
    const waiter = ids(h).findIndex((_, i) => h.steps[i]!.after?.includes(b.id));
    t.true(waiter > at + background.length, `a step after the lane's start waits for ${b.id}`);
    // Nothing of the service runs before its schema (or Horizon's static files) is there.
    const firstOwn = ids(h).findIndex((id, i) => i > at + background.length && (id.startsWith(`command:${service}:`) || (service === 'horizon' && id === 'unit:apache2')));
    t.true(firstOwn === -1 || waiter <= firstOwn, `${b.id} is awaited before ${ids(h)[firstOwn]}`);
  }
  t.true(plan.hosts.filter((x) => x.host !== 'ctrl1').every((x) => x.steps.every((s) => !s.background && !s.after)), 'computes have no lane');
});
