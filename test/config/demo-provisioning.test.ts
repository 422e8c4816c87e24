/**
 * Demo provisioning's input checks, through the whole config pipeline: what validate says
 * about CONFIG_PROVISION_DEMO and CONFIG_PROVISION_DEMO_FLOATRANGE (file, line, key).
 */
import test from 'ava';
import { loadDeployment } from '../../src/config/deployment.js';
import { formatProblem } from '../../src/config/problems.js';
import { BASE_INVENTORY, BASE_INVENTORY_ANSWER } from '../fixtures/bad-inputs.js';

function load(extra: string[], inventory = BASE_INVENTORY): { lines: string[]; ok: boolean } {
  const answerText = `${BASE_INVENTORY_ANSWER}${extra.join('\n')}\n`;
  const r = loadDeployment({ answerFile: 'a.ini', answerText, inventoryFile: 'inv.yml', inventoryText: inventory });
  return { lines: r.problems.map(formatProblem), ok: r.deployment !== undefined };
}

test('a floating range set off the network host\'s external network is an error naming key, line and host', (t) => {
  const r = load(['CONFIG_PROVISION_DEMO_FLOATRANGE=10.9.9.0/24']);
  t.false(r.ok);
  const line = BASE_INVENTORY_ANSWER.split('\n').length;
  t.true(
    r.lines.some((l) => l.startsWith(`a.ini:${line}: CONFIG_PROVISION_DEMO_FLOATRANGE: 10.9.9.0/24 is not on the external network of network host ctrl (eth1 198.18.20.11/24`)),
    r.lines.join('\n'),
  );
});

test('the floating range on that network validates; left at Packstack\'s default it is a warning', (t) => {
  t.deepEqual(load(['CONFIG_PROVISION_DEMO_FLOATRANGE=198.18.20.0/24']), { lines: [], ok: true });
  const r = load([]);
  t.true(r.ok);
  t.true(r.lines.some((l) => l.startsWith('warning: a.ini: CONFIG_PROVISION_DEMO_FLOATRANGE: the default 172.24.4.0/24 is not on the external network')), r.lines.join('\n'));
});

test('provisioning with Neutron off names the keys to change', (t) => {
  const r = load(['CONFIG_NEUTRON_INSTALL=n', 'CONFIG_NOVA_INSTALL=n']);
  t.false(r.ok);
  t.true(r.lines.some((l) => /CONFIG_PROVISION_DEMO: demo provisioning .* needs CONFIG_NEUTRON_INSTALL, CONFIG_NOVA_INSTALL=y/.test(l)), r.lines.join('\n'));
  t.deepEqual(load(['CONFIG_NEUTRON_INSTALL=n', 'CONFIG_NOVA_INSTALL=n', 'CONFIG_PROVISION_DEMO=n']).ok, true);
});

test('a floating range the hosts fill leaves no pool: said on the key', (t) => {
  // A /30 has two usable addresses: the gateway and ctrl's eth1 address.
  const inv = BASE_INVENTORY.replace('eth1: 198.18.20.11/24', 'eth1: 198.18.20.2/30');
  const r = load(['CONFIG_PROVISION_DEMO_FLOATRANGE=198.18.20.0/30'], inv);
  t.false(r.ok);
  t.true(r.lines.some((l) => /CONFIG_PROVISION_DEMO_FLOATRANGE: the floating range 198\.18\.20\.0\/30 .*leaves no address for floating IPs/.test(l)), r.lines.join('\n'));
});

test('a floating range that is not a network is a type error', (t) => {
  const r = load(['CONFIG_PROVISION_DEMO_FLOATRANGE=198.18.20.5/24']);
  t.false(r.ok);
  t.true(r.lines.some((l) => /CONFIG_PROVISION_DEMO_FLOATRANGE: .*host bits set/.test(l)), r.lines.join('\n'));
});

test('a tunnel interface a host does not have is an error naming the key, its line and each such host', (t) => {
  const r = load(['CONFIG_NEUTRON_OVS_TUNNEL_IF=eth2', 'CONFIG_PROVISION_DEMO_FLOATRANGE=198.18.20.0/24']);
  t.false(r.ok);
  const line = BASE_INVENTORY_ANSWER.split('\n').length;
  t.true(r.lines.includes(`a.ini:${line}: CONFIG_NEUTRON_OVS_TUNNEL_IF: host ctrl (inv.yml:6) has no interface 'eth2'; its interfaces are eth0, eth1`), r.lines.join('\n'));
});

test('two hosts with one address are an error on the inventory line', (t) => {
  const inv = BASE_INVENTORY.replace('address: 198.18.10.21', 'address: 198.18.10.11');
  const r = load(['CONFIG_PROVISION_DEMO_FLOATRANGE=198.18.20.0/24'], inv);
  t.false(r.ok);
  t.true(r.lines.includes('inv.yml:10: hosts/cmp1/address: 198.18.10.11 is also the address of ctrl'), r.lines.join('\n'));
});

test('containers mode provisions the demo cloud too: no warning that it does not', (t) => {
  const r = load(['CAIRN_DEPLOY_MODE=containers', 'CONFIG_PROVISION_DEMO_FLOATRANGE=198.18.20.0/24']);
  t.true(r.ok, r.lines.join('\n'));
  t.deepEqual(r.lines.filter((l) => l.includes('CONFIG_PROVISION_DEMO')), []);
});
