/**
 * The deploy lock on each host: an atomic mkdir under /run, owned by one run, always released
 * by that run (and only by it). /run is emptied at boot, so a lock never outlives a reboot.
 */
import type { Transport } from '../transport/transport.js';
import { HostError } from '../errors.js';

export const LOCK_DIR = '/run/cairn/deploy.lock';

/**
 * Argv that takes the lock, writing `owner` into it; fails when another live run holds it.
 *
 * The lock also records the pid of the sshd process serving the connection that took it. When
 * that process is gone (the connection dropped, cairn was killed), the lock is stale and the
 * next run takes it over: a failed run must not block the re-run that converges the host.
 */
export function acquireArgv(owner: string): string[] {
  const script = [
    // Walk up from this shell to the sshd process of our connection (none for a local run).
    'p=$$; s=; while [ "$p" -gt 1 ] 2>/dev/null; do [ "$(cat /proc/$p/comm 2>/dev/null)" = sshd ] && { s=$p; break; }; p=$(cut -d" " -f4 /proc/$p/stat 2>/dev/null || echo 1); done',
    'mkdir -p /run/cairn',
    `if ! mkdir ${LOCK_DIR} 2>/dev/null; then`,
    `  old=$(cat ${LOCK_DIR}/pid 2>/dev/null)`,
    '  if [ -z "$old" ] || [ "$(cat /proc/$old/comm 2>/dev/null)" = sshd ]; then exit 1; fi',
    // Stale: move it aside atomically (a racing run's mv then fails) and take a fresh one.
    `  mv ${LOCK_DIR} /run/cairn/stale-lock.$$ && mkdir ${LOCK_DIR} || exit 1`,
    `  echo "took over a stale lock: $(cat /run/cairn/stale-lock.$$/owner 2>/dev/null)"; rm -rf /run/cairn/stale-lock.$$`,
    'fi',
    `printf '%s\n' "$1" > ${LOCK_DIR}/owner; printf '%s\n' "$s" > ${LOCK_DIR}/pid`,
  ].join('\n');
  return ['sh', '-c', script, 'sh', owner];
}

/** Argv that releases the lock if (and only if) `owner` holds it. */
export function releaseArgv(owner: string): string[] {
  return ['sh', '-c', `[ "$(cat ${LOCK_DIR}/owner 2>/dev/null)" = "$1" ] && rm -rf ${LOCK_DIR}; exit 0`, 'sh', owner];
}

/** Takes the lock (returning a note when it took over a stale one) or throws a HostError naming the run that holds it. */
export async function acquireLock(t: Transport, owner: string, breakLock: boolean): Promise<string | undefined> {
  if (breakLock) await t.run({ argv: ['rm', '-rf', LOCK_DIR] });
  const r = await t.run({ argv: acquireArgv(owner) });
  if (r.code === 0) return r.stdout.trim() || undefined;
  const holder = (await t.get(`${LOCK_DIR}/owner`))?.toString().trim() || 'an unknown run';
  throw new HostError(`host ${t.host}: another deploy holds the lock (${holder}); wait for it to finish, or, if it is gone, re-run with --break-lock`);
}

/** Releases the lock; never throws (it runs in finally blocks). */
export async function releaseLock(t: Transport, owner: string): Promise<void> {
  await t.run({ argv: releaseArgv(owner) }).catch(() => undefined);
}
