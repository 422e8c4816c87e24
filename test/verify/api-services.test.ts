/**
 * Which descriptors' API checks run (apiServices, one rule for both modes) and what follows from
 * it: the endpoints check expects exactly their catalog types, and containers mode swaps in each
 * check's own containers hint.
 */
import test from 'ava';
import type { Deployment } from '../../src/config/model.js';
import { apiChecks, apiServices, containersApiHints, expectations } from '../../src/verify/checks.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const endpoints = (types: string[]): string => JSON.stringify(types.map((s) => ({ service: s, interface: 'public', url: `http://x/${s}`, status: 200 })));

test('packages mode: the enabled services with checks, in deployment order', (t) => {
  const d = exampleDeployment();
  t.deepEqual(
    apiServices(d, false).filter((s) => s.apiChecks).map((s) => s.name),
    ['keystone', 'glance', 'nova', 'neutron', 'horizon'],
  );
  // The host-side infrastructure is deployed in packages mode but has no API checks.
  t.true(apiServices(d, false).some((s) => s.name === 'mariadb'));
});

test('containers mode: only the services cairn runs in containers', (t) => {
  const d: Deployment = { ...exampleDeployment(), mode: 'containers' };
  t.deepEqual(apiServices(d, true).map((s) => s.name), ['keystone', 'glance', 'placement', 'nova', 'neutron', 'horizon']);
});

test('a disabled service loses its checks and its expected endpoint; placement goes with nova', (t) => {
  const base = exampleDeployment();
  const d: Deployment = { ...base, services: { ...base.services, nova: false, glance: false } };
  for (const containers of [false, true]) {
    const checks = apiChecks(d, expectations(d, new Map()), apiServices(d, containers));
    t.deepEqual(checks.map((c) => c.id), ['keystone-token', 'endpoints', 'network-agents', 'dashboard']);
    const ep = checks.find((c) => c.id === 'endpoints')!;
    t.true(ep.judge(endpoints(['identity', 'network']), 0).ok);
    t.deepEqual(ep.judge(endpoints(['identity']), 0), { ok: false, detail: 'no network endpoint' });
  }
  const all = apiChecks(base, expectations(base, new Map())).find((c) => c.id === 'endpoints')!;
  // Descriptor order: placement's entry before nova's.
  t.deepEqual(all.judge(endpoints(['identity', 'image', 'network']), 0), { ok: false, detail: 'no placement endpoint; no compute endpoint' });
});

test('containers mode hints point at the containers; checks without one keep theirs', (t) => {
  const d: Deployment = { ...exampleDeployment(), mode: 'containers' };
  const plain = apiChecks(d, expectations(d, new Map()), apiServices(d, true));
  const hinted = containersApiHints(plain, 'cairn-keystone');
  const hint = (id: string): string => hinted.find((c) => c.id === id)!.hint;
  t.is(hint('keystone-token'), 'on the control host: docker exec -it cairn-keystone sh, then export the OS_* values of /root/keystonerc_admin and run openstack token issue; docker logs --tail 50 cairn-keystone');
  t.is(hint('image-upload'), 'on the control host: docker exec -it cairn-keystone sh, then export the OS_* values of /root/keystonerc_admin and run openstack image create --file FILE test; docker logs --tail 50 cairn-glance-api');
  t.is(hint('dashboard'), 'on the control host: docker logs --tail 50 cairn-horizon; docker exec cairn-horizon tail /var/log/openstack-dashboard/error.log');
  t.is(hint('hypervisors'), plain.find((c) => c.id === 'hypervisors')!.hint);
  t.is(plain.find((c) => c.id === 'keystone-token')!.hint, 'on the control host: . /root/keystonerc_admin; openstack token issue; journalctl -u keystone (or /var/log/keystone/)');
});
