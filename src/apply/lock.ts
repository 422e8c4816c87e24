/**
 * The deploy lock on each host: an atomic mkdir under /run, owned by one run, always released
 * by that run (and only by it). /run is emptied at boot, so a lock never outlives a reboot.
 */
import type { Transport } from '../transport/transport.js';
import { UserError, EXIT } from '../cli/errors.js';

export const LOCK_DIR = '/run/cairn/deploy.lock';

/** Argv that takes the lock, writing `owner` into it; fails when another run holds it. */
export function acquireArgv(owner: string): string[] {
  return ['sh', '-c', `mkdir -p /run/cairn && mkdir ${LOCK_DIR} 2>/dev/null && printf '%s\\n' "$1" > ${LOCK_DIR}/owner`, 'sh', owner];
}

/** Argv that releases the lock if (and only if) `owner` holds it. */
export function releaseArgv(owner: string): string[] {
  return ['sh', '-c', `[ "$(cat ${LOCK_DIR}/owner 2>/dev/null)" = "$1" ] && rm -rf ${LOCK_DIR}; exit 0`, 'sh', owner];
}

/** Takes the lock or throws a UserError naming the run that holds it. */
export async function acquireLock(t: Transport, owner: string, breakLock: boolean): Promise<void> {
  if (breakLock) await t.run({ argv: ['rm', '-rf', LOCK_DIR] });
  const r = await t.run({ argv: acquireArgv(owner) });
  if (r.code === 0) return;
  const holder = (await t.get(`${LOCK_DIR}/owner`))?.toString().trim() || 'an unknown run';
  throw new UserError(`host ${t.host}: another deploy holds the lock (${holder}); wait for it to finish, or, if it is gone, re-run with --break-lock`, EXIT.failed);
}

/** Releases the lock; never throws (it runs in finally blocks). */
export async function releaseLock(t: Transport, owner: string): Promise<void> {
  await t.run({ argv: releaseArgv(owner) }).catch(() => undefined);
}
