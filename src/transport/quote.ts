/**
 * The one place an argv becomes a shell string (Kamal's "commands are data"): every command a
 * transport sends to a host's shell is built here, and the tests pin the exact strings.
 */

/** Characters that never need quoting in a POSIX sh word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `arg` as one POSIX sh word: bare when it is made only of plainly safe characters, otherwise
 * in single quotes, each `'` written as `'\''`. The empty string is `''`.
 */
export function shQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one sh command line. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('bug: empty argv');
  return argv.map(shQuote).join(' ');
}

/**
 * The argv a host runs: unchanged, or wrapped as `sudo -n -- sh -c '<command line>'` when the
 * host needs sudo. `-n` makes sudo fail at once instead of waiting for a password nobody can
 * type; going through `sh -c` keeps one quoting rule for both cases.
 */
export function privilegedArgv(argv: readonly string[], sudo: boolean): string[] {
  if (!sudo) return [...argv];
  return ['sudo', '-n', '--', 'sh', '-c', shJoin(argv)];
}

/** Seconds `timeout` waits after TERM before it sends KILL. */
export const TIMEOUT_KILL_AFTER_S = 5;

/**
 * argv under coreutils `timeout`: on expiry it sends TERM, then KILL after
 * TIMEOUT_KILL_AFTER_S, to the command's whole process group ON THE HOST, so a timed-out
 * command leaves nothing running there even when the connection is gone. Exit code 124 (or
 * 137 after KILL) then means "timed out". Seconds are written with up to 3 decimals.
 */
export function timeoutArgv(argv: readonly string[], timeoutMs: number): string[] {
  if (!(timeoutMs > 0)) throw new Error(`bug: timeout must be positive, not ${timeoutMs}`);
  const secs = String(Math.max(0.001, Math.round(timeoutMs) / 1000));
  return ['timeout', '-k', String(TIMEOUT_KILL_AFTER_S), secs, ...argv];
}

/** The command string sent over SSH (the remote login shell parses it): timeout inside sudo. */
export function remoteCommandLine(argv: readonly string[], sudo: boolean, timeoutMs?: number): string {
  return shJoin(privilegedArgv(timeoutMs === undefined ? argv : timeoutArgv(argv, timeoutMs), sudo));
}

/** What redact() puts in place of a secret. */
export const REDACTED = '<redacted>';

/**
 * `text` with every occurrence of every (non-empty) secret replaced by REDACTED, including the
 * form a secret takes inside single quotes (`'` written `'\''`). Longer secrets go first, so
 * a secret containing another is removed whole. Every log line and error message passes here.
 */
export function redact(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets || secrets.length === 0) return text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    forms.add(s);
    if (s.includes("'")) forms.add(s.replace(/'/g, `'\\''`));
  }
  let out = text;
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join(REDACTED);
  return out;
}

/**
 * Throws (a bug in the caller) when a secret occurs in argv: secrets go on stdin or into files
 * written with put(), never on a command line that `ps` shows to every user of the host.
 */
export function assertNoSecretInArgv(argv: readonly string[], secrets: readonly string[] | undefined): void {
  if (!secrets) return;
  for (const s of secrets) {
    if (s && argv.some((a) => a.includes(s))) {
      throw new Error(`bug: a secret value is on the command line of ${redact(shJoin(argv), secrets)}; pass it on stdin or in a file`);
    }
  }
}
