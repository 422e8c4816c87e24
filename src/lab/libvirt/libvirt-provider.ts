/**
 * The libvirt provider: lab nodes as KVM (or QEMU) VMs on real hardware.
 *
 * NOT EXERCISED on the machine cairn is developed on: it has no libvirtd and no /dev/kvm. What
 * is tested there is everything this file executes, as data: the network and domain XML
 * (validated with virt-xml-validate), the cloud-init seeds and the exact commands
 * (test/lab/libvirt-plan.test.ts). This file only writes those files and runs those commands.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPlan } from '../address-plan.js';
import { cidrRange, SLOT_MAX, SLOT_MIN, slotsOverlapping } from '../address-plan.js';
import { HostError, UsageError } from '../../errors.js';
import { writeFileIfChanged } from '../files.js';
import { networkName } from '../lab-name.js';
import type { NodeHostKeys } from '../known-hosts.js';
import type { NodeRow } from '../node-table.js';
import type { LabObservation, LabProvider, ProviderContext, SlotView, UpResult } from '../provider.js';
import { runChecked, runCommand } from '../../local/run-command.js';
import { sshKeygenArgv } from '../ssh-argv.js';
import { TemplateSet } from '../../render/templates.js';
import {
  networkCreatePlan,
  networkRemoveCommands,
  nodeCreatePlan,
  nodeRemoveCommands,
  virshArgv,
  type LibvirtOptions,
} from './libvirt-plan.js';

/** Defaults for VMs: a controller runs MariaDB, RabbitMQ and every API; computes run QEMU. */
export function libvirtOptions(lab: string, baseImage: string): LibvirtOptions {
  return {
    baseImage,
    imageDir: join('/var/lib/libvirt/images', `cairn-${lab}`),
    domainType: existsSync('/dev/kvm') ? 'kvm' : 'qemu',
    memoryMiB: { controller: 8192, compute: 4096 },
    vcpus: { controller: 4, compute: 2 },
    diskSize: '40G',
    uri: 'qemu:///system',
  };
}

/** Lab machines as libvirt VMs (see the file comment: not exercised here). */
export class LibvirtProvider implements LabProvider {
  readonly name = 'libvirt' as const;
  /** VMs boot a full OS and run cloud-init before sshd answers. */
  readonly sshDeadlineMs = 300_000;
  readonly #templates = new TemplateSet();

  constructor(private readonly baseImage?: string) {}

  #options(lab: string): LibvirtOptions {
    return libvirtOptions(lab, this.baseImage ?? '');
  }

  async #virsh(uri: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
    const r = await runCommand(virshArgv(uri, ...args));
    return { code: r.code, stdout: r.stdout };
  }

  async slots(lab: string): Promise<SlotView> {
    const uri = this.#options(lab).uri;
    const taken = new Map<number, string>();
    let own: number | undefined;
    const list = await this.#virsh(uri, 'net-list', '--all', '--name').catch(() => {
      throw new HostError('virsh is not installed: run scripts/lab-host-setup.sh --provider libvirt');
    });
    if (list.code !== 0) throw new HostError('virsh net-list failed: is libvirtd running? (scripts/lab-host-setup.sh --provider libvirt)');
    for (const net of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      const xml = (await this.#virsh(uri, 'net-dumpxml', net)).stdout;
      const m = /<ip address='([\d.]+)' netmask='([\d.]+)'/.exec(xml) ?? /<ip address="([\d.]+)" netmask="([\d.]+)"/.exec(xml);
      if (!m) continue;
      const prefix = m[2]!.split('.').reduce((n, o) => n + (Number(o).toString(2).match(/1/g)?.length ?? 0), 0);
      const subnet = `${m[1]}/${prefix}`;
      if (net === networkName(lab, 'management')) {
        const third = Number(m[1]!.split('.')[2]);
        if (third >= SLOT_MIN && third <= SLOT_MAX && cidrRange(subnet)) own = third;
        continue;
      }
      if (net === networkName(lab, 'external')) continue;
      for (const s of slotsOverlapping([subnet])) taken.set(s, `libvirt network ${net}`);
    }
    return own === undefined ? { taken } : { own, taken };
  }

  async up(plan: LabPlan, publicKey: string, ctx: ProviderContext): Promise<UpResult> {
    const opts = this.#options(plan.name);
    if (!this.baseImage) throw new UsageError('--provider libvirt needs --base-image PATH: a Debian 12 cloud image (qcow2) the node disks are overlays of');
    if (!existsSync(this.baseImage)) throw new UsageError(`--base-image ${this.baseImage} does not exist`);
    const p = ctx.progress;
    const changes: string[] = [];
    mkdirSync(opts.imageDir, { recursive: true });

    for (const net of [plan.management, plan.external]) {
      const info = await this.#virsh(opts.uri, 'net-info', net.name);
      if (info.code === 0) {
        if (/Active:\s+no/.test(info.stdout)) await runChecked(virshArgv(opts.uri, 'net-start', net.name), p);
        p.phase(`network ${net.name}: exists`);
        continue;
      }
      const np = networkCreatePlan(this.#templates, plan, net, opts);
      writeFileIfChanged(np.file.path, np.file.content, np.file.mode);
      for (const argv of np.create) await runChecked(argv, p);
      changes.push(net.name);
      p.phase(`network ${net.name} ${net.subnet}: created`);
    }

    const rows: NodeRow[] = [];
    const hostKeys: NodeHostKeys[] = [];
    for (const node of plan.nodes) {
      const hostKey = await this.#hostKey(ctx, node.name);
      const state = (await this.#virsh(opts.uri, 'domstate', node.name)).stdout.trim();
      if (state === '') {
        const np = nodeCreatePlan(this.#templates, plan, node, opts, publicKey, hostKey);
        for (const f of np.files) writeFileIfChanged(f.path, f.content, f.mode);
        for (const argv of np.create) await runChecked(argv, p);
        changes.push(node.name);
        p.phase(`${node.name}: created`);
      } else if (state !== 'running') {
        await runChecked(virshArgv(opts.uri, 'start', node.name), p);
        changes.push(node.name);
        p.phase(`${node.name}: started`);
      } else {
        p.phase(`${node.name}: running`);
      }
      rows.push({ name: node.name, role: node.role, managementAddress: node.managementAddress, externalAddress: node.externalAddress, state: 'running' });
      hostKeys.push({ names: [node.name, node.managementAddress], publicKeys: [hostKey.publicKey] });
    }
    return { nodes: rows, hostKeys, changes };
  }

  /** The node's SSH host key pair, made once on the host and kept in the lab's state directory. */
  async #hostKey(ctx: ProviderContext, node: string): Promise<{ privateKey: string; publicKey: string }> {
    const dir = join(ctx.paths.stateDir, 'host-keys');
    const file = join(dir, `${node}_ed25519`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      await runChecked(sshKeygenArgv(file, `root@${node}`), ctx.progress);
    }
    return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
  }

  async down(lab: string, ctx: ProviderContext): Promise<string[]> {
    const opts = this.#options(lab);
    const removed: string[] = [];
    const list = await this.#virsh(opts.uri, 'list', '--all', '--name');
    for (const dom of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      // Only domains cairn made for this lab: named like its nodes and described as such.
      if (!dom.startsWith(`${lab}-`)) continue;
      const desc = (await this.#virsh(opts.uri, 'desc', dom)).stdout;
      if (!desc.startsWith(`cairn lab ${lab} `)) continue;
      for (const argv of nodeRemoveCommands(opts, dom)) await runCommand(argv, ctx.progress);
      removed.push(`vm ${dom}`);
      ctx.progress.phase(`vm ${dom}: removed`);
    }
    for (const net of [networkName(lab, 'management'), networkName(lab, 'external')]) {
      if ((await this.#virsh(opts.uri, 'net-info', net)).code !== 0) continue;
      for (const argv of networkRemoveCommands(opts, net)) await runCommand(argv, ctx.progress);
      removed.push(`network ${net}`);
      ctx.progress.phase(`network ${net}: removed`);
    }
    if (existsSync(opts.imageDir)) {
      rmSync(opts.imageDir, { recursive: true, force: true });
      removed.push(opts.imageDir);
    }
    return removed;
  }

  async status(plan: LabPlan | undefined, lab: string): Promise<LabObservation> {
    const opts = this.#options(lab);
    const nodes: NodeRow[] = [];
    for (const n of plan?.nodes ?? []) {
      const state = (await this.#virsh(opts.uri, 'domstate', n.name)).stdout.trim() || 'missing';
      nodes.push({ name: n.name, role: n.role, managementAddress: n.managementAddress, externalAddress: n.externalAddress, state });
    }
    const networks = [];
    for (const net of plan ? [plan.management, plan.external] : []) {
      networks.push({ name: net.name, subnet: net.subnet, exists: (await this.#virsh(opts.uri, 'net-info', net.name)).code === 0 });
    }
    return {
      exists: nodes.some((n) => n.state !== 'missing') || networks.some((n) => n.exists),
      networks,
      // The host's own NTP server serves libvirt labs; there is no gateway container.
      gateway: { name: 'host', state: 'n/a' },
      nodes,
    };
  }
}
