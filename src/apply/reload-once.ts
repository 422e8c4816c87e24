/**
 * One `systemctl daemon-reload` per cairn package install instead of one per package.
 *
 * Every package that ships a systemd unit has a postinst (dh_installsystemd's snippet) that
 * runs `systemctl --system daemon-reload`, and dpkg waits for it: systemd re-runs its generators
 * and re-reads every unit file before the call returns. On a lab compute in the middle of a
 * first deploy one reload took 0.8 s (five in a row: 4.0 s), and the lab controller's install
 * asked for about 80 (systemd's journal: 92 reloads in that deploy, 26 with this). Nothing in the install needs them one by one: cairn's policy-rc.d
 * (decide.ts) refuses the starts they would prepare, and a unit systemd has not loaded yet is
 * read from disk when it is first asked for.
 *
 * So, for the length of cairn's `apt-get install` only, the directory of cairn's own that apt
 * puts first on dpkg's PATH (compile-queue.ts, `DPkg::Path`) also holds a `systemctl` that turns
 * a daemon-reload into a mark and hands every other call to the real systemctl. After the
 * install, one real reload runs when a mark was made, before any step starts a unit. A run
 * stopped by a signal reloads on its way out; a mark a killed run left behind is reloaded by the
 * next install (and a reboot reloads everything anyway).
 */
import { shQuote } from '../transport/quote.js';
import { COMPILE_QUEUE_PATHS } from './compile-queue.js';

/** Where the parts live on a host (tests run the scripts in a temporary directory). */
export interface ReloadOncePaths {
  /** cairn's directory on dpkg's PATH during an install (the same one as the compile queue's). */
  bin: string;
  /** The mark: a daemon-reload was asked for and not done yet. */
  pending: string;
  /** The real systemctl, tried in this order (Debian 12 has /bin/systemctl; merged /usr has both). */
  systemctl: readonly string[];
  /** Exists when systemd runs (postinsts reload only then). */
  systemdRuns: string;
}

/** The paths on a host. */
export const RELOAD_ONCE_PATHS: ReloadOncePaths = {
  bin: COMPILE_QUEUE_PATHS.bin,
  pending: '/var/lib/cairn/daemon-reload-pending',
  systemctl: ['/bin/systemctl', '/usr/bin/systemctl'],
  systemdRuns: '/run/systemd/system',
};

/** Shell lines that set `s` to the real systemctl (or fail). */
function findSystemctl(paths: ReloadOncePaths): string {
  return `s=; for c in ${paths.systemctl.map(shQuote).join(' ')}; do [ -x "$c" ] && { s=$c; break; }; done`;
}

/**
 * cairn's systemctl: a call with `daemon-reload` among its arguments leaves the mark and
 * succeeds; any other call (is-enabled, enable, reload dbus, ...) is the real systemctl's. When
 * the mark cannot be made, it reloads as asked.
 */
export function systemctlWrapper(paths: ReloadOncePaths = RELOAD_ONCE_PATHS): string {
  return [
    '#!/bin/sh',
    "# cairn: one daemon-reload after cairn's package install instead of one per package",
    findSystemctl(paths),
    '[ -n "$s" ] || { echo "cairn: no systemctl found" >&2; exit 1; }',
    // `true`, not `:`: a failed redirection of a special builtin would end the script.
    `for a; do [ "$a" = daemon-reload ] && true 2>/dev/null > ${shQuote(paths.pending)} && exit 0; done`,
    'exec "$s" "$@"',
    '',
  ].join('\n');
}

/**
 * argv prefix: `sh -c` script that runs "$@" (the install) with the wrapper in place, then does
 * the one real daemon-reload when one was asked for. Exit: the install's code, else the
 * reload's. The install must put `paths.bin` first on dpkg's PATH (compile-queue.ts's
 * dpkgPathOption).
 */
export function withOneDaemonReload(paths: ReloadOncePaths = RELOAD_ONCE_PATHS): string[] {
  const wrapper = `${shQuote(paths.bin)}/systemctl`;
  const pending = shQuote(paths.pending);
  return [
    'sh',
    '-c',
    [
      findSystemctl(paths),
      // The real reload, when one is owed and systemd runs (the postinsts ask only then too).
      `reload() { [ -e ${pending} ] || return 0; if [ -n "$s" ] && [ -d ${shQuote(paths.systemdRuns)} ]; then "$s" daemon-reload || return 1; fi; rm -f ${pending}; }`,
      // One owed by a run that was killed before its reload.
      'reload || exit 1',
      `mkdir -p ${shQuote(paths.bin)} && printf '%s' ${shQuote(systemctlWrapper(paths))} > ${wrapper} && chmod 0755 ${wrapper} || exit 1`,
      "trap 'reload; exit 129' HUP INT TERM",
      '"$@"; rc=$?',
      'reload || { echo "cairn: systemctl daemon-reload after the install failed" >&2; [ $rc -ne 0 ] || rc=1; }',
      'exit $rc',
    ].join('\n'),
    'sh',
  ];
}
