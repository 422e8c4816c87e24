/**
 * The byte-compile queue's scripts, run by /bin/sh with a stand-in install (postinsts calling
 * py3compile through the PATH dpkg would give them) and a stand-in Debian py3compile that logs
 * its calls.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dpkgPathOption,
  py3compileWrapper,
  withCompileQueue,
  type CompileQueuePaths,
} from '../../src/apply/compile-queue.js';
import { loggingCommand } from '../helpers/stand-in.js';

interface Setup {
  dir: string;
  paths: CompileQueuePaths;
  calls: () => string[];
}

/**
 * A temporary host: Debian's py3compile stand-in logs "$*" and fails for a package named in
 * `failing` as many times as given there. When `held` is set it compiles nothing until the
 * install has returned from every postinst (a file the install writes), and gives up after 10 s:
 * a wrapper that compiled in the foreground would never see that file.
 */
function setup(failing: Record<string, number> = {}, held = false): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-compile-'));
  const paths: CompileQueuePaths = {
    bin: join(dir, 'install-bin'),
    queue: join(dir, 'queue'),
    py3compile: join(dir, 'debian-py3compile'),
  };
  const log = join(dir, 'calls');
  for (const [pkg, n] of Object.entries(failing))
    writeFileSync(join(dir, `fail-${pkg}`), String(n));
  const calls = loggingCommand(paths.py3compile, log, [
    held
      ? `i=0; while [ ! -e ${dir}/released ]; do i=$((i+1)); [ $i -lt 100 ] || { echo never released >&2; exit 2; }; sleep 0.1; done`
      : ':',
    `f=${dir}/fail-$2`,
    'if [ -e "$f" ] && [ "$(cat "$f")" -gt 0 ]; then echo $(($(cat "$f") - 1)) > "$f"; echo "compile error in $2" >&2; exit 1; fi',
  ]);
  return { dir, paths, calls };
}

/** An install whose "postinsts" call py3compile -p for each package as dh_python3's snippet does, on dpkg's PATH. */
function install(s: Setup, packages: string[], exitCode = 0): string {
  const dpkgPath = dpkgPathOption(s.paths)[1]!.replace(/^DPkg::Path=/, '');
  const postinst = 'if command -v py3compile >/dev/null 2>&1; then py3compile -p "$1"; fi';
  return [
    ...packages.map((p) => `PATH=${dpkgPath} sh -c '${postinst}' postinst ${p} || exit 1`),
    `touch ${s.dir}/released`,
    `exit ${exitCode}`,
  ].join('\n');
}

function run(s: Setup, script: string): { code: number | null; stderr: string } {
  const [sh, ...args] = withCompileQueue(s.paths);
  const r = spawnSync(sh!, [...args, 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

const jobsLeft = (s: Setup): string[] => readdirSync(join(s.paths.queue, 'jobs'));

test('compile queue: every package is compiled once, in the order of the postinsts, by the time the install step ends', (t) => {
  const s = setup();
  const r = run(s, install(s, ['python3-a', 'python3-b', 'python3-c', 'python3-d']));
  t.is(r.code, 0, r.stderr);
  t.deepEqual(s.calls(), ['-p python3-a', '-p python3-b', '-p python3-c', '-p python3-d']);
  t.deepEqual(jobsLeft(s), []);
  t.deepEqual(readdirSync(join(s.paths.queue, 'failed')), []);
});

test('compile queue: a postinst returns without waiting for its compile (the compiles run while the install goes on)', (t) => {
  const s = setup({}, true);
  const r = run(s, install(s, ['python3-a', 'python3-b']));
  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stderr, /never released/);
  t.deepEqual(s.calls(), ['-p python3-a', '-p python3-b']);
});

test('compile queue: a compile that failed in the background is tried once more in the foreground, and says so', (t) => {
  const s = setup({ 'python3-b': 1 });
  const r = run(s, install(s, ['python3-a', 'python3-b', 'python3-c']));
  t.is(r.code, 0, r.stderr);
  t.regex(
    r.stderr,
    /byte-compiling failed in the background \(py3compile -p python3-b \); once more in the foreground/,
  );
  t.deepEqual(s.calls(), ['-p python3-a', '-p python3-b', '-p python3-c', '-p python3-b']);
  t.regex(readFileSync(join(s.paths.queue, 'worker.log'), 'utf8'), /compile error in python3-b/);
});

test('compile queue: a compile that fails twice fails the step with its output, and the job is kept', (t) => {
  const s = setup({ 'python3-b': 2 });
  const r = run(s, install(s, ['python3-a', 'python3-b']));
  t.is(r.code, 1);
  t.regex(r.stderr, /compile error in python3-b/);
  t.is(readdirSync(join(s.paths.queue, 'failed')).length, 1);
});

test('compile queue: a failed install keeps its exit code, and what it queued is still compiled', (t) => {
  const s = setup();
  const r = run(s, install(s, ['python3-a'], 100));
  t.is(r.code, 100);
  t.deepEqual(s.calls(), ['-p python3-a']);
});

test('compile queue: jobs a killed run left behind are compiled by the next install', (t) => {
  const s = setup();
  mkdirSync(join(s.paths.queue, 'jobs'), { recursive: true });
  writeFileSync(join(s.paths.queue, 'jobs', '1.1'), '-p\0python3-left\0');
  const r = run(s, install(s, ['python3-a']));
  t.is(r.code, 0, r.stderr);
  t.deepEqual(s.calls(), ['-p python3-left', '-p python3-a']);
});

test('compile queue: the wrapper compiles in the foreground, as Debian does, when there is no queue to write to', (t) => {
  const s = setup();
  const wrapper = join(s.dir, 'py3compile');
  writeFileSync(wrapper, py3compileWrapper(s.paths), { mode: 0o755 });
  const r = spawnSync(wrapper, ['-p', 'python3-a'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(s.calls(), ['-p python3-a']);
});
