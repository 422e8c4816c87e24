/**
 * The tap watcher of netdev compute hosts, run for real by /bin/sh with a fake `ip` (its
 * monitor prints link changes, `ip link set` records) and a fake `ovs-vsctl` (which knows the
 * OVS ports), over a temporary directory standing in for /sys/class/net.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemplateSet } from '../../src/render/templates.js';

function setUp(t: ExecutionContext, links: Record<string, number>, monitor: string[], ovsPorts: string[]): { dir: string; script: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-taps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const net = join(dir, 'net');
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, flags] of Object.entries(links)) {
    mkdirSync(join(net, name), { recursive: true });
    writeFileSync(join(net, name, 'flags'), `0x${flags.toString(16)}\n`);
  }
  writeFileSync(join(dir, 'monitor'), monitor.map((l) => `${l}\n`).join(''));
  const fake = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake('ip', `case "$*" in "-o monitor link") cat ${join(dir, 'monitor')} ;; "link set dev "*" up") echo "$4" >> ${join(dir, 'up')} ;; esac`);
  fake('ovs-vsctl', `for p in ${ovsPorts.join(' ')}; do [ "$3" = "$p" ] && { echo br-int; exit 0; }; done; exit 1`);
  fake('sleep', 'exit 0');
  const text = new TemplateSet().get('ovs-network/netdev-taps.sh.hbs')({ settleSeconds: 2, netDir: net });
  const script = join(dir, 'taps.sh');
  writeFileSync(script, text.replace(/^PATH=.*$/m, `PATH=${bin}:/usr/bin:/bin`));
  return { dir, script };
}

const upped = (dir: string): string[] => {
  try {
    return readFileSync(join(dir, 'up'), 'utf8').trim().split('\n').sort();
  } catch {
    return [];
  }
};

test('a guest tap left down on Open vSwitch is brought up; an up tap, a tap outside OVS and other links are left alone', (t) => {
  const { dir, script } = setUp(
    t,
    { 'tapdown-aa': 0x1002, 'tapup-bb': 0x1043, 'tapnotovs-cc': 0x1002, 'eth1': 0x1002 },
    [
      '8: tapdown-aa: <BROADCAST,MULTICAST,PROMISC> mtu 1450 qdisc noqueue state DOWN',
      '9: tapup-bb: <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN',
      '10: tapnotovs-cc: <BROADCAST,MULTICAST> mtu 1500 state DOWN',
      '3: eth1@if4: <BROADCAST,MULTICAST> mtu 1500 state DOWN',
      'Deleted 11: tapgone-dd: <BROADCAST,MULTICAST> mtu 1450',
    ],
    ['tapdown-aa', 'tapup-bb', 'tapgone-dd'],
  );
  const out = execFileSync('sh', [script], { encoding: 'utf8', timeout: 20_000 });
  // Once from the start-up sweep, once from the monitor line: bringing up twice is harmless.
  t.deepEqual([...new Set(upped(dir))], ['tapdown-aa']);
  t.regex(out, /tapdown-aa: brought up/);
});

test('a tap whose flags say up is not touched, whatever its monitor line', (t) => {
  // The flags file is read after the wait: libvirt brought it up meanwhile.
  const { dir, script } = setUp(t, { 'tapx-ee': 0x1003 }, ['8: tapx-ee: <BROADCAST,MULTICAST> mtu 1450 state DOWN'], ['tapx-ee']);
  execFileSync('sh', [script], { encoding: 'utf8', timeout: 20_000 });
  t.deepEqual(upped(dir), []);
});
