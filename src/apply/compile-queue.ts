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
 * order, with Debian's own /usr/bin/py3compile (so the files are the same). After apt-get, the
 * queue is drained in the foreground, so the step ends only when every package is compiled,
 * before any service starts. A compile that failed is tried once more in the foreground, as the
 * postinst would have run it, and a second failure fails the step with its output.
 *
 * The wrapper lives in a directory of cairn's own that only that PATH names: no other apt run on
 * the host ever sees it, and nothing of the system's is shadowed. The queue is under
 * /var/lib/cairn, not /run (mounted noexec on Debian, and emptied by a reboot): jobs a killed
 * run left behind are compiled by the next install's drain.
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
}

/** The paths on a host. */
export const COMPILE_QUEUE_PATHS: CompileQueuePaths = {
  bin: '/var/lib/cairn/install-bin',
  queue: '/var/lib/cairn/py3compile-queue',
  py3compile: '/usr/bin/py3compile',
};

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
      // Compiles the queued jobs, oldest first, until none is left.
      'drain() {',
      '  while :; do',
      '    set -- "$q"/jobs/*',
      '    [ -e "$1" ] || return 0',
      '    for j; do',
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
export function dpkgPathOption(paths: CompileQueuePaths = COMPILE_QUEUE_PATHS): string[] {
  return ['-o', `DPkg::Path=${paths.bin}:/usr/sbin:/usr/bin:/sbin:/bin`];
}
