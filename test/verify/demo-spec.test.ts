import test from 'ava';
import { demoSpec, floatingRange } from '../../src/provision/demo-spec.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const n = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

test('the pool is the longest run no host, gateway or broadcast address takes', (t) => {
  const used = new Set(['198.19.10.1', '198.19.10.11', '198.19.10.21', '198.19.10.22'].map(n));
  t.deepEqual(floatingRange('198.19.10.0/24', used), { gateway: '198.19.10.1', poolStart: '198.19.10.23', poolEnd: '198.19.10.254' });
  // A host high in the range: the longer run below it wins.
  t.deepEqual(floatingRange('10.0.0.0/24', new Set([n('10.0.0.200')])), { gateway: '10.0.0.1', poolStart: '10.0.0.2', poolEnd: '10.0.0.199' });
  t.deepEqual(floatingRange('10.0.0.0/30', new Set()), { gateway: '10.0.0.1', poolStart: '10.0.0.2', poolEnd: '10.0.0.2' });
  t.is(floatingRange('10.0.0.0/30', new Set([n('10.0.0.2')])), undefined);
  t.is(floatingRange('10.0.0.0/31', new Set()), undefined);
});

test('the demo spec follows the deployment: physnet of the first mapping, hosts kept out of the pool', (t) => {
  const d = exampleDeployment({ provisionDemo: true, demoFloatRange: '198.18.10.0/24' });
  const spec = demoSpec(d);
  if ('message' in spec) return t.fail(spec.message);
  t.is(spec.external.physnet, d.neutron.ovs.bridgeMappings[0]!.physnet);
  t.is(spec.external.gateway, '198.18.10.1');
  for (const h of d.hosts) t.true(n(h.address) < n(spec.external.poolStart) || n(h.address) > n(spec.external.poolEnd), h.address);
  t.deepEqual(spec.flavors.map((f) => f.name), ['m1.nano', 'm1.tiny', 'm1.small', 'm1.medium', 'm1.large']);
  t.deepEqual(spec.securityGroupRules, [{ protocol: 'icmp' }, { protocol: 'tcp', port: 22 }]);
});

test('no demo spec without Neutron or a provider bridge: the reason says which', (t) => {
  const base = exampleDeployment({ provisionDemo: true });
  const reason = (d: typeof base): string => {
    const r = demoSpec(d);
    return 'message' in r ? `${r.key}: ${r.message}` : 'a spec';
  };
  t.regex(reason({ ...base, services: { ...base.services, neutron: false } }), /^CONFIG_PROVISION_DEMO: .*needs Neutron/);
  t.regex(reason({ ...base, neutron: { ...base.neutron, ovs: { ...base.neutron.ovs, bridgeMappings: [] } } }), /^CONFIG_PROVISION_DEMO: .*CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS/);
  t.regex(reason({ ...base, demoFloatRange: '198.18.10.0/31' }), /^CONFIG_PROVISION_DEMO_FLOATRANGE: .*leaves no address/);
});
