import test from 'ava';
import { bridgeDevice, txChecksumOn } from '../../src/lab/bridge-offload.js';

test('the bridge device is Docker\'s br-<id prefix> unless the network names one', (t) => {
  t.is(bridgeDevice({ Id: 'b1bb3d4473f3a9c0ffee', Options: {} }), 'br-b1bb3d4473f3');
  t.is(bridgeDevice({ Id: 'b1bb3d4473f3a9c0ffee', Options: { 'com.docker.network.bridge.name': 'cairn-ext0' } }), 'cairn-ext0');
});

test('ethtool -k output: transmit checksumming on, off, and the sub-features do not count', (t) => {
  const on = 'Features for br-x:\nrx-checksumming: off [fixed]\ntx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\n';
  const off = 'Features for br-x:\nrx-checksumming: off [fixed]\ntx-checksumming: off\n\ttx-checksum-ip-generic: on\n';
  t.true(txChecksumOn(on));
  t.false(txChecksumOn(off));
  t.false(txChecksumOn(''));
});
