/**
 * The shape of a service's container definitions (containers mode), as pure data a service
 * descriptor carries in its `containers` field, so that a service's one file says how it runs
 * in a container too. The types and the few helpers they share live here, not in
 * src/containers/, because containers/ reads the descriptors: services/ must not import it back.
 *
 * src/containers/services.ts derives the list cairn deploys (each definition with its
 * descriptor); desired.ts turns one, a host and the rendered files into a ContainerSpec.
 */

/** A host path bind-mounted into the container. */
export interface Bind {
  host: string;
  container: string;
  readOnly: boolean;
  /**
   * Mount propagation: `shared` makes mounts made under the bind on either side visible on the
   * other (the agents' network namespaces are bind mounts under /run/netns). Unset: Docker's
   * default (rprivate).
   */
  propagation?: 'shared';
}

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
  /** Debian's base system has this user already, with these ids (www-data): none is made. */
  system?: boolean;
}

/**
 * An image layer a project's service images share: its service user (made before any package,
 * with fixed ids) and the packages every one of its images needs (nova-common pulls
 * python3-nova and its Python dependencies, about 500 MB of each nova image).
 */
export interface ImageLayer {
  /** Repository suffix: cairn/<name>:TAG. */
  name: string;
  packages: string[];
  user: ServiceUser;
}

/**
 * How a container proves it serves. `http`: a request to 127.0.0.1:port/path answers below 400.
 * `amqp`: a process of the container holds an established connection to RabbitMQ (a service
 * that only consumes RPC, like nova-conductor, has no port; kolla checks the same thing).
 */
export type HealthProbe = { kind: 'http'; port: number; path: string } | { kind: 'amqp'; port: number };

/** A persistent host directory bound into the container. */
export interface DataDir extends Bind {
  /** Mode of the host directory (default 0750: the service user alone). */
  mode?: string;
  /** Directories under it cairn also creates, same owner and mode (e.g. nova's instances). */
  subdirs?: readonly string[];
  /**
   * The directory belongs to a host service (libvirtd's /run/libvirt): bound, never created
   * or chowned by cairn. With `propagation: 'shared'` cairn makes it a shared mount point
   * (root-owned, as `ip netns` would) and nothing else.
   */
  hostOwned?: boolean;
}

/**
 * One service container, as its descriptor defines it. It names no descriptor: it sits in the
 * descriptor's own `containers` list, and a definition cannot refer to the object it is part
 * of; the derived list (containers/services.ts) adds it.
 */
export interface ContainerDef {
  /** Container service name: the image repository suffix and the container name suffix. */
  name: string;
  /**
   * The descriptor's component this container is (e.g. `nova-conductor`): the container runs
   * on the hosts whose roles place that component. Unset: wherever any component of the
   * descriptor is placed (a descriptor with one component).
   */
  component?: string;
  /**
   * The descriptor's bootstrap steps this container runs as one-shots (migrations, keys,
   * registration): all of them when unset. Several containers of one descriptor (nova's) leave
   * them to one (nova-api) so that each migration runs once.
   */
  steps?: 'all' | 'none';
  /**
   * Steps (by name) that wait for other containers (nova's discover-hosts waits for every
   * nova-compute): run once after every container service has converged, not right after
   * this one starts.
   */
  finalSteps?: readonly string[];
  /**
   * Steps (by name) that run when this container starts AND again at the end of any run that
   * changed a container: keystone's catalog step registers the endpoints of every deployed
   * service, so a service added to a running cloud gets its endpoints without keystone moving.
   */
  refreshSteps?: readonly string[];
  /**
   * The image (repository suffix) this container runs, when another service's: nova's metadata
   * API is in Debian's nova-api package, so it runs cairn/nova-api. Unset: its own, `name`.
   */
  image?: string;
  /** Debian packages the image installs (for a shared image: the owner's). */
  packages: string[];
  user: ServiceUser;
  /**
   * The project's shared layer this image builds on (nova's five images on cairn/nova-base):
   * the user and the project's library, made once, so the images share those bytes on disk
   * and in the one stream that carries them to a node. Unset: FROM openstack-base.
   */
  layer?: ImageLayer;
  /**
   * Paths in the image where the service reads its configuration; each becomes a symlink into
   * the read-only config directory (CONTAINER_CONFIG_DIR), so every tool in the image (the
   * service and its `-manage` command) reads the rendered file at its usual path.
   */
  configLinks: string[];
  /**
   * The descriptor's rendered files (by packages-mode path) this container gets; all of them
   * when unset. nova's containers take only what they read, so that a change to
   * nova-compute.conf does not recreate nova-api.
   */
  files?: readonly string[];
  /**
   * A shell command the image runs after installing the packages and making the links: what a
   * package leaves to the administrator (Horizon's Apache site). Runs once per build.
   */
  imageSetup?: string;
  /** The service's command (runs as `user`, or root when `root` is set). */
  command: string[];
  /**
   * Runs as root: nova-compute, which talks to the host's libvirtd through its socket (root or
   * the host's libvirt group, whose id the image cannot know).
   */
  root?: boolean;
  /** Capabilities beyond Docker's defaults (see ContainerSpec.capAdd). */
  capAdd?: readonly string[];
  /** /proc/sys writable (see ContainerSpec.procSysWritable): the L3 and DHCP agents. */
  procSysWritable?: boolean;
  health: HealthProbe;
  /** Persistent data: host directories, owned by the service user, that outlive containers. */
  data: DataDir[];
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

/** RabbitMQ's port, which the RPC-only services' health checks look for. */
export const AMQP_PORT = 5672;

/**
 * uwsgi as the Debian packages run it (their -uwsgi.ini settings), on the command line so
 * the log goes to stdout (`docker logs`) instead of the ini's log file, plus --reuse-port.
 * An eventlet-patched app (nova's APIs, neutron-api: `eventletPatched`) gets one thread per
 * worker and four workers instead of two with four threads: native threads under eventlet's
 * patched locks deadlock. Seen in both modes: neutron-api left a guest's port update unanswered
 * (packages mode), and a containers lab's nova-api never got the reply to a console-output call
 * that nova-compute had answered (MessagingTimeout, HTTP 500) with four threads.
 */
export function uwsgi(wsgiFile: string, port: number, opts: { eventletPatched?: boolean } = {}): string[] {
  return [
    'uwsgi_python3',
    '--http-socket', `:${port}`,
    '--wsgi-file', wsgiFile,
    '--master',
    ...(opts.eventletPatched ? ['--processes', '4', '--threads', '1'] : ['--processes', '2', '--threads', '4']),
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
