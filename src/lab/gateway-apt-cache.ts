/**
 * The lab's package cache: apt-cacher-ng, Debian's caching proxy for apt, in the gateway
 * container beside chronyd, answering on the lab's gateway address. The nodes fetch through it
 * (the lab's answer file sets CAIRN_APT_PROXY), so the Debian archive is read once for all of a
 * lab's nodes, and once across `lab down` / `lab up`: the cache lives in a Docker volume of its
 * own that only `lab down --purge` removes.
 */
import type { LabPlan } from './address-plan.js';

/** apt-cacher-ng's port (its default). */
export const APT_CACHE_PORT = 3142;

/** Where the cache volume is mounted in the gateway container (Debian's cache directory). */
export const APT_CACHE_DIR = '/var/cache/apt-cacher-ng';

/** The proxy URL the lab's nodes use. */
export function aptProxyUrl(plan: LabPlan): string {
  return `http://${plan.management.gateway}:${APT_CACHE_PORT}/`;
}

/**
 * apt-cacher-ng's command line: Debian's configuration with cairn's settings as overrides
 * (key=value arguments), in the foreground of a background job so the container's shell can see
 * it die. Bound to the gateway address only: nothing outside the lab reaches it.
 */
export function aptCacheArgs(plan: LabPlan): string[] {
  return [
    '/usr/sbin/apt-cacher-ng',
    '-c',
    '/etc/apt-cacher-ng',
    'ForeGround=1',
    `BindAddress=${plan.management.gateway}`,
    `Port=${APT_CACHE_PORT}`,
    `CacheDir=${APT_CACHE_DIR}`,
    'LogDir=/var/log/apt-cacher-ng',
    'PidFile=/run/apt-cacher-ng.pid',
    'SocketPath=/run/apt-cacher-ng.socket',
  ];
}
