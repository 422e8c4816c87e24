/**
 * Each service's container definitions and API checks live in its descriptor file: the derived
 * container list follows the descriptors, and services/ stays free of the folders that read it.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerServices, keystoneContainer, novaComputeContainer } from '../../src/containers/services.js';
import { allServices } from '../../src/services/index.js';
import { keystone } from '../../src/services/keystone.js';
import { nova } from '../../src/services/nova.js';
import { repoRoot } from '../helpers/paths.js';

test('services/ never imports containers/ or verify/ (they read the descriptors: no folder cycle)', (t) => {
  const dir = join(repoRoot, 'src', 'services');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const imports = [...readFileSync(join(dir, f), 'utf8').matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gms)].map((m) => m[1]!);
    t.deepEqual(imports.filter((i) => /^\.\.\/(containers|verify)\//.test(i)), [], f);
  }
});

test('the container list is every descriptor\'s containers, in descriptor order, each with its descriptor', (t) => {
  t.deepEqual(
    containerServices.map((c) => [c.descriptor.name, c.name]),
    allServices.flatMap((s) => (s.containers ?? []).map((c) => [s.name, c.name])),
  );
  t.deepEqual(containerServices.map((c) => c.name), [
    'keystone', 'glance-api', 'placement-api',
    'nova-api', 'nova-metadata-api', 'nova-conductor', 'nova-scheduler', 'nova-novncproxy', 'nova-compute',
    'neutron-server', 'neutron-rpc-server', 'neutron-openvswitch-agent', 'neutron-dhcp-agent', 'neutron-l3-agent', 'neutron-metadata-agent',
    'heat-api', 'heat-api-cfn', 'heat-engine',
    'horizon',
  ]);
  // The named exports are the list's own entries (imageOwners relies on identity).
  t.true(containerServices.includes(keystoneContainer));
  t.is(keystoneContainer.descriptor, keystone);
  t.is(novaComputeContainer.descriptor, nova);
  t.is(new Set(containerServices.map((c) => c.name)).size, containerServices.length);
});

test('a container placed by component names a component of its own descriptor', (t) => {
  for (const c of containerServices) {
    if (c.component === undefined) t.is(c.descriptor.components.length, 1, c.name);
    else t.true(c.descriptor.components.some((k) => k.name === c.component), c.name);
  }
});
