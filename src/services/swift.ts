/**
 * Swift, object storage, on the storage host (the controller): the proxy (the API, with
 * Keystone auth) and the account, container and object servers with the updaters and the
 * account reaper. cairn builds the three rings on that host, with one device each.
 *
 * Storage: Packstack, with CONFIG_SWIFT_STORAGES empty, makes a loopback file of
 * CONFIG_SWIFT_STORAGE_SIZE and mounts it as the one device. cairn keeps the device's name
 * (swiftloopback) but stores it as a directory of the host's file system (mount_check off),
 * because a loop mount needs a kernel and privileges that containers (the lab's nodes) lack;
 * validate says so. Devices (CONFIG_SWIFT_STORAGES) are not implemented yet.
 *
 * Packages mode only for now: rules.ts refuses Swift in containers mode.
 */
import type { Component, ServiceDescriptor } from './descriptor.js';
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import { httpReadyAtEnd } from './bootstrap-commands.js';
import { iniBool, keystoneAuthView, memcacheServer, pasteValue, urlHost, workerCount } from './common.js';
import { ADMIN_HINT, lastLines, type ApiCheck } from './api-checks.js';

/** The proxy's port (the object-store API). */
export const SWIFT_PROXY_PORT = 8080;
/** The storage servers' ports (Swift's defaults since Newton). */
export const SWIFT_PORTS = { object: 6200, container: 6201, account: 6202 } as const;
/** Where the storage servers find their devices. */
export const SWIFT_DEVICES_DIR = '/srv/node';
/** The one device, named as Packstack names its loopback device. */
export const SWIFT_DEVICE = 'swiftloopback';

type Ring = keyof typeof SWIFT_PORTS;
const RINGS: readonly Ring[] = ['account', 'container', 'object'];

/** A Swift daemon as a component: Debian and RDO name the units alike. */
function daemon(name: string, pkg: string, rhelPkg: string, ports: number[] = []): Component {
  return {
    name,
    role: 'control',
    unit: { debian: name, rhel: `openstack-${name}` },
    packages: { debian: [pkg], rhel: [rhelPkg] },
    ports,
  };
}

/**
 * The rings, built once on the storage host and again only when what they hold changes (the
 * host's address, the replica count): each builder is made if missing, the device added if it
 * is not in it, then rebalanced. `swift-ring-builder rebalance` exits 1 for a warning (nothing
 * to move), which is not a failure.
 */
export function ringScript(address: string, replicas: number, dirs: { swift: string; devices: string } = { swift: '/etc/swift', devices: SWIFT_DEVICES_DIR }): string {
  const lines = ['set -e', `cd ${dirs.swift}`];
  for (const ring of RINGS) {
    const port = SWIFT_PORTS[ring];
    lines.push(
      `[ -f ${ring}.builder ] || swift-ring-builder ${ring}.builder create 10 ${replicas} 1`,
      // The device at this address already: nothing. At another address (the host's address
      // changed): moved, and the ring written (rebalance would not write it: nothing moves).
      // Not there at all: added.
      `if ! swift-ring-builder ${ring}.builder search --ip ${address} --port ${port} --device ${SWIFT_DEVICE} >/dev/null 2>&1; then`,
      `  if swift-ring-builder ${ring}.builder search --device ${SWIFT_DEVICE} >/dev/null 2>&1; then`,
      `    swift-ring-builder ${ring}.builder set_info --yes --device ${SWIFT_DEVICE} --change-ip ${address} --change-port ${port} --change-replication-ip ${address} --change-replication-port ${port} >/dev/null`,
      `    swift-ring-builder ${ring}.builder write_ring >/dev/null`,
      '  else',
      `    swift-ring-builder ${ring}.builder add --region 1 --zone 1 --ip ${address} --port ${port} --device ${SWIFT_DEVICE} --weight 100 >/dev/null`,
      '  fi',
      'fi',
      `swift-ring-builder ${ring}.builder rebalance >/dev/null 2>&1 || [ $? -eq 1 ]`,
      `test -s ${ring}.ring.gz`,
    );
  }
  // The builders and rings only: the .conf files beside them stay root:swift 0640 (secrets).
  lines.push(`chown -R swift:swift ${dirs.swift}/backups ${RINGS.map((r) => `${dirs.swift}/${r}.builder ${dirs.swift}/${r}.ring.gz`).join(' ')}`, `install -d -o swift -g swift -m 0750 ${dirs.devices} ${dirs.devices}/${SWIFT_DEVICE}`);
  return lines.join('\n');
}

/** A 64 KiB object stored, read back byte for byte and deleted, with its container. */
const OBJECT_SCRIPT = [
  'c="cairn-verify-$(date +%s)-$$"',
  'f=$(mktemp); back=$(mktemp)',
  'head -c 65536 /dev/urandom > "$f"',
  'ok=no',
  'if openstack container create "$c" >/dev/null && openstack object create --name data "$c" "$f" >/dev/null && openstack object save --file "$back" "$c" data && cmp -s "$f" "$back"; then ok=yes; fi',
  'openstack object delete "$c" data >/dev/null 2>&1',
  'openstack container delete "$c" >/dev/null 2>&1',
  'rm -f "$f" "$back"',
  'echo "round trip: $ok"',
  '[ "$ok" = yes ]',
].join('\n');

/** The storage servers' view: where they listen and keep data. */
function serverView(d: Deployment, ring: Ring): Record<string, unknown> {
  const workers = workerCount(d);
  return {
    bindIp: pasteValue(controllerOf(d).address),
    port: SWIFT_PORTS[ring],
    devices: SWIFT_DEVICES_DIR,
    setWorkers: workers !== undefined,
    workers: workers ?? 0,
  };
}

const COMPONENTS: Component[] = [
  daemon('swift-proxy', 'swift-proxy', 'openstack-swift-proxy', [SWIFT_PROXY_PORT]),
  daemon('swift-account', 'swift-account', 'openstack-swift-account', [SWIFT_PORTS.account]),
  daemon('swift-account-reaper', 'swift-account', 'openstack-swift-account'),
  daemon('swift-container', 'swift-container', 'openstack-swift-container', [SWIFT_PORTS.container]),
  daemon('swift-container-updater', 'swift-container', 'openstack-swift-container'),
  daemon('swift-object', 'swift-object', 'openstack-swift-object', [SWIFT_PORTS.object]),
  daemon('swift-object-updater', 'swift-object', 'openstack-swift-object'),
];

/**
 * The Swift features (their /info names) the proxy pipeline in
 * templates/swift/proxy-server.conf.hbs provides, for Tempest. container_sync is in the pipeline
 * but left out: it needs sync realms (container-sync-realms.conf) shared by two clusters, and
 * cairn configures none.
 */
export const SWIFT_FEATURES = ['account_quotas', 'bulk_delete', 'bulk_upload', 'container_quotas', 'crossdomain', 'dlo', 'formpost', 'slo', 'staticweb', 'symlink', 'tempurl', 'versioned_writes'];

/** Swift (object storage) on the controller. */
export const swift: ServiceDescriptor = {
  name: 'swift',
  enabled: (d) => d.services.swift,
  components: COMPONENTS,
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const owned = { mode: '0640', owner: 'root', group: 'swift' };
    const units = (prefix: string): string[] => COMPONENTS.filter((c) => c.name.startsWith(prefix)).map((c) => c.unit[os]);
    const all = units('swift-');
    const workers = workerCount(d);
    return [
      {
        path: '/etc/swift/swift.conf',
        template: 'swift/swift.conf.hbs',
        ...owned,
        restarts: all,
        view: { hashSuffix: pasteValue(d.swift.hash) },
      },
      {
        path: '/etc/swift/proxy-server.conf',
        template: 'swift/proxy-server.conf.hbs',
        ...owned,
        restarts: units('swift-proxy'),
        view: {
          bindIp: pasteValue(controllerOf(d).address),
          port: SWIFT_PROXY_PORT,
          setWorkers: workers !== undefined,
          workers: workers ?? 0,
          memcacheServers: pasteValue(memcacheServer(d)),
          // keystonemiddleware takes these from paste's configparser as they are: no oslo.config
          // escaping here.
          auth: keystoneAuthView(d, 'swift', d.swift.ksPassword, pasteValue),
          debug: iniBool(d.debug),
        },
      },
      ...RINGS.map((ring) => ({
        path: `/etc/swift/${ring}-server.conf`,
        template: `swift/${ring}-server.conf.hbs`,
        ...owned,
        restarts: units(`swift-${ring}`),
        view: serverView(d, ring),
      })),
    ];
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    return [
      {
        name: 'rings',
        title: 'swift rings (account, container, object) and the storage directory',
        when: 'before-start',
        argv: ['sh', '-c', ringScript(host.address, d.swift.replicas)],
        inputs: [host.address, String(d.swift.replicas)],
        timeoutMs: 120_000,
      },
      httpReadyAtEnd('ready', 'swift proxy answers', `http://${urlHost(host.address)}:${SWIFT_PROXY_PORT}/healthcheck`),
    ];
  },
  endpoints: [
    {
      serviceName: 'swift',
      serviceType: 'object-store',
      // Each project's account, named as keystoneauth's reseller prefix says.
      url: (ctrl) => `http://${urlHost(ctrl)}:${SWIFT_PROXY_PORT}/v1/AUTH_%(project_id)s`,
      user: 'swift',
      password: (d) => d.swift.ksPassword,
    },
  ],
  // keystoneauth's reseller admin role (any account); Tempest's object-storage tests give it to
  // the users they make, and fail when it does not exist.
  identity: () => ({ roles: ['ResellerAdmin'] }),
  apiChecks: (): ApiCheck[] => [
    {
      id: 'object-round-trip',
      script: OBJECT_SCRIPT,
      judge: (out, code) => ({ ok: code === 0, detail: code === 0 ? 'a 64 KiB object was stored, read back identical and deleted' : lastLines(out) }),
      hint: `${ADMIN_HINT}openstack container create test; journalctl -u swift-proxy -u swift-object`,
    },
  ],
};
