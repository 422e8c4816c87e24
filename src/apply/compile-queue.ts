/**
 * Python byte-compiling beside dpkg instead of inside it, for cairn's package installs on
 * Debian hosts.
 *
 * Every python3-* package's postinst runs `py3compile -p PACKAGE`, one interpreter compiling one
 * file after another, and dpkg waits for it before it configures the next package. On the lab's
 * controller (653 packages) that was 162 s of a 441 s dpkg run, and the process accounting of a
 * first deploy put py3compile and its python3.11 compilers at ~300 CPU-s of the ~850 its exited
 * processes used on the three nodes: the largest single cost of a first deploy. While dpkg
 * works on one CPU, the compiles can use another (a controller's install alone on 2 CPUs: 270.5
 * s against 307.9 s).
 *
 * So, for the length of cairn's `apt-get install` only, apt runs dpkg with a PATH
 * (`DPkg::Path`) that finds cairn's py3compile first. That one queues its arguments and the
 * postinst returns at once; a worker the install started beside apt-get compiles the queue in
 * order, with Debian's own py3compile code (so the files are the same). After apt-get, the
 * queue is drained in the foreground, so the step ends only when every package is compiled,
 * before any service starts. A compile that failed is tried once more in the foreground, as the
 * postinst would have run it, and a second failure fails the step with its output.
 *
 * The wrapper lives in a directory of cairn's own that only that PATH names: no other apt run on
 * the host ever sees it, and nothing of the system's is shadowed. The queue is under
 * /var/lib/cairn, not /run (mounted noexec on Debian, and emptied by a reboot): jobs a killed
 * run left behind are compiled by the next install's drain.
 *
 * The worker compiles every plain `py3compile -p PACKAGE` job it finds queued in one run of
 * Debian's py3compile code (batchCompiler): one driver and one compiler process per Python
 * version for all of them, where each job alone starts both, and their start-up was most of
 * the cost (all 300-odd python3-* packages of a lab controller, forced: 30 s in one run against
 * 120 s one package at a time). Jobs with more arguments (a package's private directories) go to
 * /usr/bin/py3compile as before, and so does every job of a batch that failed in any way.
 */
import { shQuote } from '../transport/quote.js';

/** Where the queue's parts live on a host (tests run the scripts in a temporary directory). */
export interface CompileQueuePaths {
  /** cairn's directory on dpkg's PATH during an install: holds only the wrapper. */
  bin: string;
  /** The queue: `jobs/` (one file per postinst call: its arguments, NUL-separated), `failed/`, `worker.log`. */
  queue: string;
  /** Debian's own py3compile. */
  py3compile: string;
  /** The Python that runs batchCompiler (Debian's py3compile runs on it too). */
  python: string;
}

/** The paths on a host. */
export const COMPILE_QUEUE_PATHS: CompileQueuePaths = {
  bin: '/var/lib/cairn/install-bin',
  queue: '/var/lib/cairn/py3compile-queue',
  py3compile: '/usr/bin/py3compile',
  python: '/usr/bin/python3',
};

/**
 * Python source of the batch compiler: `python3 batch.py PY3COMPILE JOB...`. It loads Debian's
 * py3compile script as a module and does what its `-p PACKAGE` branch does, for the packages of
 * every plain job (`-p` and a package name, nothing else) in one run: the same files, the same
 * compiler, the same exclusions (/usr/share/python3/bcep). Then it removes those jobs and leaves
 * the rest. Any failure (a compile error, a package dpkg does not know, a py3compile whose
 * insides differ from bookworm's) removes no job and exits non-zero, so every job is then run by
 * py3compile itself, as the postinst would have run it.
 */
export function batchCompiler(): string {
  return [
    "# cairn: byte-compiles queued `py3compile -p PACKAGE` jobs in one run of Debian's py3compile code",
    'import importlib.machinery, importlib.util, logging, os, re, sys',
    '',
    "PACKAGE = re.compile(r'[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?')",
    '',
    'def plain(job):',
    "    with open(job, 'rb') as f:",
    "        args = f.read().split(b'\\0')[:-1]",
    "    if len(args) == 2 and args[0] == b'-p' and PACKAGE.fullmatch(args[1].decode('utf-8', 'replace')):",
    '        return args[1].decode()',
    '    return None',
    '',
    'def main(py3compile, jobs):',
    '    batch = [(job, plain(job)) for job in jobs]',
    '    batch = [(job, package) for job, package in batch if package]',
    '    if not batch:',
    '        return 0',
    "    loader = importlib.machinery.SourceFileLoader('debian_py3compile', py3compile)",
    '    pc = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))',
    '    loader.exec_module(pc)',
    '    pc.log.setLevel(logging.WARN)',
    '    versions = pc.get_requested_versions(None, available=True)',
    '    if not versions:',
    '        return 3',
    '    excludes = pc.get_exclude_patterns()',
    '    for _, package in batch:',
    '        pc.compile(pc.dpf.filter_public(pc.dpf.from_package(package), versions), versions, False, False, excludes)',
    '    failed = 0',
    '    for worker in pc.WORKERS.values():',
    '        worker.communicate()',
    '        failed = failed or worker.returncode',
    '    if failed:',
    '        return 1',
    '    for job, _ in batch:',
    '        os.remove(job)',
    '    return 0',
    '',
    'sys.exit(main(sys.argv[1], sys.argv[2:]))',
    '',
  ].join('\n');
}

/**
 * cairn's py3compile: queues "$@" and returns. The job file appears whole (written aside, then
 * renamed), so the worker never reads half of one, and its name sorts in the order of the calls.
 * It starts no process: one it left running would hold the postinst's descriptors (debconf's
 * pipes among them) open after the postinst. When it cannot queue, it compiles as Debian's does.
 */
export function py3compileWrapper(paths: CompileQueuePaths = COMPILE_QUEUE_PATHS): string {
  return [
    '#!/bin/sh',
    "# cairn: queues the byte-compile for cairn's background worker during cairn's package install",
    `q=${shQuote(paths.queue)}`,
    'n=$(date +%s%N).$$',
    'printf \'%s\\0\' "$@" > "$q/new/$n" && mv "$q/new/$n" "$q/jobs/$n" && exit 0',
    'rm -f "$q/new/$n"',
    `exec ${shQuote(paths.py3compile)} "$@"`,
    '',
  ].join('\n');
}

/**
 * argv prefix: `sh -c` script that runs "$@" (the install) with the wrapper in place and a
 * worker compiling the queue beside it; then drains the queue in the foreground and tries each
 * failed job once more there. The worker stops when the install ends, or when this script is
 * gone (a killed run). Exit: the install's code when it failed, else 1 when a compile failed
 * twice, else 0. The install must put `paths.bin` first on dpkg's PATH (dpkgPathOption).
 */
export function withCompileQueue(paths: CompileQueuePaths = COMPILE_QUEUE_PATHS): string[] {
  const py3compile = shQuote(paths.py3compile);
  const wrapper = `${shQuote(paths.bin)}/py3compile`;
  return [
    'sh',
    '-c',
    [
      `q=${shQuote(paths.queue)}`,
      `mkdir -p ${shQuote(paths.bin)} "$q/jobs" "$q/failed" "$q/new" && rm -f "$q/stop" && : > "$q/worker.log" || exit 1`,
      `printf '%s' ${shQuote(py3compileWrapper(paths))} > ${wrapper} && chmod 0755 ${wrapper} || exit 1`,
      `printf '%s' ${shQuote(batchCompiler())} > "$q/batch.py" || exit 1`,
      // Compiles the queued jobs until none is left: the plain ones in one batch, then what is
      // left (other jobs, or all of them when the batch failed) one by one, oldest first.
      'drain() {',
      '  while :; do',
      '    set -- "$q"/jobs/*',
      '    [ -e "$1" ] || return 0',
      `    ${shQuote(paths.python)} "$q/batch.py" ${py3compile} "$@" || echo "cairn: the batched byte-compile failed; its packages one at a time"`,
      '    for j; do',
      '      [ -e "$j" ] || continue',
      `      if xargs -0 ${py3compile} < "$j"; then rm -f "$j"; else mv "$j" "$q/failed/"; fi`,
      '    done',
      '  done',
      '}',
      '( while kill -0 $$ 2>/dev/null && [ ! -e "$q/stop" ]; do drain; sleep 0.2; done ) < /dev/null >> "$q/worker.log" 2>&1 &',
      'w=$!',
      'trap \'touch "$q/stop"; kill $w 2>/dev/null; exit 129\' HUP INT TERM',
      '"$@"; rc=$?',
      'touch "$q/stop"; wait $w',
      'drain >> "$q/worker.log" 2>&1',
      'for j in "$q"/failed/*; do',
      '  [ -e "$j" ] || continue',
      `  echo "cairn: byte-compiling failed in the background (py3compile $(tr '\\0' ' ' < "$j")); once more in the foreground" >&2`,
      `  if xargs -0 ${py3compile} < "$j"; then rm -f "$j"; elif [ $rc -eq 0 ]; then rc=1; fi`,
      'done',
      'exit $rc',
    ].join('\n'),
    'sh',
  ];
}

/** apt-get's option that puts `paths.bin` first on the PATH its dpkg runs maintainer scripts with. */
export function dpkgPathOption(
  paths: Pick<CompileQueuePaths, 'bin'> = COMPILE_QUEUE_PATHS,
): string[] {
  return ['-o', `DPkg::Path=${paths.bin}:/usr/sbin:/usr/bin:/sbin:/bin`];
}
