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
    python: '/usr/bin/python3',
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

/**
 * A host whose Debian py3compile stand-in is a Python script with the parts of Debian's that the
 * batch compiler uses (get_requested_versions, get_exclude_patterns, dpf, compile, WORKERS, log).
 * Run as a command it logs "$*" as the shell stand-in does; loaded by the batch compiler, each
 * package it compiles logs "batch PID PACKAGE". `fail-PACKAGE` files fail either path, counting down.
 */
function pythonSetup(failing: Record<string, number> = {}, held = false): Setup {
  const s = setup(failing, held);
  const log = join(s.dir, 'calls');
  const py = (text: string): string => JSON.stringify(text);
  writeFileSync(
    s.paths.py3compile,
    [
      '#!/usr/bin/python3',
      'import os, sys, time',
      `LOG, DIR, HELD = ${py(log)}, ${py(s.dir)}, ${held ? 'True' : 'False'}`,
      'def note(line):',
      "    with open(LOG, 'a') as f: f.write(line + '\\n')",
      'def fails(package):',
      "    f = os.path.join(DIR, 'fail-' + package)",
      '    n = int(open(f).read()) if os.path.exists(f) else 0',
      '    if n <= 0: return False',
      "    open(f, 'w').write(str(n - 1))",
      '    return True',
      'class Worker:',
      '    returncode = 0',
      '    def communicate(self): pass',
      'class log:',
      '    @staticmethod',
      '    def setLevel(level): pass',
      'class dpf:',
      '    @staticmethod',
      '    def from_package(package): return iter([package])',
      '    @staticmethod',
      '    def filter_public(files, versions): return files',
      'WORKERS = {}',
      'def get_requested_versions(vrange, available): return {(3, 11)}',
      'def get_exclude_patterns(): return []',
      'def compile(files, versions, force, optimize, e_patterns):',
      "    worker = WORKERS.setdefault('3.11', Worker())",
      '    for package in files:',
      "        note('batch %d %s' % (os.getpid(), package))",
      '        if fails(package): worker.returncode = 1',
      "if __name__ == '__main__':",
      "    note(' '.join(sys.argv[1:]))",
      '    if fails(sys.argv[2]):',
      "        print('compile error in ' + sys.argv[2], file=sys.stderr)",
      '        sys.exit(1)',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return s;
}

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

test("compile queue: the plain `-p PACKAGE` jobs found queued are compiled in one run of Debian's code; a job with more arguments by py3compile itself", (t) => {
  const s = pythonSetup({}, true);
  const privateDir = join(s.dir, 'share');
  const script = install(s, ['python3-a', 'python3-b', 'python3-c']).replace(
    `touch ${s.dir}/released`,
    `PATH=${dpkgPathOption(s.paths)[1]!.replace(/^DPkg::Path=/, '')} py3compile -p openstack-dashboard ${privateDir} || exit 1\ntouch ${s.dir}/released`,
  );
  const r = run(s, script);
  t.is(r.code, 0, r.stderr);
  const calls = s.calls();
  const batch = calls.filter((c) => c.startsWith('batch '));
  t.deepEqual(
    batch.map((c) => c.split(' ')[2]),
    ['python3-a', 'python3-b', 'python3-c'],
  );
  t.is(new Set(batch.map((c) => c.split(' ')[1])).size, 1, `one process: ${calls.join('; ')}`);
  t.deepEqual(
    calls.filter((c) => !c.startsWith('batch ')),
    [`-p openstack-dashboard ${privateDir}`],
  );
  t.deepEqual(jobsLeft(s), []);
});

test('compile queue: when the batch fails, each of its packages is compiled by py3compile itself, as its postinst would have', (t) => {
  const s = pythonSetup({ 'python3-b': 1 }, true);
  const r = run(s, install(s, ['python3-a', 'python3-b', 'python3-c']));
  t.is(r.code, 0, r.stderr);
  const calls = s.calls();
  t.deepEqual(
    calls.filter((c) => !c.startsWith('batch ')),
    ['-p python3-a', '-p python3-b', '-p python3-c'],
  );
  t.is(calls.filter((c) => c.startsWith('batch ')).length, 3);
  t.regex(readFileSync(join(s.paths.queue, 'worker.log'), 'utf8'), /batched byte-compile failed/);
  t.deepEqual(jobsLeft(s), []);
  t.deepEqual(readdirSync(join(s.paths.queue, 'failed')), []);
});

test('compile queue: a package that fails in the batch and alone is tried once more in the foreground, and fails the step', (t) => {
  const s = pythonSetup({ 'python3-b': 3 }, true);
  const r = run(s, install(s, ['python3-a', 'python3-b']));
  t.is(r.code, 1);
  t.regex(r.stderr, /compile error in python3-b/);
  t.deepEqual(
    s.calls().filter((c) => !c.startsWith('batch ')),
    ['-p python3-a', '-p python3-b', '-p python3-b'],
  );
});
