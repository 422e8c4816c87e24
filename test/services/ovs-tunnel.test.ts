/**
 * The tunnel bridge of userspace-datapath (netdev) hosts: which host gets br-tunnel, the boot
 * script that keeps its port and address, and the steps that make it. Kernel-datapath hosts and
 * untunnelled deployments must render exactly what they did before.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Deployment } from '../../src/config/model.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadPlaybooks } from '../../src/plan/playbook.js';
import { renderFiles, type RenderedFile } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { NETDEV_UNIT, TUNNEL_BRIDGE, tunnelBridgeIface } from '../../src/services/ovs-network.js';
import { exampleDeployment } from '../helpers/example-deployment.js';
import { repoRoot } from '../helpers/paths.js';

const { playbooks } = loadPlaybooks(
  join(repoRoot, 'playbooks'),
  allServices.map((s) => s.name),
);

/** The lab's shape: eth1 is br-ex's port on the network host and the tunnel NIC everywhere. */
function tunnelled(overrides: Partial<Deployment['neutron']['ovs']> = {}): Deployment {
  const d = exampleDeployment();
  d.neutron.ovs = { ...d.neutron.ovs, tunnelInterface: 'eth1', ...overrides };
  d.hosts = d.hosts.map((h, i) => (h.name === 'ctrl1' ? h : { ...h, interfaceAddresses: { eth0: `${h.address}/24`, eth1: `198.18.20.${20 + i}/24` } }));
  return d;
}

const host = (d: Deployment, name: string) => d.hosts.find((h) => h.name === name)!;
const stepIds = (d: Deployment, name: string): string[] =>
  buildPlan(d, renderFiles(d, allServices), playbooks, allServices)
    .hosts.find((h) => h.host === name)!
    .steps.map((s) => s.id);
const ovsFiles = (files: RenderedFile[], name: string): RenderedFile[] => files.filter((f) => f.host === name && f.service === 'ovs-network');

test('netdev + vxlan + a tunnel interface: computes get br-tunnel; the network host, whose br-ex holds it, does not', (t) => {
  const d = tunnelled();
  t.is(tunnelBridgeIface(d, host(d, 'ctrl1')), undefined);
  t.is(tunnelBridgeIface(d, host(d, 'cmp1')), 'eth1');
  t.is(tunnelBridgeIface(d, host(d, 'cmp2')), 'eth1');
});

test('no tunnel bridge on the kernel datapath, without tunnel types, or without a tunnel interface', (t) => {
  const kernel = tunnelled({ datapathType: 'system' });
  t.is(tunnelBridgeIface(kernel, host(kernel, 'cmp1')), undefined);
  // Kernel hosts keep today's rendering: computes get no ovs-network file at all.
  t.deepEqual(ovsFiles(renderFiles(kernel, allServices), 'cmp1'), []);
  t.false(stepIds(kernel, 'cmp1').some((id) => id.startsWith('bridge')));

  const vlan = tunnelled();
  vlan.neutron.ml2 = { ...vlan.neutron.ml2, typeDrivers: ['flat', 'vlan'], tenantNetworkTypes: ['vlan'] };
  t.is(tunnelBridgeIface(vlan, host(vlan, 'cmp1')), undefined);

  // A netdev deployment without a tunnel interface: no br-tunnel, only the guests' tap watcher.
  const none = exampleDeployment();
  t.is(tunnelBridgeIface(none, host(none, 'cmp1')), undefined);
  t.deepEqual(ovsFiles(renderFiles(none, allServices), 'cmp1').map((f) => f.path), ['/usr/local/lib/cairn/netdev-taps.sh', '/etc/systemd/system/cairn-netdev-taps.service']);
});

test('the compute boot script puts the NIC into br-tunnel and moves its address there', (t) => {
  const files = renderFiles(tunnelled(), allServices);
  const script = files.find((f) => f.host === 'cmp1' && f.path === '/usr/local/lib/cairn/ovs-netdev-addresses.sh')!;
  t.truthy(script);
  const c = script.content;
  t.true(c.includes(`ovs-vsctl --may-exist add-br ${TUNNEL_BRIDGE} -- set bridge ${TUNNEL_BRIDGE} datapath_type=netdev`));
  t.true(c.includes(`ovs-vsctl --may-exist add-port ${TUNNEL_BRIDGE} eth1`));
  t.true(c.includes(`ip -4 addr del 198.18.20.21/24 dev eth1`));
  t.true(c.includes(`ip -4 addr replace 198.18.20.21/24 dev ${TUNNEL_BRIDGE}`));
  // The bridge takes the NIC's MAC so the lab network's neighbours keep their entries.
  t.true(c.includes(`set bridge ${TUNNEL_BRIDGE} other-config:hwaddr="$(cat /sys/class/net/eth1/address)"`));
  t.false(c.includes('br-ex'), 'no provider bridge on a compute');
  // The script parses as POSIX sh (dash, /bin/sh on Debian).
  t.notThrows(() => execFileSync('/bin/sh', ['-n'], { input: c }));
  const unit = files.find((f) => f.host === 'cmp1' && f.path === `/etc/systemd/system/${NETDEV_UNIT}.service`)!;
  t.true(unit.content.includes('ExecStart=/bin/sh /usr/local/lib/cairn/ovs-netdev-addresses.sh'));
  t.true(unit.content.includes('Before=neutron-openvswitch-agent.service'));
  // The agent's local_ip is the address the bridge now holds.
  const agent = files.find((f) => f.host === 'cmp1' && f.path === '/etc/neutron/plugins/ml2/openvswitch_agent.ini')!;
  t.true(agent.content.includes('local_ip = 198.18.20.21\n'));
});

test('compute steps: Open vSwitch running, br-tunnel with its port, then the boot unit; no provider bridge', (t) => {
  const ids = stepIds(tunnelled(), 'cmp1');
  const at = (id: string): number => ids.indexOf(id);
  t.true(at('unit:openvswitch-switch') >= 0, ids.join(', '));
  t.true(at(`bridge-port:${TUNNEL_BRIDGE}:eth1`) > at('unit:openvswitch-switch'));
  t.true(at(`unit:${NETDEV_UNIT}`) > at(`bridge-port:${TUNNEL_BRIDGE}:eth1`));
  t.false(ids.some((id) => id.includes('br-ex')));
  // The network host keeps br-ex and gets no tunnel bridge.
  const ctrl = stepIds(tunnelled(), 'ctrl1');
  t.true(ctrl.includes('bridge-port:br-ex:eth1'));
  t.false(ctrl.some((id) => id.includes(TUNNEL_BRIDGE)));
});

test('a tunnel interface that is not a provider port gets br-tunnel on the network host too', (t) => {
  const d = tunnelled({ tunnelInterface: 'eth2' });
  d.hosts = d.hosts.map((h) => ({ ...h, interfaceAddresses: { ...h.interfaceAddresses, eth2: h.address.replace('198.18.10.', '198.18.30.') + '/24' } }));
  t.is(tunnelBridgeIface(d, host(d, 'ctrl1')), 'eth2');
  const ctrl = stepIds(d, 'ctrl1');
  t.true(ctrl.includes('bridge-port:br-ex:eth1'));
  t.true(ctrl.includes(`bridge-port:${TUNNEL_BRIDGE}:eth2`));
});
