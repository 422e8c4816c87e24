/**
 * The one-daemon-reload scripts, run by /bin/sh with a stand-in install (postinsts calling
 * systemctl through the PATH dpkg would give them, as dh_installsystemd's snippet does) and a
 * stand-in systemctl that logs its calls.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dpkgPathOption } from '../../src/apply/compile-queue.js';
import { loggingCommand } from '../helpers/stand-in.js';
import {
  systemctlWrapper,
  withOneDaemonReload,
  type ReloadOncePaths,
} from '../../src/apply/reload-once.js';

interface Setup {
  dir: string;
  paths: ReloadOncePaths;
  calls: () => string[];
}

/** A temporary host whose systemctl logs "$*" (and fails a daemon-reload when `failReload`). */
function setup(opts: { systemd?: boolean; failReload?: boolean } = {}): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-reload-'));
  const paths: ReloadOncePaths = {
    bin: join(dir, 'install-bin'),
    pending: join(dir, 'daemon-reload-pending'),
    systemctl: [join(dir, 'absent-systemctl'), join(dir, 'systemctl')],
    systemdRuns: join(dir, 'run-systemd-system'),
  };
  if (opts.systemd !== false) mkdirSync(paths.systemdRuns);
  const log = join(dir, 'calls');
  const calls = loggingCommand(
    join(dir, 'systemctl'),
    log,
    opts.failReload
      ? ['case "$*" in *daemon-reload*) echo reload failed >&2; exit 1 ;; esac']
      : undefined,
  );
  return { dir, paths, calls };
}

/** An install whose "postinsts" reload systemd and ask whether their unit is enabled, on dpkg's PATH. */
function install(s: Setup, units: string[], exitCode = 0): string {
  const dpkgPath = dpkgPathOption({ bin: s.paths.bin })[1]!.replace(/^DPkg::Path=/, '');
  const postinst =
    'systemctl --system daemon-reload >/dev/null || exit 1; systemctl is-enabled "$1" || true';
  return [
    ...units.map((u) => `PATH=${dpkgPath} sh -c '${postinst}' postinst ${u} || exit 1`),
    `exit ${exitCode}`,
  ].join('\n');
}

function run(s: Setup, script: string): { code: number | null; stderr: string } {
  const [sh, ...args] = withOneDaemonReload(s.paths);
  const r = spawnSync(sh!, [...args, 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

test("one daemon-reload: the postinsts' reloads become one after the install; their other calls reach systemctl", (t) => {
  const s = setup();
  const r = run(s, install(s, ['a.service', 'b.service', 'c.service']));
  t.is(r.code, 0, r.stderr);
  t.deepEqual(s.calls(), [
    'is-enabled a.service',
    'is-enabled b.service',
    'is-enabled c.service',
    'daemon-reload',
  ]);
  t.false(existsSync(s.paths.pending));
});

test('one daemon-reload: none when no postinst asked for one', (t) => {
  const s = setup();
  const r = run(s, 'exit 0');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(s.calls(), []);
});

test('one daemon-reload: a failed install keeps its exit code and still reloads', (t) => {
  const s = setup();
  const r = run(s, install(s, ['a.service'], 100));
  t.is(r.code, 100);
  t.deepEqual(s.calls(), ['is-enabled a.service', 'daemon-reload']);
});

test('one daemon-reload: a reload that fails fails the step, and the mark stays for the next install', (t) => {
  const s = setup({ failReload: true });
  const r = run(s, install(s, ['a.service']));
  t.is(r.code, 1);
  t.regex(r.stderr, /daemon-reload after the install failed/);
  t.true(existsSync(s.paths.pending));
});

test('one daemon-reload: a reload a killed run still owed is done before the next install', (t) => {
  const s = setup();
  writeFileSync(s.paths.pending, '');
  const r = run(s, 'exit 0');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(s.calls(), ['daemon-reload']);
  t.false(existsSync(s.paths.pending));
});

test('one daemon-reload: without a running systemd nothing is reloaded (as the postinsts would not)', (t) => {
  const s = setup({ systemd: false });
  const r = run(s, install(s, ['a.service']));
  t.is(r.code, 0, r.stderr);
  t.deepEqual(s.calls(), ['is-enabled a.service']);
  t.false(existsSync(s.paths.pending));
});

test('one daemon-reload: the wrapper reloads as asked when it cannot leave the mark', (t) => {
  const s = setup();
  const wrapper = join(s.dir, 'wrapper');
  writeFileSync(
    wrapper,
    systemctlWrapper({ ...s.paths, pending: join(s.dir, 'no-such-dir', 'pending') }),
    { mode: 0o755 },
  );
  const r = spawnSync(wrapper, ['--system', 'daemon-reload'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(s.calls(), ['--system daemon-reload']);
});
