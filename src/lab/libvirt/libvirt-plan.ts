/**
 * The libvirt provider as data: network and domain XML, cloud-init seeds, and the commands that
 * make the disks, seeds, networks and VMs. Pure; libvirt-provider.ts writes the files and runs
 * the commands in order.
 *
 * Nodes are VMs booted from a Debian cloud image (qcow2) through per-node overlays
 * (`qemu-img create -b BASE -F qcow2`), configured by a NoCloud seed ISO. Same address plan,
 * node names, interface names (eth0 management, eth1 external, set by MAC in network-config)
 * and inventory as the Docker provider.
 */
import { join } from 'node:path';
import type { LabNetwork, LabNode, LabPlan } from '../address-plan.js';
import type { TemplateSet } from '../../render/templates.js';
import { hostsBlock } from '../node-setup.js';

/** Choices a libvirt lab needs beyond the plan. */
export interface LibvirtOptions {
  /** The Debian cloud image (qcow2) every node disk is an overlay of. */
  baseImage: string;
  /** Directory for this lab's disks and seeds, readable by libvirt's qemu user. */
  imageDir: string;
  /** `kvm` where /dev/kvm exists, else `qemu` (software emulation). */
  domainType: 'kvm' | 'qemu';
  memoryMiB: { controller: number; compute: number };
  vcpus: { controller: number; compute: number };
  /** Overlay disk size, e.g. `40G`. */
  diskSize: string;
  /** libvirt URI, e.g. qemu:///system. */
  uri: string;
}

/** A file to write before running the commands. */
export interface PlannedFile {
  path: string;
  content: string;
  mode: number;
}

/** One node's host key pair, made on the host (ssh-keygen) and handed to cloud-init. */
export interface NodeHostKey {
  privateKey: string;
  publicKey: string;
}

/** Everything to do for one node. */
export interface LibvirtNodePlan {
  node: LabNode;
  disk: string;
  seed: string;
  files: PlannedFile[];
  /** qemu-img overlay, seed ISO, virsh define, virsh start. */
  create: string[][];
}

/** Deterministic MAC: QEMU's 52:54:00 prefix, then slot, network, host octet. */
export function nodeMac(plan: LabPlan, net: LabNetwork, node: LabNode): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  const host = Number(node.managementAddress.split('.')[3]);
  return `52:54:00:${hex(plan.slot)}:${net.kind === 'management' ? '0a' : '0b'}:${hex(host)}`;
}

/** XML text escaping for values placed in attributes or text. */
export function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

function netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

/** libvirt network XML: management with NAT, external isolated (as in the Docker provider). */
export function networkXml(templates: TemplateSet, plan: LabPlan, net: LabNetwork): string {
  return templates.get('lab/libvirt/network.xml.hbs')({
    lab: plan.name,
    kind: net.kind,
    name: xmlEscape(net.name),
    nat: net.kind === 'management',
    gateway: net.gateway,
    netmask: netmask(net.prefixLength),
  });
}

/** libvirt domain XML of one node. */
export function domainXml(templates: TemplateSet, plan: LabPlan, node: LabNode, opts: LibvirtOptions, disk: string, seed: string): string {
  const role = node.role;
  return templates.get('lab/libvirt/domain.xml.hbs')({
    lab: plan.name,
    name: xmlEscape(node.name),
    role,
    domainType: opts.domainType,
    memoryMiB: opts.memoryMiB[role],
    vcpus: opts.vcpus[role],
    disk: xmlEscape(disk),
    seed: xmlEscape(seed),
    interfaces: [plan.management, plan.external].map((net) => ({ mac: nodeMac(plan, net, node), network: xmlEscape(net.name) })),
  });
}

/** cloud-init NoCloud files of one node: meta-data, user-data, network-config. */
export function cloudInitFiles(templates: TemplateSet, plan: LabPlan, node: LabNode, publicKey: string, hostKey: NodeHostKey): Record<'meta-data' | 'user-data' | 'network-config', string> {
  const addresses = { management: node.managementAddress, external: node.externalAddress };
  return {
    'meta-data': templates.get('lab/libvirt/meta-data.hbs')({ instanceId: `cairn-${node.name}`, name: node.name }),
    'user-data': templates.get('lab/libvirt/user-data.hbs')({
      lab: plan.name,
      name: node.name,
      role: node.role,
      publicKey: publicKey.trim(),
      hostKeyPrivateLines: hostKey.privateKey.trimEnd().split('\n'),
      hostKeyPublic: hostKey.publicKey.trim(),
      hostsLines: hostsBlock(plan).split('\n'),
      gateway: plan.management.gateway,
    }),
    'network-config': templates.get('lab/libvirt/network-config.hbs')({
      lab: plan.name,
      name: node.name,
      interfaces: [plan.management, plan.external].map((net) => ({
        ifname: net.interface,
        mac: nodeMac(plan, net, node),
        address: `${addresses[net.kind]}/${net.prefixLength}`,
        isManagement: net.kind === 'management',
        gateway: net.gateway,
      })),
    }),
  };
}

/** `qemu-img create`: a copy-on-write overlay of the base image (which is never written). */
export function overlayArgv(base: string, overlay: string, size: string): string[] {
  return ['qemu-img', 'create', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay, size];
}

/** `genisoimage`: the NoCloud seed (volume id `cidata`) from the three cloud-init files. */
export function seedIsoArgv(iso: string, dir: string): string[] {
  return ['genisoimage', '-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', join(dir, 'user-data'), join(dir, 'meta-data'), join(dir, 'network-config')];
}

/** `virsh` against the lab's libvirt URI. */
export function virshArgv(uri: string, ...args: string[]): string[] {
  return ['virsh', '--connect', uri, ...args];
}

/** Files and commands to create one node from nothing. */
export function nodeCreatePlan(templates: TemplateSet, plan: LabPlan, node: LabNode, opts: LibvirtOptions, publicKey: string, hostKey: NodeHostKey): LibvirtNodePlan {
  const dir = join(opts.imageDir, node.name);
  const disk = join(dir, 'disk.qcow2');
  const seed = join(dir, 'seed.iso');
  const ci = cloudInitFiles(templates, plan, node, publicKey, hostKey);
  const domainFile = join(dir, 'domain.xml');
  return {
    node,
    disk,
    seed,
    files: [
      // user-data holds the node's private host key.
      { path: join(dir, 'user-data'), content: ci['user-data'], mode: 0o600 },
      { path: join(dir, 'meta-data'), content: ci['meta-data'], mode: 0o644 },
      { path: join(dir, 'network-config'), content: ci['network-config'], mode: 0o644 },
      { path: domainFile, content: domainXml(templates, plan, node, opts, disk, seed), mode: 0o644 },
    ],
    create: [
      overlayArgv(opts.baseImage, disk, opts.diskSize),
      seedIsoArgv(seed, dir),
      virshArgv(opts.uri, 'define', domainFile),
      virshArgv(opts.uri, 'start', node.name),
    ],
  };
}

/** Commands that remove one node (each may fail harmlessly when already gone). */
export function nodeRemoveCommands(opts: LibvirtOptions, node: string): string[][] {
  return [virshArgv(opts.uri, 'destroy', node), virshArgv(opts.uri, 'undefine', node)];
}

/** Files and commands to create one lab network. */
export function networkCreatePlan(templates: TemplateSet, plan: LabPlan, net: LabNetwork, opts: LibvirtOptions): { file: PlannedFile; create: string[][] } {
  const path = join(opts.imageDir, `${net.name}.xml`);
  return {
    file: { path, content: networkXml(templates, plan, net), mode: 0o644 },
    create: [virshArgv(opts.uri, 'net-define', path), virshArgv(opts.uri, 'net-start', net.name)],
  };
}

/** Commands that remove one lab network. */
export function networkRemoveCommands(opts: LibvirtOptions, net: string): string[][] {
  return [virshArgv(opts.uri, 'net-destroy', net), virshArgv(opts.uri, 'net-undefine', net)];
}
