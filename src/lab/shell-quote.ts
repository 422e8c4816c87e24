/**
 * Quoting for POSIX sh, in one place: every command line cairn's lab code builds for a shell
 * (remote `ssh` commands, scripts run in nodes) quotes its values with this.
 */

/** `value` as one sh word: bare when it is plainly safe, else in single quotes. */
export function shQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one sh command line. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
