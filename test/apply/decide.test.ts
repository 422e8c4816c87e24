/** One case file per step situation (test/fixtures/decide/*.json): step + facts -> decision. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APT_INSTALL_ONCE_MORE, decide, hostIsIdle, POLICY_RC_D } from '../../src/apply/decide.js';
import type { Step } from '../../src/plan/steps.js';
import { factsFrom, type FactsJson } from '../helpers/facts.js';
import { fixturesDir } from '../helpers/paths.js';

interface Case {
  step: Step;
  facts: FactsJson;
  changed?: string[];
  osFamily?: 'debian' | 'rhel';
  hostIdle?: boolean;
  expected: unknown;
}

const dir = join(fixturesDir, 'decide');
for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  test(name.replace(/\.json$/, ''), (t) => {
    const c = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Case;
    const decision = decide(c.step, { facts: factsFrom(c.facts), changed: new Set(c.changed ?? []), osFamily: c.osFamily ?? 'debian', ...(c.hostIdle !== undefined ? { hostIdle: c.hostIdle } : {}) });
    t.deepEqual(decision, c.expected);
  });
}

test('the install-time policy-rc.d refuses starts and restarts and allows reloads (invoke-rc.d protocol)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-policy-'));
  const script = join(dir, 'policy-rc.d');
  writeFileSync(script, POLICY_RC_D, { mode: 0o755 });
  const verdict = (...args: string[]): number | null => spawnSync('sh', [script, ...args]).status;
  t.is(verdict('dbus', 'reload'), 0, "polkitd's postinst: invoke-rc.d dbus reload");
  t.is(verdict('--quiet', 'dbus', 'force-reload'), 0);
  t.is(verdict('mariadb', 'start'), 101);
  t.is(verdict('mariadb', 'restart'), 101);
  t.is(verdict('--quiet', 'nova-api', 'start', '2'), 101);
  t.is(verdict('apache2', 'reload restart'), 101, 'a list of actions with a start in it is refused');
});

/**
 * Runs APT_INSTALL_ONCE_MORE with stand-in apt-get and dpkg on PATH: apt-get fails its first
 * `failures` calls. Returns the exit code and the calls made, in order.
 */
function installWith(failures: number): { code: number | null; calls: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-apt-'));
  const log = join(dir, 'calls');
  const counter = join(dir, 'n');
  writeFileSync(counter, '0');
  writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\necho "apt-get $*" >> ${log}\nn=$(($(cat ${counter}) + 1)); echo $n > ${counter}\n[ $n -gt ${failures} ] || exit 100\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'dpkg'), `#!/bin/sh\necho "dpkg $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> ${log}\n`, { mode: 0o755 });
  const r = spawnSync('sh', ['-c', APT_INSTALL_ONCE_MORE, 'sh', 'nova-api', 'openstack-dashboard'], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    // no call at all
  }
  return { code: r.status, calls, stderr: r.stderr };
}

const aptCall = 'apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Path=/var/lib/cairn/install-bin:/usr/sbin:/usr/bin:/sbin:/bin nova-api openstack-dashboard';

test('package install: a clean install runs apt-get once and nothing else', (t) => {
  const r = installWith(0);
  t.is(r.code, 0);
  t.deepEqual(r.calls, [aptCall]);
});

test('package install: a failed install finishes the configuration and tries once more, and says so', (t) => {
  const r = installWith(1);
  t.is(r.code, 0);
  t.deepEqual(r.calls, [aptCall, 'dpkg --configure -a DEBIAN_FRONTEND=noninteractive', aptCall]);
  t.regex(r.stderr, /apt-get install failed \(exit 100\)/);
});

test('package install: a second failure fails the step with apt-get exit code', (t) => {
  const r = installWith(2);
  t.is(r.code, 100);
  t.deepEqual(r.calls, [aptCall, 'dpkg --configure -a DEBIAN_FRONTEND=noninteractive', aptCall]);
});

test('a host is idle when no step but its waits is needed; one stopped unit, changed file or pending restart makes it busy', (t) => {
  const file = JSON.parse(readFileSync(join(dir, 'file-unchanged.json'), 'utf8')) as Case;
  const unit = JSON.parse(readFileSync(join(dir, 'unit-running-unchanged.json'), 'utf8')) as Case;
  const wait = JSON.parse(readFileSync(join(dir, 'wait-gate-idle-host.json'), 'utf8')) as Case;
  const steps = [file.step, wait.step, unit.step];
  const healthy: FactsJson = { files: { '/etc/a.conf': 'h1' }, units: { 'nova-api': { enabled: 'enabled', active: 'active' } } };
  t.true(hostIsIdle(steps, factsFrom(healthy), 'debian'));
  t.false(hostIsIdle(steps, factsFrom({ ...healthy, units: { 'nova-api': { enabled: 'enabled', active: 'failed' } } }), 'debian'));
  t.false(hostIsIdle(steps, factsFrom({ ...healthy, files: { '/etc/a.conf': 'h0' } }), 'debian'));
  t.false(hostIsIdle(steps, factsFrom({ ...healthy, pendingRestarts: ['nova-api'] }), 'debian'));
  // The wait itself never makes a host busy.
  t.true(hostIsIdle([wait.step], factsFrom({}), 'debian'));
});
