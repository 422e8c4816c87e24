/**
 * From the rendered configuration to what a node should run: for one container service on one
 * host, the files to put (the same rendered bytes as packages mode, under the service's
 * container config directory), the data directories to create, and the ContainerSpec. Pure.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Host } from '../config/model.js';
import type { RenderedFile } from '../render/render-files.js';
import { componentsOn } from '../services/descriptor.js';
import { imageRef } from './images.js';
import { CONTAINER_CONFIG_DIR, hostConfigDir, imageOf, type ContainerService, type HealthProbe } from './services.js';
import { containerLabels, type Bind, type ContainerSpec } from './spec.js';

/** A rendered file as it goes onto a node for a container. */
export interface ContainerFile {
  /** Path on the node, in the service's container config directory. */
  hostPath: string;
  /** The path packages mode would use (what the service reads through the image's symlink). */
  servicePath: string;
  content: string;
  sha256: string;
  /** 0640 root:GID, GID the service user's (fixed in the image): readable by the service only. */
  mode: string;
  owner: string;
  group: string;
}

/** A directory the node must have before the container starts. */
export interface ContainerDir {
  path: string;
  mode: string;
  /** Numeric ids: the user exists in the image, not necessarily on the node. */
  owner: string;
  group: string;
  /**
   * The directory must be a mount point with shared propagation (a bind of a shared-propagation
   * Bind). Docker refuses such a bind when the directory's mount is private, as /run is in a
   * node without systemd's shared root; `ip netns` on the host makes /run/netns the same way.
   */
  shared?: boolean;
}

/** Everything one service container needs on one host. */
export interface DesiredContainer {
  service: ContainerService;
  host: string;
  files: ContainerFile[];
  dirs: ContainerDir[];
  spec: ContainerSpec;
}

/** `cairn-<service>`: the name of the running container. */
export function containerName(service: string): string {
  return `cairn-${service}`;
}

/** sha256 over the files' names and hashes: changes exactly when one of them does. */
export function configHash(files: readonly { hostPath: string; sha256: string }[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.hostPath.localeCompare(b.hostPath))) h.update(`${f.hostPath}\0${f.sha256}\n`);
  return h.digest('hex');
}

/**
 * The HTTP health probe: python3 (in every service image) requests the service's port on the
 * node's loopback. Any answer below 400 is healthy: version documents answer 200 or 300.
 */
export function healthTest(port: number, path: string): string[] {
  const probe = [
    'import sys, urllib.request, urllib.error',
    'try:',
    '    urllib.request.urlopen(sys.argv[1], timeout=4)',
    'except urllib.error.HTTPError as e:',
    '    sys.exit(0 if e.code < 400 else 1)',
  ].join('\n');
  return ['CMD', 'python3', '-c', probe, `http://127.0.0.1:${port}${path}`];
}

/**
 * The RPC health probe: healthy when one of the container's processes holds an ESTABLISHED
 * TCP connection to `port` (RabbitMQ). The container shares the node's network, so the kernel's
 * socket table lists every connection on the node; only sockets whose inode is an open file of
 * a process in this container (its own PID namespace) count.
 */
export function amqpHealthTest(port: number): string[] {
  const probe = [
    'import os, sys',
    'port = int(sys.argv[1])',
    'mine = set()',
    'for pid in filter(str.isdigit, os.listdir("/proc")):',
    '    try:',
    '        fds = os.listdir(f"/proc/{pid}/fd")',
    '    except OSError:',
    '        continue',
    '    for fd in fds:',
    '        try:',
    '            link = os.readlink(f"/proc/{pid}/fd/{fd}")',
    '        except OSError:',
    '            continue',
    '        if link.startswith("socket:["):',
    '            mine.add(link[8:-1])',
    'for table in ("/proc/net/tcp", "/proc/net/tcp6"):',
    '    try:',
    '        rows = open(table).read().splitlines()[1:]',
    '    except OSError:',
    '        continue',
    '    for row in rows:',
    '        f = row.split()',
    '        if f[3] == "01" and int(f[2].rsplit(":", 1)[1], 16) == port and f[9] in mine:',
    '            sys.exit(0)',
    'print(f"no connection to port {port} from this container\'s processes")',
    'sys.exit(1)',
  ].join('\n');
  return ['CMD', 'python3', '-c', probe, String(port)];
}

/** Docker's health test for `probe`. */
export function probeTest(probe: HealthProbe): string[] {
  return probe.kind === 'http' ? healthTest(probe.port, probe.path) : amqpHealthTest(probe.port);
}

/** Whether `service` runs on `host`: its component (or any of its descriptor's) is placed there. */
export function runsOn(service: ContainerService, host: Host): boolean {
  return componentsOn(service.descriptor, host).some((c) => service.component === undefined || c.name === service.component);
}

/**
 * What `service` needs on `host` with image tag `tag`, or undefined when the service does not
 * run there (its packages-mode components are not placed on the host's roles).
 */
export function desiredContainer(
  service: ContainerService,
  host: Host,
  rendered: readonly RenderedFile[],
  tag: string,
): DesiredContainer | undefined {
  if (!runsOn(service, host)) return undefined;
  const own = rendered.filter((f) => f.host === host.name && f.service === service.descriptor.name && (service.files === undefined || service.files.includes(f.path)));
  if (own.length === 0) return undefined;
  const dir = hostConfigDir(service.name);
  const seen = new Set<string>();
  const files = own.map((f): ContainerFile => {
    const base = posix.basename(f.path);
    if (seen.has(base)) throw new Error(`bug: ${service.name} renders two files called ${base}`);
    seen.add(base);
    return {
      hostPath: `${dir}/${base}`,
      servicePath: f.path,
      content: f.content,
      sha256: f.sha256,
      mode: '0640',
      owner: '0',
      group: String(service.user.gid),
    };
  });
  const missing = service.configLinks.filter((p) => !files.some((f) => f.servicePath === p));
  if (missing.length) throw new Error(`bug: ${service.name} reads ${missing.join(', ')}, which its descriptor does not render`);

  const ids = { owner: String(service.user.uid), group: String(service.user.gid) };
  const dirs: ContainerDir[] = [
    { path: dir, mode: '0750', owner: '0', group: ids.group },
    ...service.data
      .filter((b) => !b.hostOwned)
      .flatMap((b) => [b.host, ...(b.subdirs ?? []).map((s) => `${b.host}/${s}`)].map((path) => ({ path, mode: b.mode ?? '0750', ...ids }))),
    // Shared mounts belong to the node (root, as `ip netns` makes /run/netns), not the service.
    ...service.data.filter((b) => b.propagation === 'shared').map((b) => ({ path: b.host, mode: '0755', owner: '0', group: '0', shared: true })),
  ];
  const env: Record<string, string> = {};
  const hash = configHash(files);
  const binds: Bind[] = [{ host: dir, container: CONTAINER_CONFIG_DIR, readOnly: true }, ...service.data.map((b): Bind => ({ host: b.host, container: b.container, readOnly: b.readOnly, ...(b.propagation ? { propagation: b.propagation } : {}) }))];
  const spec: ContainerSpec = {
    name: containerName(service.name),
    service: service.name,
    image: imageRef(imageOf(service), tag),
    version: tag,
    command: [...service.command],
    user: service.root ? 'root' : service.user.name,
    capAdd: [...(service.capAdd ?? [])],
    procSysWritable: service.procSysWritable === true,
    env,
    binds,
    networkMode: 'host',
    labels: containerLabels(service.name, tag, hash, env),
    healthcheck: { test: probeTest(service.health), intervalMs: 5000, timeoutMs: 5000, retries: 3, startPeriodMs: 60_000 },
    restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
  };
  return { service, host: host.name, files, dirs, spec };
}

/**
 * The spec of a one-shot container for `desired` (a migration or key setup): root (the
 * descriptors' steps drop to the service user with runuser themselves), every data bind
 * writable, no restart, no health check worth waiting for.
 */
export function oneShotSpec(desired: DesiredContainer, argv: readonly string[], purpose: string): ContainerSpec {
  const spec = desired.spec;
  return {
    ...spec,
    name: `${spec.name}-${purpose}`,
    command: [...argv],
    user: 'root',
    binds: spec.binds.map((b) => (b.container === CONTAINER_CONFIG_DIR ? b : { ...b, readOnly: false })),
    labels: { ...spec.labels, 'cairn.one-shot': purpose },
    healthcheck: { test: ['NONE'], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0 },
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
  };
}
