import test from 'ava';
import { join } from 'node:path';
import { planLab } from '../../src/lab/address-plan.js';
import { inventoryText, relativeFrom } from '../../src/lab/inventory-file.js';
import { labPaths } from '../../src/lab/lab-name.js';
import { readInventory } from '../../src/config/inventory.js';

const plan = planLab('lab', { controllers: 1, computes: 2 }, 10);
const paths = labPaths('/work/proj', 'lab');

test('paths in the inventory are relative to its own folder', (t) => {
  t.is(relativeFrom(paths.inventory, paths.privateKey), '../.cairn/labs/lab/id_ed25519');
  t.is(relativeFrom(paths.inventory, paths.knownHosts), '../.cairn/labs/lab/known_hosts');
});

const EXPECTED = `# written by \`cairn lab up\` for lab lab
defaults:
  ssh_user: root
  ssh_port: 22
  ssh_key: ../.cairn/labs/lab/id_ed25519
  known_hosts: ../.cairn/labs/lab/known_hosts
  sudo: false
  os_family: debian
hosts:
  lab-ctrl1:
    address: 198.18.10.11
    management_interface: eth0
    external_interface: eth1
    interfaces:
      eth0: 198.18.10.11/24
      eth1: 198.19.10.11/24
    gateway: 198.18.10.1
  lab-cmp1:
    address: 198.18.10.21
    management_interface: eth0
    external_interface: eth1
    interfaces:
      eth0: 198.18.10.21/24
      eth1: 198.19.10.21/24
    gateway: 198.18.10.1
  lab-cmp2:
    address: 198.18.10.22
    management_interface: eth0
    external_interface: eth1
    interfaces:
      eth0: 198.18.10.22/24
      eth1: 198.19.10.22/24
    gateway: 198.18.10.1
groups:
  control: [lab-ctrl1]
  network: [lab-ctrl1]
  compute: [lab-cmp1, lab-cmp2]
`;

test('the inventory text, exactly', (t) => {
  t.is(inventoryText(plan, '../.cairn/labs/lab/id_ed25519', '../.cairn/labs/lab/known_hosts'), EXPECTED);
});

test("cairn's own inventory reader takes it without a problem", (t) => {
  const file = join('/work/proj', 'inventory', 'lab.yml');
  const { inventory, problems } = readInventory(EXPECTED, file);
  t.deepEqual(problems, []);
  t.deepEqual(inventory!.groups.compute.members, ['lab-cmp1', 'lab-cmp2']);
  const ctrl = inventory!.hosts[0]!;
  t.is(ctrl.sshKey, paths.privateKey);
  t.is(ctrl.knownHosts, paths.knownHosts);
  t.deepEqual(ctrl.interfaces, { eth0: '198.18.10.11/24', eth1: '198.19.10.11/24' });
});

test('a lab without computes still writes a valid inventory', (t) => {
  const text = inventoryText(planLab('solo', { controllers: 1, computes: 0 }, 50), 'k', 'kh');
  t.regex(text, /^ {2}compute: \[\]$/m);
  t.deepEqual(readInventory(text, '/x/inventory/solo.yml').problems, []);
});
