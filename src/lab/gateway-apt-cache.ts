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

/** Where the gateway container writes apt-cacher-ng's configuration before starting it. */
export const APT_CACHE_CONF_DIR = '/run/cairn-apt-cache';

/**
 * apt-cacher-ng's configuration: cairn's own, not Debian's acng.conf, whose Remap rules send a
 * request for deb.debian.org to a mirror list of its own choosing (measured: HTTP 503 for the
 * archive here, and traffic to hosts the lab never named). Without them it is a plain caching
 * proxy: it fetches only what a node asked for, from the host the node named. Bound to the
 * gateway address only: nothing outside the lab reaches it.
 */
export function aptCacheConf(plan: LabPlan): string {
  return [
    `# cairn lab ${plan.name}: the package cache of the lab's nodes (CAIRN_APT_PROXY).`,
    `CacheDir: ${APT_CACHE_DIR}`,
    'LogDir: /var/log/apt-cacher-ng',
    `BindAddress: ${plan.management.gateway}`,
    `Port: ${APT_CACHE_PORT}`,
    'PidFile: /run/apt-cacher-ng.pid',
    'SocketPath: /run/apt-cacher-ng.socket',
    // Debian's value: expired files are cleaned by its maintenance job after 4 days unused.
    'ExThreshold: 4',
    '',
  ].join('\n');
}

/**
 * The shell lines that start apt-cacher-ng in the background from the configuration in
 * $CAIRN_APT_CACHE_CONF, and exit the shell when it is gone a moment later (a taken port makes
 * it exit at once: then the gateway container exits and `lab up` shows its log).
 */
export function aptCacheStart(): string[] {
  return [
    `mkdir -p ${APT_CACHE_CONF_DIR}`,
    `printf '%s' "$CAIRN_APT_CACHE_CONF" > ${APT_CACHE_CONF_DIR}/acng.conf`,
    `/usr/sbin/apt-cacher-ng -c ${APT_CACHE_CONF_DIR} ForeGround=1 &`,
    'sleep 1',
    'kill -0 $! || { echo "apt-cacher-ng exited" >&2; exit 1; }',
  ];
}
