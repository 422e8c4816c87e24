/**
 * The facts probe run for real by this machine's sh (it only reads), then parsed: hashes,
 * packages and host facts must match what the machine says by other means.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseFacts, probeScript } from '../../src/facts/probe.js';
import type { HostPlan } from '../../src/plan/steps.js';

test('probe output parses into the facts the machine has', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-probe-'));
  const present = join(dir, "it's here.conf");
  writeFileSync(present, 'hello\n');
  const absent = join(dir, 'absent.conf');
  // Hashes come from one sha256sum over the present files, matched back in order.
  const second = join(dir, 'second.conf');
  writeFileSync(second, 'world\n');
  const plan: HostPlan = {
    host: 'local',
    address: '127.0.0.1',
    osFamily: 'debian',
    sudo: false,
    steps: [
      { kind: 'file', id: 'f1', title: '', phase: 'x', path: present, mode: '0644', owner: 'root', group: 'root', content: '', sha256: '', restarts: [] },
      { kind: 'file', id: 'f2', title: '', phase: 'x', path: absent, mode: '0644', owner: 'root', group: 'root', content: '', sha256: '', restarts: [] },
      { kind: 'file', id: 'f3', title: '', phase: 'x', path: second, mode: '0644', owner: 'root', group: 'root', content: '', sha256: '', restarts: [] },
      { kind: 'packages', id: 'p', title: '', phase: 'packages', names: ['bash', 'cairn-no-such-package'] },
      { kind: 'sysctl', id: 's', title: '', phase: 'sysctl', key: 'kernel.ostype', value: 'Linux' },
      { kind: 'command', id: 'c-true', title: '', phase: 'commands', argv: ['x'], unless: ['true'] },
      { kind: 'command', id: 'c-false', title: '', phase: 'commands', argv: ['x'], unless: ['sh', '-c', 'exit 3'], creates: present },
    ],
  };
  const out = execFileSync('sh', ['-s'], { input: probeScript(plan, { resolveNames: ['localhost', 'cairn-no-such-host.invalid'] }), encoding: 'utf8' });
  const f = parseFacts(out);
  t.is(f.files.get(present), createHash('sha256').update('hello\n').digest('hex'));
  t.is(f.files.get(second), createHash('sha256').update('world\n').digest('hex'));
  t.true(f.files.has(absent));
  t.is(f.files.get(absent), undefined);
  t.true(f.installed.has('bash'));
  t.false(f.installed.has('cairn-no-such-package'));
  t.is(f.sysctl.get('kernel.ostype'), 'Linux');
  t.is(f.guards.get('c-true'), 0);
  t.is(f.guards.get('c-false'), 3);
  t.true(f.existing.has(present));
  t.is(f.os.id, 'debian');
  t.true(f.interfaces.includes('lo'));
  t.deepEqual(f.addresses['lo'], ['127.0.0.1/8']);
  t.true(f.memMiB > 0);
  t.true(f.diskFreeMiB > 0);
  t.true(Math.abs(f.clockMs - Date.now()) < 5000);
  t.true(f.cpuFlags.length > 0);
  t.true(f.sudoOk, 'tests run as root');
  t.is(f.resolves['cairn-no-such-host.invalid'], '');
  t.not(f.resolves['localhost'], '');
  // device-mapper and loop devices, as the machine says by other means.
  const misc = existsSync('/proc/misc') ? readFileSync('/proc/misc', 'utf8') : '';
  const dm = existsSync('/sys/module/dm_mod') || /\sdevice-mapper$/m.test(misc) || spawnSync('modprobe', ['-n', '-q', 'dm_mod']).status === 0;
  t.is(f.deviceMapper, dm);
  t.is(f.loopDevices, existsSync('/dev/loop-control'));
});
