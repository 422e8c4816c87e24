/**
 * The lab's address plan: pure, so every address is decided (and tested) before anything runs.
 *
 * All lab addresses are in 198.18.0.0/15, the block RFC 2544 reserves for test labs. Each lab
 * gets a *slot* S in 10..249 and with it two /24 networks:
 *
 *     management  198.18.S.0/24   (eth0 on every node; default route, NAT to Debian's archive)
 *     external    198.19.S.0/24   (eth1 on every node; Neutron's provider network, br-ex)
 *
 * The host is .1 on both (Docker's bridge gateway; NTP server). Controllers are .11-.19, computes
 * .21-.99, the same last octet on both networks, so `lab-cmp2` is 198.18.S.22 and 198.19.S.22.
 *
 * Slot choice: the default lab `lab` prefers slot 10 (198.18.10.0/24, as the docs show); any
 * other name prefers a slot derived from a hash of the name. When that slot is taken by another
 * lab, or by any Docker network overlapping its subnets, the next free slot is used. Once chosen,
 * a slot is recorded (in the lab's own network labels and in .cairn/labs/NAME/lab.json) and
 * kept, so the addresses of a lab do not change between runs. The Docker engine is the registry
 * of slots in use; lab.json files of labs that are down still reserve theirs.
 */
import { nodeName, networkName, gatewayHostName, type LabRole, type NetworkKind } from './lab-name.js';

/** Lowest and highest slot (the third octet of both lab subnets). */
export const SLOT_MIN = 10;
export const SLOT_MAX = 249;
/** The default lab's slot: 198.18.10.0/24 and 198.19.10.0/24. */
export const DEFAULT_LAB_SLOT = 10;

/** How many nodes of each role a lab has. */
export interface LabShape {
  controllers: number;
  computes: number;
}

/** Limits of the address plan: the last octets reserved per role. */
export const SHAPE_LIMITS = {
  controllers: { min: 1, max: 9, firstHost: 11 },
  computes: { min: 0, max: 79, firstHost: 21 },
} as const;

/** One of the lab's two networks. */
export interface LabNetwork {
  kind: NetworkKind;
  /** Docker network name. */
  name: string;
  /** `198.18.S.0/24` */
  subnet: string;
  /** The host's address on it: `198.18.S.1`. */
  gateway: string;
  prefixLength: number;
  /** Node interface on this network: management is eth0, external eth1. */
  interface: 'eth0' | 'eth1';
}

/** One node of the lab. */
export interface LabNode {
  name: string;
  role: LabRole;
  /** 1-based index within its role. */
  index: number;
  managementAddress: string;
  externalAddress: string;
}

/** Everything about a lab that follows from its name, shape and slot. */
export interface LabPlan {
  name: string;
  slot: number;
  shape: LabShape;
  management: LabNetwork;
  external: LabNetwork;
  /** Controllers first, then computes, each by index. */
  nodes: LabNode[];
  /** Host name the nodes know the gateway (the host) by. */
  gatewayName: string;
}

/** Why `shape` cannot be planned, or undefined when it can. */
export function shapeProblem(shape: LabShape): string | undefined {
  for (const key of ['controllers', 'computes'] as const) {
    const { min, max } = SHAPE_LIMITS[key];
    const n = shape[key];
    if (!Number.isInteger(n) || n < min || n > max) return `--${key} must be a whole number from ${min} to ${max}, not ${n}`;
  }
  return undefined;
}

/** 32-bit FNV-1a: a stable, dependency-free hash of the lab name. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The slot a lab named `name` gets when nothing else is in the way. */
export function preferredSlot(name: string): number {
  if (name === 'lab') return DEFAULT_LAB_SLOT;
  // Slot 10 stays free for the default lab.
  return SLOT_MIN + 1 + (fnv1a(name) % (SLOT_MAX - SLOT_MIN));
}

/**
 * The slot for lab `name`: `previous` (its recorded slot) if it is still free, else the first
 * free slot from the preferred one upwards, wrapping around. Undefined when all are taken.
 */
export function chooseSlot(name: string, taken: ReadonlySet<number>, previous?: number): number | undefined {
  if (previous !== undefined && previous >= SLOT_MIN && previous <= SLOT_MAX && !taken.has(previous)) return previous;
  const count = SLOT_MAX - SLOT_MIN + 1;
  const start = preferredSlot(name) - SLOT_MIN;
  for (let i = 0; i < count; i++) {
    const slot = SLOT_MIN + ((start + i) % count);
    if (!taken.has(slot)) return slot;
  }
  return undefined;
}

/** [first, last] address of an IPv4 CIDR as unsigned integers, or undefined if not IPv4. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(ip / size) * size;
  return [first, first + size - 1];
}

/** The two subnets of `slot`. */
export function slotSubnets(slot: number): { management: string; external: string } {
  return { management: `198.18.${slot}.0/24`, external: `198.19.${slot}.0/24` };
}

/**
 * Slots whose subnets overlap any of `subnets` (e.g. every subnet of every Docker network on the
 * engine): a lab must not be given addresses some other network already routes.
 */
export function slotsOverlapping(subnets: readonly string[]): Set<number> {
  const ranges = subnets.map(cidrRange).filter((r): r is [number, number] => r !== undefined);
  const taken = new Set<number>();
  for (let slot = SLOT_MIN; slot <= SLOT_MAX; slot++) {
    const own = Object.values(slotSubnets(slot)).map((s) => cidrRange(s)!);
    if (own.some(([a, b]) => ranges.some(([c, d]) => a <= d && c <= b))) taken.add(slot);
  }
  return taken;
}

function network(lab: string, kind: NetworkKind, subnet: string): LabNetwork {
  const base = subnet.replace(/\.0\/24$/, '');
  return {
    kind,
    name: networkName(lab, kind),
    subnet,
    gateway: `${base}.1`,
    prefixLength: 24,
    interface: kind === 'management' ? 'eth0' : 'eth1',
  };
}

/** The whole plan of lab `name` with `shape` in `slot`. Call shapeProblem() first. */
export function planLab(name: string, shape: LabShape, slot: number): LabPlan {
  const subnets = slotSubnets(slot);
  const management = network(name, 'management', subnets.management);
  const external = network(name, 'external', subnets.external);
  const nodes: LabNode[] = [];
  const add = (role: LabRole, count: number, firstHost: number): void => {
    for (let index = 1; index <= count; index++) {
      const host = firstHost + index - 1;
      nodes.push({
        name: nodeName(name, role, index),
        role,
        index,
        managementAddress: `198.18.${slot}.${host}`,
        externalAddress: `198.19.${slot}.${host}`,
      });
    }
  };
  add('controller', shape.controllers, SHAPE_LIMITS.controllers.firstHost);
  add('compute', shape.computes, SHAPE_LIMITS.computes.firstHost);
  return { name, slot, shape: { ...shape }, management, external, nodes, gatewayName: gatewayHostName(name) };
}

/** The lab's controllers (cairn deploys on the first). */
export function controllersOf(plan: LabPlan): LabNode[] {
  return plan.nodes.filter((n) => n.role === 'controller');
}

/** The lab's computes. */
export function computesOf(plan: LabPlan): LabNode[] {
  return plan.nodes.filter((n) => n.role === 'compute');
}
