/**
 * The commands behind put(), get() and hashFiles(): small POSIX sh scripts run as
 * `sh -c SCRIPT sh ARGS...`, so paths and modes travel as positional parameters (never pasted
 * into the script) and one quoting rule applies. Shared by every shell-backed transport.
 */
import type { PutOptions } from './transport.js';

/** Exit code of the get script when the file does not exist (EX_NOINPUT). */
export const GET_ABSENT = 66;

// Write stdin to a temp file beside the target, set owner then mode (chown may clear
// set-id bits), rename over the target. mktemp makes the temp file 0600, so the content is
// never readable by others, not even for an instant; the trap removes it on failure.
const PUT_SCRIPT = [
  'set -e',
  'd=$(dirname -- "$1")',
  'mkdir -p -- "$d"',
  't=$(mktemp "$d/.cairn-put.XXXXXX")',
  `trap 'rm -f -- "$t"' EXIT`,
  'cat > "$t"',
  'chown -- "$3:$4" "$t"',
  'chmod -- "$2" "$t"',
  'mv -f -- "$t" "$1"',
  'trap - EXIT',
].join('\n');

const GET_SCRIPT = `if [ -e "$1" ] || [ -L "$1" ]; then exec cat -- "$1"; fi\nexit ${GET_ABSENT}`;

// Paths on stdin, one a line. First one line per path, in order: `+` exists, `-` absent (the
// test is a shell builtin, no process per file); then ONE sha256sum over the existing paths,
// whose output lines come in the same order. An unreadable path or a directory makes
// sha256sum, and so the script, fail.
const HASH_SCRIPT = [
  'set --',
  'while IFS= read -r p; do',
  '  if [ -e "$p" ] || [ -L "$p" ]; then echo +; set -- "$@" "$p"; else echo -; fi',
  'done',
  '[ $# -eq 0 ] || exec sha256sum -- "$@"',
].join('\n');

function checkPath(path: string): void {
  if (!path.startsWith('/')) throw new Error(`bug: remote path ${JSON.stringify(path)} is not absolute`);
  if (path.includes('\n') || path.includes('\0')) throw new Error(`bug: remote path ${JSON.stringify(path)} contains a newline or NUL`);
}

/** argv that writes stdin to `path` atomically with mode and owner. */
export function putArgv(path: string, opts: PutOptions): string[] {
  checkPath(path);
  if (!/^[0-7]{3,4}$/.test(opts.mode)) throw new Error(`bug: file mode ${JSON.stringify(opts.mode)} for ${path} is not octal like 0644`);
  for (const name of [opts.owner, opts.group]) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`bug: owner/group ${JSON.stringify(name)} for ${path} is not a user or group name`);
  }
  return ['sh', '-c', PUT_SCRIPT, 'sh', path, opts.mode, opts.owner, opts.group];
}

/** argv that prints `path`, or exits GET_ABSENT when it does not exist. */
export function getArgv(path: string): string[] {
  checkPath(path);
  return ['sh', '-c', GET_SCRIPT, 'sh', path];
}

/** argv and stdin that hash every path in one command. */
export function hashCommand(paths: readonly string[]): { argv: string[]; stdin: string } {
  for (const p of paths) checkPath(p);
  return { argv: ['sh', '-c', HASH_SCRIPT], stdin: paths.map((p) => `${p}\n`).join('') };
}

/** The hash script's output as a map, or an error message when it is not what was expected. */
export function parseHashOutput(paths: readonly string[], stdout: string): Map<string, string | undefined> | string {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const marks = lines.slice(0, paths.length);
  const hashes = lines.slice(paths.length);
  if (marks.length !== paths.length || marks.some((m) => m !== '+' && m !== '-')) return `expected ${paths.length} +/- lines, got ${JSON.stringify(marks.slice(0, 3))}...`;
  const present = marks.filter((m) => m === '+').length;
  if (hashes.length !== present) return `expected ${present} sha256sum lines, got ${hashes.length}`;
  const out = new Map<string, string | undefined>();
  let h = 0;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i] ?? '';
    if (marks[i] === '-') {
      out.set(path, undefined);
      continue;
    }
    // sha256sum prefixes a line with a backslash when it escapes the file name.
    const m = /^\\?([0-9a-f]{64}) /.exec(hashes[h++] ?? '');
    if (!m) return `unexpected sha256sum line ${JSON.stringify(hashes[h - 1])}`;
    out.set(path, m[1]);
  }
  return out;
}
