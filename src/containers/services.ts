/**
 * One container descriptor per OpenStack service cairn runs in containers. Each points at the
 * packages-mode service descriptor (src/services/) whose rendered files it reads and whose
 * bootstrap steps it runs as one-shot containers, so configuration and migrations have one
 * source of truth. Infrastructure (MariaDB, RabbitMQ, memcached) stays on the host, installed by
 * the packages-mode steps: cairn does not containerise it.
 *
 * Pure data; desired.ts turns a descriptor, a host and the rendered files into a ContainerSpec.
 */
import { KEYSTONE_PORT } from '../services/common.js';
import type { ServiceDescriptor } from '../services/descriptor.js';
import { GLANCE_PORT, glance } from '../services/glance.js';
import { keystone } from '../services/keystone.js';
import { PLACEMENT_PORT, placement } from '../services/placement.js';
import type { Bind } from './spec.js';

/**
 * A service user with fixed ids. The Dockerfile creates it before installing the package (which
 * then reuses it), so host files can be `root:GID 0640` and host data directories `UID:GID`
 * without the host knowing the user. The numbers are kolla's, to stay clear of the ids a host
 * or another image allocates dynamically.
 */
export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** One service container. */
export interface ContainerService {
  /** Container service name: the image repository suffix and the container name suffix. */
  name: string;
  /** The packages-mode descriptor whose files (and bootstrap steps) this container uses. */
  descriptor: ServiceDescriptor;
  /** Debian packages the image installs. */
  packages: string[];
  user: ServiceUser;
  /**
   * Paths in the image where the service reads its configuration; each becomes a symlink into
   * the read-only config directory (CONTAINER_CONFIG_DIR), so every tool in the image (the
   * service and its `-manage` command) reads the rendered file at its usual path.
   */
  configLinks: string[];
  /** The service's command (runs as `user`). */
  command: string[];
  port: number;
  /** HTTP path the health check requests on 127.0.0.1:port (any status below 400 is healthy). */
  healthPath: string;
  /** Persistent data: host directories, owned by the service user, that outlive containers. */
  data: Bind[];
  /**
   * Whether a second instance can listen on the same port while the first still runs
   * (uwsgi's --reuse-port, SO_REUSEPORT): an upgrade then starts the new container before
   * stopping the old one. Otherwise the old one stops first.
   */
  overlapOnUpgrade: boolean;
}

/** Where the rendered files are inside every container (a read-only bind). */
export const CONTAINER_CONFIG_DIR = '/etc/cairn/config';

/** Where cairn puts a service's rendered files on the node: `/etc/cairn/containers/<service>`. */
export function hostConfigDir(service: string): string {
  return `/etc/cairn/containers/${service}`;
}

/** Where persistent service data lives on the node. */
export function hostDataDir(service: string): string {
  return `/var/lib/cairn/${service}`;
}

/**
 * uwsgi as the Debian packages run it (their -uwsgi.ini settings), on the command line so
 * the log goes to stdout (`docker logs`) instead of the ini's log file, plus --reuse-port.
 */
function uwsgi(wsgiFile: string, port: number): string[] {
  return [
    'uwsgi_python3',
    '--http-socket', `:${port}`,
    '--wsgi-file', wsgiFile,
    '--master',
    '--processes', '2',
    '--threads', '4',
    '--enable-threads',
    '--lazy-apps',
    '--die-on-term',
    '--need-app',
    '--buffer-size', '65535',
    // uwsgi's plain http-socket does not keep connections alive; saying so stops clients
    // (python-requests in the catalog step) from reusing a connection uwsgi has closed.
    '--add-header', 'Connection: close',
    '--reuse-port',
  ];
}

/** Keystone under uwsgi; fernet and credential keys on the host (they must survive upgrades). */
export const keystoneContainer: ContainerService = {
  name: 'keystone',
  descriptor: keystone,
  packages: ['keystone', 'python3-openstackclient'],
  user: { name: 'keystone', uid: 42425, gid: 42425, home: '/var/lib/keystone' },
  configLinks: ['/etc/keystone/keystone.conf'],
  command: uwsgi('/usr/bin/keystone-wsgi-public', KEYSTONE_PORT),
  port: KEYSTONE_PORT,
  // The version document: unauthenticated, answered by keystone itself (not just uwsgi).
  healthPath: '/v3',
  data: [
    // Read-only for the service; the one-shot setup containers write them (see desired.ts).
    { host: `${hostDataDir('keystone')}/fernet-keys`, container: '/etc/keystone/fernet-keys', readOnly: true },
    { host: `${hostDataDir('keystone')}/credential-keys`, container: '/etc/keystone/credential-keys', readOnly: true },
  ],
  overlapOnUpgrade: true,
};

/** glance-api (eventlet, its own listener: no port sharing); images stay on the host. */
export const glanceApiContainer: ContainerService = {
  name: 'glance-api',
  descriptor: glance,
  packages: ['glance-api'],
  user: { name: 'glance', uid: 42415, gid: 42415, home: '/var/lib/glance' },
  configLinks: ['/etc/glance/glance-api.conf'],
  command: ['glance-api', '--config-file', '/etc/glance/glance-api.conf'],
  port: GLANCE_PORT,
  healthPath: '/',
  data: [{ host: hostDataDir('glance'), container: '/var/lib/glance', readOnly: false }],
  overlapOnUpgrade: false,
};

/** placement-api under uwsgi. */
export const placementApiContainer: ContainerService = {
  name: 'placement-api',
  descriptor: placement,
  packages: ['placement-api'],
  user: { name: 'placement', uid: 42482, gid: 42482, home: '/var/lib/placement' },
  configLinks: ['/etc/placement/placement.conf'],
  command: uwsgi('/usr/bin/placement-api', PLACEMENT_PORT),
  port: PLACEMENT_PORT,
  healthPath: '/',
  data: [],
  overlapOnUpgrade: true,
};

/** Every container service, in deployment order (keystone first: the others register with it). */
export const containerServices: readonly ContainerService[] = [keystoneContainer, glanceApiContainer, placementApiContainer];

/** The container service called `name`, or undefined. */
export function containerService(name: string): ContainerService | undefined {
  return containerServices.find((s) => s.name === name);
}
