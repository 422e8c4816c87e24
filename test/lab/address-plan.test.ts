import test from 'ava';
import {
  chooseSlot,
  cidrRange,
  fnv1a,
  planLab,
  preferredSlot,
  shapeProblem,
  slotsOverlapping,
  SLOT_MAX,
  SLOT_MIN,
} from '../../src/lab/address-plan.js';

test('the default lab gets 198.18.10.0/24 and 198.19.10.0/24 with the documented host numbers', (t) => {
  const plan = planLab('lab', { controllers: 1, computes: 2 }, preferredSlot('lab'));
  t.is(plan.slot, 10);
  t.deepEqual(plan.management, { kind: 'management', name: 'cairn-lab-mgmt', subnet: '198.18.10.0/24', gateway: '198.18.10.1', prefixLength: 24, interface: 'eth0' });
  t.deepEqual(plan.external, { kind: 'external', name: 'cairn-lab-ext', subnet: '198.19.10.0/24', gateway: '198.19.10.1', prefixLength: 24, interface: 'eth1' });
  t.deepEqual(plan.nodes, [
    { name: 'lab-ctrl1', role: 'controller', index: 1, managementAddress: '198.18.10.11', externalAddress: '198.19.10.11' },
    { name: 'lab-cmp1', role: 'compute', index: 1, managementAddress: '198.18.10.21', externalAddress: '198.19.10.21' },
    { name: 'lab-cmp2', role: 'compute', index: 2, managementAddress: '198.18.10.22', externalAddress: '198.19.10.22' },
  ]);
  t.is(plan.gatewayName, 'lab-gateway');
});

test('the largest shapes stay inside their host ranges', (t) => {
  const plan = planLab('big', { controllers: 9, computes: 79 }, 200);
  const last = plan.nodes.map((n) => Number(n.managementAddress.split('.')[3]));
  t.is(Math.max(...last.slice(0, 9)), 19);
  t.is(Math.min(...last.slice(9)), 21);
  t.is(Math.max(...last), 99);
  t.is(new Set(plan.nodes.map((n) => n.managementAddress)).size, 88);
});

test('shape limits are reported with the flag name', (t) => {
  t.is(shapeProblem({ controllers: 1, computes: 2 }), undefined);
  t.is(shapeProblem({ controllers: 1, computes: 0 }), undefined);
  t.is(shapeProblem({ controllers: 0, computes: 2 }), '--controllers must be a whole number from 1 to 9, not 0');
  t.is(shapeProblem({ controllers: 1, computes: 80 }), '--computes must be a whole number from 0 to 79, not 80');
  t.is(shapeProblem({ controllers: 1, computes: 1.5 }), '--computes must be a whole number from 0 to 79, not 1.5');
});

test('other names hash to a stable slot above the default one', (t) => {
  t.is(fnv1a(''), 0x811c9dc5);
  t.is(fnv1a('a'), 0xe40c292c);
  t.is(preferredSlot('other'), 131);
  for (const name of ['a', 'b', 'lab2', 'x-y-z', 'itest1234']) {
    const s = preferredSlot(name);
    t.true(s > 10 && s <= SLOT_MAX, `${name} -> ${s}`);
  }
});

test('slot choice keeps the recorded slot, else probes upwards from the preferred one and wraps', (t) => {
  t.is(chooseSlot('lab', new Set()), 10);
  t.is(chooseSlot('lab', new Set([10, 11])), 12);
  t.is(chooseSlot('lab', new Set(), 77), 77, 'a recorded slot that is still free is kept');
  t.is(chooseSlot('lab', new Set([77]), 77), 10, 'a recorded slot taken meanwhile is given up');
  t.is(chooseSlot('lab', new Set(), 5), 10, 'a recorded slot outside the range is ignored');
  const allButMin = new Set<number>();
  for (let s = SLOT_MIN + 1; s <= SLOT_MAX; s++) allButMin.add(s);
  t.is(chooseSlot('other', allButMin), SLOT_MIN, 'wraps around past the highest slot');
  t.is(chooseSlot('other', new Set([...allButMin, SLOT_MIN])), undefined);
});

test('CIDR ranges and the slots other networks overlap', (t) => {
  t.deepEqual(cidrRange('198.18.10.0/24'), [0xc6120a00, 0xc6120aff]);
  t.deepEqual(cidrRange('198.18.10.77/24'), [0xc6120a00, 0xc6120aff], 'host bits are masked');
  t.is(cidrRange('fd00::/64'), undefined);
  t.is(cidrRange('300.1.1.1/24'), undefined);
  t.deepEqual([...slotsOverlapping(['198.18.10.0/24'])], [10]);
  t.deepEqual([...slotsOverlapping(['198.19.200.128/25'])], [200], 'the external /24 counts too');
  t.deepEqual([...slotsOverlapping(['172.17.0.0/16', '10.0.0.0/8'])], []);
  t.is(slotsOverlapping(['198.18.0.0/15']).size, SLOT_MAX - SLOT_MIN + 1);
  t.deepEqual([...slotsOverlapping(['198.18.12.0/23'])], [12, 13]);
});
