/**
 * Docker objects of a lab as data: networks, node containers and the gateway container.
 * Pure functions from the plan; docker-provider.ts hands them to the engine unchanged.
 *
 * Node containers boot systemd like small VMs. The run options are the ones LAB.md measured on
 * this kind of machine: `--privileged` fails there (no CAP_SYS_RESOURCE in the sandbox), so
 * nodes get every capability except SYS_RESOURCE, and never SYS_TIME (a lab node must not be
 * able to set the machine's clock).
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { LabNetwork, LabNode, LabPlan } from './address-plan.js';
import { LABELS, aptCacheVolumeName, gatewayContainerName, nodeDockerVolumeName } from './lab-name.js';
import { gatewayChronyConf, gatewayCommand } from './gateway-ntp.js';
import { APT_CACHE_DIR, aptCacheConf, aptCacheStart } from './gateway-apt-cache.js';

/** Capabilities dropped from every node: SYS_RESOURCE (unavailable here) and SYS_TIME (clock). */
export const NODE_CAP_DROP = ['SYS_RESOURCE', 'SYS_TIME'] as const;

/** Docker's default read-only paths, less /proc/sys (see nodeContainerSpec). */
export const LAB_NODE_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'];

/**
 * A lab network. The management network is an ordinary bridge with NAT (the nodes' way to
 * Debian's archive). The external network is `internal`: no NAT and, more to the point, never
 * the nodes' default route (Docker prefers non-internal networks for the default gateway, and
 * otherwise orders networks by name, where `ext` would beat `mgmt`). The host still has .1 on
 * it, so it can reach floating IPs later.
 */
export function networkSpec(plan: LabPlan, net: LabNetwork): Docker.NetworkCreateOptions {
  return {
    Name: net.name,
    CheckDuplicate: true,
    Driver: 'bridge',
    Internal: net.kind === 'external',
    IPAM: { Driver: 'default', Config: [{ Subnet: net.subnet, Gateway: net.gateway }] },
    Labels: {
      [LABELS.lab]: plan.name,
      [LABELS.network]: net.kind,
      [LABELS.slot]: String(plan.slot),
    },
  };
}

/**
 * The controller node's CPU weight (Docker's default, the computes', is 1024). The lab's nodes
 * share this machine's cores, and a first deploy keeps them all busy while every node installs
 * its packages; the controller's install is the longest and every other node waits for its
 * services, while a compute has minutes to spare. Twice the weight gave its install 0.75 of a
 * core instead of 0.6 while all three installed (a 3-node lab on 2 cores; the controller's
 * packages step 298 and 307 s against 323 s). A weight only matters while the CPUs are short.
 */
export const CONTROLLER_CPU_SHARES = 2048;

/**
 * A node container, attached to the management network only. The external network is connected
 * after start (externalEndpoint): Docker attaches a starting container's networks in no fixed
 * order (seen here: the interface index order flips between restarts), so attaching one at a
 * time is what makes management eth0 and external eth1 by construction. The node setup script
 * checks it every `lab up`.
 */
export function nodeContainerSpec(plan: LabPlan, node: LabNode, image: string): Docker.ContainerCreateOptions {
  const spec: Docker.ContainerCreateOptions = {
    name: node.name,
    Hostname: node.name,
    Image: image,
    Labels: {
      [LABELS.lab]: plan.name,
      [LABELS.role]: node.role,
    },
    StopSignal: 'SIGRTMIN+3',
    HostConfig: {
      CapAdd: ['ALL'],
      CapDrop: [...NODE_CAP_DROP],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      // systemd as PID 1 needs the cgroup tree and a tmpfs /run.
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      Tmpfs: { '/run': '', '/run/lock': '' },
      // Open vSwitch's userspace datapath (netdev) opens /dev/net/tun.
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      // Docker's read-only paths without /proc/sys: Neutron's L3 and DHCP agents set sysctls in
      // their namespaces (`ip netns exec qrouter-... sysctl -w ...`), which fails on a read-only
      // /proc/sys. This gives a node nothing new: with CAP_SYS_ADMIN it could remount it anyway.
      ReadonlyPaths: LAB_NODE_READONLY_PATHS,
      Mounts: [{ Type: 'volume', Source: nodeDockerVolumeName(node.name), Target: '/var/lib/docker' }],
      NetworkMode: plan.management.name,
      RestartPolicy: { Name: 'no' },
      ...(node.role === 'controller' ? { CpuShares: CONTROLLER_CPU_SHARES } : {}),
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [plan.management.name]: { IPAMConfig: { IPv4Address: node.managementAddress } },
      },
    },
  };
  return withSpecLabel(spec);
}

/**
 * The volume for a node's /var/lib/docker. Docker inside a node cannot stack overlayfs on the
 * node's own overlayfs root (it falls back to the slow, space-hungry vfs driver); on a volume,
 * which lives on the host's file system, it gets overlay2.
 */
export function nodeVolumeSpec(plan: LabPlan, node: LabNode): Docker.VolumeCreateOptions {
  return { Name: nodeDockerVolumeName(node.name), Labels: { [LABELS.lab]: plan.name, [LABELS.role]: node.role } };
}

/** The external network attachment of a node (connected once the node runs). */
export function externalEndpoint(node: LabNode): Docker.NetworkConnectOptions {
  return { Container: node.name, EndpointConfig: { IPAMConfig: { IPv4Address: node.externalAddress } } };
}

/** The volume of the lab's package cache, made before the gateway that mounts it. */
export function aptCacheVolumeSpec(plan: LabPlan): Docker.VolumeCreateOptions {
  return { Name: aptCacheVolumeName(plan.name), Labels: { [LABELS.aptCache]: plan.name } };
}

/**
 * The gateway container: chronyd -x in the host's network namespace, serving the host's clock
 * on the management gateway address, and the lab's package cache on the same address, its
 * cache in the lab's cache volume. Default capabilities minus SYS_TIME: it needs nothing more.
 */
export function gatewayContainerSpec(plan: LabPlan, image: string): Docker.ContainerCreateOptions {
  const spec: Docker.ContainerCreateOptions = {
    name: gatewayContainerName(plan.name),
    Image: image,
    Labels: { [LABELS.lab]: plan.name, [LABELS.role]: 'gateway' },
    Env: [`CAIRN_CHRONY_CONF=${gatewayChronyConf(plan)}`, `CAIRN_APT_CACHE_CONF=${aptCacheConf(plan)}`],
    Entrypoint: [],
    Cmd: gatewayCommand(aptCacheStart()),
    HostConfig: {
      NetworkMode: 'host',
      CapDrop: ['SYS_TIME'],
      RestartPolicy: { Name: 'no' },
      Mounts: [{ Type: 'volume', Source: aptCacheVolumeName(plan.name), Target: APT_CACHE_DIR }],
    },
  };
  return withSpecLabel(spec);
}

/** sha256 of a spec in canonical form (object keys sorted), without its own spec label. */
export function specHash(spec: Docker.ContainerCreateOptions): string {
  const labels = { ...(spec.Labels ?? {}) };
  delete labels[LABELS.spec];
  return createHash('sha256').update(canonicalJson({ ...spec, Labels: labels })).digest('hex').slice(0, 16);
}

function withSpecLabel(spec: Docker.ContainerCreateOptions): Docker.ContainerCreateOptions {
  return { ...spec, Labels: { ...spec.Labels, [LABELS.spec]: specHash(spec) } };
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
