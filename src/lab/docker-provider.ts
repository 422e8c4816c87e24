/**
 * The Docker provider: lab nodes are containers booting systemd (see docker-specs.ts), on two
 * Docker networks, with the gateway's chronyd in a container on the host's network namespace.
 * The engine is the record of what exists: every object carries the lab's labels.
 */
import type Docker from 'dockerode';
import type { LabNode, LabPlan } from './address-plan.js';
import { slotsOverlapping } from './address-plan.js';
import type { DebianArchive } from '../local/apt-sources.js';
import { allSubnets, execIn, inspectContainer, inspectNetwork } from '../local/docker-engine.js';
import { labContainers, labNetworks, labVolumes } from './lab-objects.js';
import { aptCacheVolumeSpec, externalEndpoint, gatewayContainerSpec, networkSpec, nodeContainerSpec, nodeVolumeSpec } from './docker-specs.js';
import { APT_CACHE_PORT } from './gateway-apt-cache.js';
import { HostError, tail } from '../errors.js';
import { bridgeDevice, txChecksumOff } from './bridge-offload.js';
import { ensureNodeImage, nodeImageTags } from './image-build.js';
import { LABELS, gatewayContainerName, networkName, nodeDockerVolumeName } from './lab-name.js';
import type { NodeHostKeys } from './known-hosts.js';
import {
  FAILED_UNITS_ARGV,
  HOST_KEYS_ARGV,
  SYSTEM_STATE_ARGV,
  nodeSetupScript,
  parseSetupOutput,
} from './node-setup.js';
import type { NodeRow } from './node-table.js';
import type { Progress } from '../local/progress.js';
import type { LabObservation, LabProvider, ProviderContext, SlotView, UpResult } from './provider.js';

/** How long a node may take to finish booting systemd (LAB.md: ~8 s on an idle machine). */
const BOOT_DEADLINE_MS = 120_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lab machines as containers on the local Docker engine. */
export class DockerProvider implements LabProvider {
  readonly name = 'docker' as const;
  /** systemd has started sshd by the time `up` returns; this only covers a slow machine. */
  readonly sshDeadlineMs = 30_000;

  /**
   * `archive`: the host's Debian archive (the node image is built from it), or why there is
   * none; only needed when something has to be created.
   */
  constructor(
    private readonly docker: Docker,
    private readonly archive: DebianArchive | string,
  ) {}

  async slots(lab: string): Promise<SlotView> {
    const taken = new Map<number, string>();
    let own: number | undefined;
    for (const n of await allSubnets(this.docker)) {
      const owner = n.labels[LABELS.lab];
      if (owner === lab) {
        const s = Number(n.labels[LABELS.slot]);
        if (Number.isInteger(s)) own = s;
        continue;
      }
      for (const slot of slotsOverlapping([n.subnet])) {
        if (!taken.has(slot)) taken.set(slot, owner ? `lab ${owner}` : `Docker network ${n.network} (${n.subnet})`);
      }
    }
    return own === undefined ? { taken } : { own, taken };
  }

  async up(plan: LabPlan, publicKey: string, ctx: ProviderContext): Promise<UpResult> {
    const p = ctx.progress;
    const changes: string[] = [];
    const createdNetworks = await this.#ensureNetworks(plan, p);
    changes.push(...createdNetworks);
    if ((await this.#externalOffloadOff(plan, p)) && !changes.includes(plan.external.name)) changes.push(plan.external.name);

    const archive = this.archive;
    const gatewayName = gatewayContainerName(plan.name);
    const existing = new Map<string, Docker.ContainerInspectInfo | undefined>();
    for (const name of [gatewayName, ...plan.nodes.map((n) => n.name)]) existing.set(name, await inspectContainer(this.docker, name));
    for (const [name, info] of existing) {
      if (info && info.Config.Labels?.[LABELS.lab] !== plan.name) {
        throw new HostError(`a container named ${name} exists and does not belong to lab ${plan.name}; remove it or choose another --name`);
      }
    }

    // The image tag is a hash of its inputs (cheap); the image itself is only needed when
    // something has to be created.
    if (typeof archive === 'string') {
      if ([...existing.values()].some((i) => !i)) throw new HostError(archive);
    }
    let image = typeof archive === 'string' ? '' : nodeImageTags(archive).node;
    const gatewayWanted = gatewayContainerSpec(plan, image);
    const gatewayInfo = existing.get(gatewayName);
    const gatewayStale = gatewayInfo !== undefined && image !== '' && gatewayInfo.Config.Labels?.[LABELS.spec] !== gatewayWanted.Labels?.[LABELS.spec];
    if (typeof archive !== 'string' && ([...existing.values()].some((i) => !i) || gatewayStale)) {
      image = await ensureNodeImage(this.docker, archive, p);
    }

    if (await this.#ensureGateway(plan, image, gatewayInfo, gatewayStale, createdNetworks.length > 0, p)) changes.push(gatewayName);
    changes.push(...(await this.#removeExtraNodes(plan, p)));

    const results = await Promise.all(plan.nodes.map((n) => this.#ensureNode(plan, n, image, existing.get(n.name), publicKey, p)));
    for (const r of results) if (r.changed) changes.push(r.row.name);
    return { nodes: results.map((r) => r.row), hostKeys: results.map((r) => r.hostKeys), changes };
  }

  async #ensureNetworks(plan: LabPlan, p: Progress): Promise<string[]> {
    const created: string[] = [];
    for (const net of [plan.management, plan.external]) {
      const info = await inspectNetwork(this.docker, net.name);
      if (!info) {
        await this.docker.createNetwork(networkSpec(plan, net));
        created.push(net.name);
        p.phase(`network ${net.name} ${net.subnet}: created`);
        continue;
      }
      if (info.Labels?.[LABELS.lab] !== plan.name) {
        throw new HostError(`Docker network ${net.name} exists and was not made by cairn for lab ${plan.name}; remove it or choose another --name`);
      }
      const subnet = info.IPAM?.Config?.[0]?.Subnet;
      if (subnet !== net.subnet) {
        throw new HostError(`Docker network ${net.name} has subnet ${subnet ?? '(none)'} but lab ${plan.name} plans ${net.subnet}; run \`cairn lab down --name ${plan.name}\` first`);
      }
      p.phase(`network ${net.name} ${net.subnet}: exists`);
    }
    return created;
  }

  /** See bridge-offload.ts: true when the external bridge's setting changed. */
  async #externalOffloadOff(plan: LabPlan, p: Progress): Promise<boolean> {
    const external = await inspectNetwork(this.docker, plan.external.name);
    if (!external) return false;
    const device = bridgeDevice(external);
    if (!(await txChecksumOff(device))) return false;
    p.phase(`network ${plan.external.name}: transmit checksum offload off on ${device} (so TCP from this host reaches the guests)`);
    return true;
  }

  async #ensureGateway(
    plan: LabPlan,
    image: string,
    info: Docker.ContainerInspectInfo | undefined,
    stale: boolean,
    networksCreated: boolean,
    p: Progress,
  ): Promise<boolean> {
    const name = gatewayContainerName(plan.name);
    const what = `gateway ${name} (NTP on ${plan.management.gateway}:123, package cache on port ${APT_CACHE_PORT})`;
    const container = this.docker.getContainer(name);
    if (info && stale) {
      // Stateless: recreating it is safe, and is how a changed config or image takes effect.
      await container.remove({ force: true });
      info = undefined;
      p.phase(`${what}: spec changed, recreating`);
    }
    let action: string;
    if (!info) {
      // The cache volume outlives gateways (and `lab down`): made once, with its label.
      const volume = aptCacheVolumeSpec(plan);
      const have = await this.docker.listVolumes({ filters: { name: [volume.Name!] } });
      if (!(have.Volumes ?? []).some((v) => v.Name === volume.Name)) {
        await this.docker.createVolume(volume);
        p.phase(`volume ${volume.Name}: created (the lab's package cache)`);
      }
      await this.docker.createContainer(gatewayContainerSpec(plan, image));
      await container.start();
      action = 'started';
    } else if (!info.State.Running) {
      await container.start();
      action = 'started';
    } else if (networksCreated) {
      // chronyd bound the old bridge's address; the re-created bridge needs a fresh socket.
      await container.restart();
      action = 'restarted (networks were re-created)';
    } else {
      p.phase(`${what}: running`);
      return false;
    }
    // chronyd exits at once when it cannot bind (e.g. the address is missing): say so now.
    await sleep(300);
    const after = await container.inspect();
    if (!after.State.Running) {
      const logs = (await container.logs({ stdout: true, stderr: true, tail: 20 })).toString();
      throw new HostError(`${what} exited (${after.State.ExitCode}):\n${tail(logs, 15)}`, { logFile: p.logFile });
    }
    p.phase(`${what}: ${action}`);
    return true;
  }

  /** Removes nodes of the lab that the plan no longer has (the shape got smaller). */
  async #removeExtraNodes(plan: LabPlan, p: Progress): Promise<string[]> {
    const removed: string[] = [];
    const wanted = new Set(plan.nodes.map((n) => n.name));
    for (const c of await labContainers(this.docker, plan.name)) {
      const role = c.Labels[LABELS.role];
      const name = (c.Names[0] ?? '').replace(/^\//, '');
      if ((role === 'controller' || role === 'compute') && !wanted.has(name)) {
        await this.docker.getContainer(c.Id).remove({ force: true, v: true });
        await this.docker.getVolume(nodeDockerVolumeName(name)).remove().catch(() => undefined);
        p.phase(`${name}: removed (not in the lab's shape any more)`);
        removed.push(name);
      }
    }
    return removed;
  }

  async #ensureNode(
    plan: LabPlan,
    node: LabNode,
    image: string,
    info: Docker.ContainerInspectInfo | undefined,
    publicKey: string,
    p: Progress,
  ): Promise<{ row: NodeRow; hostKeys: NodeHostKeys; changed: boolean }> {
    const container = this.docker.getContainer(node.name);
    const external = this.docker.getNetwork(plan.external.name);
    let action: string;
    if (!info) {
      // A new node gets a fresh disk: a volume left from an earlier node of that name goes.
      const volume = nodeVolumeSpec(plan, node);
      await this.docker.getVolume(volume.Name!).remove().catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404) throw e;
      });
      await this.docker.createVolume(volume);
      await this.docker.createContainer(nodeContainerSpec(plan, node, image));
      await container.start();
      await external.connect(externalEndpoint(node));
      action = 'created';
    } else {
      if (image !== '') {
        const wanted = nodeContainerSpec(plan, node, image).Labels?.[LABELS.spec];
        if (info.Config.Labels?.[LABELS.spec] !== wanted) {
          p.warn(`${node.name} was made from an older node image or spec; it is kept as it is (\`cairn lab down\` then \`cairn lab up\` rebuilds it)`);
        }
      }
      const attached = plan.external.name in (info.NetworkSettings.Networks ?? {});
      if (info.State.Paused) {
        await container.unpause();
        action = 'unpaused';
      } else if (!info.State.Running) {
        // Docker attaches a starting container's networks in no fixed order: start it on the
        // management network alone so that stays eth0, then attach the external one (eth1).
        if (attached) await external.disconnect({ Container: node.name, Force: true });
        await container.start();
        await external.connect(externalEndpoint(node));
        action = 'started';
      } else if (!attached) {
        await external.connect(externalEndpoint(node));
        action = 'external network attached';
      } else {
        action = 'running';
      }
    }

    await this.#waitForBoot(node, p);
    const setup = await execIn(this.docker, node.name, ['sh', '-c', nodeSetupScript(plan, node, publicKey)]);
    p.log(`${node.name} setup (exit ${setup.code}):\n${setup.stdout}${setup.stderr}`);
    if (setup.code !== 0) {
      throw new HostError(`${node.name}: node setup failed (exit ${setup.code}): ${tail(setup.stderr || setup.stdout, 5)}`, { logFile: p.logFile });
    }
    const changed = parseSetupOutput(setup.stdout);
    const keys = await execIn(this.docker, node.name, [...HOST_KEYS_ARGV]);
    if (keys.code !== 0) throw new HostError(`${node.name}: cannot read its SSH host keys: ${tail(keys.stderr, 3)}`, { logFile: p.logFile });
    p.phase(`${node.name}: ${action}${changed.length > 0 ? `; set ${changed.join(', ')}` : '; unchanged'}`);
    return {
      row: { name: node.name, role: node.role, managementAddress: node.managementAddress, externalAddress: node.externalAddress, state: 'running' },
      hostKeys: { names: [node.name, node.managementAddress], publicKeys: keys.stdout.split('\n').filter(Boolean) },
      changed: action !== 'running' || changed.length > 0,
    };
  }

  /** Waits for systemd to finish booting the node (`running`, or `degraded` with a warning). */
  async #waitForBoot(node: LabNode, p: Progress): Promise<void> {
    const deadline = Date.now() + BOOT_DEADLINE_MS;
    let state = '';
    while (Date.now() < deadline) {
      state = (await execIn(this.docker, node.name, [...SYSTEM_STATE_ARGV])).stdout.trim();
      if (state === 'running') return;
      if (state === 'degraded') {
        const failed = await execIn(this.docker, node.name, [...FAILED_UNITS_ARGV]);
        p.warn(`${node.name} booted degraded; failed units: ${failed.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]).join(', ')}`);
        return;
      }
      // 'offline' is what systemctl says before PID 1 answers on its bus: early in a boot, and
      // for seconds when 20 nodes boot at once on two cores. A node that stays so hits the deadline.
      if (!['initializing', 'starting', 'offline', ''].includes(state)) break;
      await sleep(250);
    }
    throw new HostError(`${node.name} did not finish booting (systemctl is-system-running: ${state || 'no answer'}); see \`docker logs ${node.name}\``, { logFile: p.logFile });
  }

  async down(lab: string, ctx: ProviderContext, purge = false): Promise<string[]> {
    const removed: string[] = [];
    const containers = await labContainers(this.docker, lab);
    await Promise.all(
      containers.map(async (c) => {
        const name = (c.Names[0] ?? c.Id).replace(/^\//, '');
        await this.docker.getContainer(c.Id).remove({ force: true, v: true });
        removed.push(`container ${name}`);
        ctx.progress.phase(`container ${name}: removed`);
      }),
    );
    for (const v of await labVolumes(this.docker, lab)) {
      await this.docker.getVolume(v).remove();
      removed.push(`volume ${v}`);
      ctx.progress.phase(`volume ${v}: removed`);
    }
    if (purge) {
      const cache = await this.docker.listVolumes({ filters: { label: [`${LABELS.aptCache}=${lab}`] } });
      for (const v of cache.Volumes ?? []) {
        await this.docker.getVolume(v.Name).remove();
        removed.push(`volume ${v.Name}`);
        ctx.progress.phase(`volume ${v.Name}: removed (the lab's package cache)`);
      }
    }
    for (const n of await labNetworks(this.docker, lab)) {
      await this.docker.getNetwork(n.Id).remove();
      removed.push(`network ${n.Name}`);
      ctx.progress.phase(`network ${n.Name}: removed`);
    }
    return removed;
  }

  async status(plan: LabPlan | undefined, lab: string): Promise<LabObservation> {
    const containers = await labContainers(this.docker, lab);
    const networks = await labNetworks(this.docker, lab);
    const byName = new Map(containers.map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c]));
    const rows: NodeRow[] = [];
    for (const n of plan?.nodes ?? []) {
      rows.push({
        name: n.name,
        role: n.role,
        managementAddress: n.managementAddress,
        externalAddress: n.externalAddress,
        state: byName.get(n.name)?.State ?? 'missing',
      });
      byName.delete(n.name);
    }
    // Containers of the lab the plan does not know (no lab.json, or a changed shape).
    const gatewayName = gatewayContainerName(lab);
    const gateway = byName.get(gatewayName);
    byName.delete(gatewayName);
    for (const [name, c] of byName) {
      const nets = c.NetworkSettings?.Networks ?? {};
      const addr = (net: string): string => nets[net]?.IPAMConfig?.IPv4Address ?? nets[net]?.IPAddress ?? '-';
      rows.push({
        name,
        role: c.Labels[LABELS.role] ?? '?',
        managementAddress: addr(networkName(lab, 'management')),
        externalAddress: addr(networkName(lab, 'external')),
        state: c.State,
      });
    }
    const planned = plan ? [plan.management, plan.external] : [];
    const netRows = planned.map((pn) => ({ name: pn.name, subnet: pn.subnet, exists: networks.some((n) => n.Name === pn.name) }));
    for (const n of networks) {
      if (!netRows.some((r) => r.name === n.Name)) netRows.push({ name: n.Name, subnet: n.IPAM?.Config?.[0]?.Subnet ?? '-', exists: true });
    }
    return {
      exists: containers.length > 0 || networks.length > 0,
      networks: netRows,
      gateway: { name: gatewayName, state: gateway?.State ?? 'missing' },
      nodes: rows,
    };
  }
}
