/**
 * The dashboard's static rebuild, run for real by /bin/sh with a fake manage.py whose compress
 * fails a given number of times first (as pyScss does now and then) and a fake chown.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPRESS_TRIES, rebuildStaticScript } from '../../src/services/horizon.js';

interface Run {
  code: number | null;
  stderr: string;
  calls: string[];
  chowned: boolean;
}

function run(t: ExecutionContext, compressFailures: number, collectstaticFails = false): Run {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-horizon-static-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const calls = join(dir, 'calls');
  const managePy = join(dir, 'manage.py');
  // Each call is recorded; compress fails while fewer than `compressFailures` compresses ran.
  writeFileSync(
    managePy,
    `#!/bin/sh
echo "$1" >> ${calls}
case "$1" in
  collectstatic) ${collectstaticFails ? 'exit 1' : 'exit 0'} ;;
  compress) n=$(grep -c '^compress$' ${calls}); [ "$n" -gt ${compressFailures} ] || { echo "Syntax error: Found 'inline-blo'" >&2; exit 1; } ;;
esac
`,
  );
  chmodSync(managePy, 0o755);
  writeFileSync(join(bin, 'chown'), `#!/bin/sh\ntouch ${join(dir, 'chowned')}\n`);
  chmodSync(join(bin, 'chown'), 0o755);
  const r = spawnSync('sh', ['-c', rebuildStaticScript({ managePy, staticDir: join(dir, 'static') })], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    timeout: 20_000,
  });
  return {
    code: r.status,
    stderr: r.stderr,
    calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [],
    chowned: existsSync(join(dir, 'chowned')),
  };
}

test('a compress that passes runs once', (t) => {
  const r = run(t, 0);
  t.is(r.code, 0);
  t.deepEqual(r.calls, ['collectstatic', 'compress']);
  t.true(r.chowned);
});

test('a compress that fails now and then is tried again and the step passes', (t) => {
  const r = run(t, COMPRESS_TRIES - 1);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.calls, ['collectstatic', ...Array<string>(COMPRESS_TRIES).fill('compress')]);
  t.true(r.chowned);
  t.regex(r.stderr, new RegExp(`try ${COMPRESS_TRIES} of ${COMPRESS_TRIES}`));
});

test('a compress that keeps failing fails the step after its tries, and nothing is chowned', (t) => {
  const r = run(t, COMPRESS_TRIES);
  t.not(r.code, 0);
  t.is(r.calls.filter((c) => c === 'compress').length, COMPRESS_TRIES);
  t.false(r.chowned);
  t.regex(r.stderr, /compress failed 3 times/);
});

test('a failed collectstatic fails the step at once (no compress)', (t) => {
  const r = run(t, 0, true);
  t.not(r.code, 0);
  t.deepEqual(r.calls, ['collectstatic']);
  t.false(r.chowned);
});
