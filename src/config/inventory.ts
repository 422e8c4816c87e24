/**
 * The optional YAML inventory: hosts with their SSH settings and interfaces, and the groups
 * control / network / compute. Validated with a JSON schema (ajv); every problem is reported
 * with the YAML line it comes from (eemeli/yaml's source ranges).
 */
import { isAbsolute, dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isNode, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { lineAt } from './yaml-lines.js';
import type { OsFamily, Role } from './model.js';
import type { Problem } from './problems.js';
import { didYouMean } from './did-you-mean.js';
import { isIpv4, isLoopback, parseHost, parseInterface, parseInterfaceAddress, type Parsed } from './value-types.js';

/** One host as the inventory declares it (relative paths already resolved). */
export interface InventoryHost {
  name: string;
  address: string;
  sshUser: string;
  sshPort: number;
  sshKey?: string;
  knownHosts?: string;
  sudo: boolean;
  osFamily?: OsFamily;
  managementInterface?: string;
  externalInterface?: string;
  interfaces: Record<string, string>;
  gateway?: string;
  /** `inventory.yml:12`, for messages naming both places. */
  origin: string;
  line: number;
}

/** The inventory after validation. */
export interface Inventory {
  file: string;
  hosts: InventoryHost[];
  /** Members of each group, in file order, with the line of the group's list. */
  groups: Record<Role, { members: string[]; line: number }>;
}

const HOST_SETTINGS = {
  ssh_user: { type: 'string', minLength: 1 },
  ssh_port: { type: 'integer', minimum: 1, maximum: 65535 },
  ssh_key: { type: 'string', minLength: 1 },
  known_hosts: { type: 'string', minLength: 1 },
  sudo: { type: 'boolean' },
  os_family: { enum: ['debian', 'rhel'] },
} as const;

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['hosts', 'groups'],
  properties: {
    defaults: { type: 'object', additionalProperties: false, properties: HOST_SETTINGS },
    hosts: {
      type: 'object',
      minProperties: 1,
      // At most 63 characters: a host name label, and a container and directory name in the lab.
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['address'],
        properties: {
          ...HOST_SETTINGS,
          address: { type: 'string', minLength: 1 },
          management_interface: { type: 'string' },
          external_interface: { type: 'string' },
          interfaces: { type: 'object', additionalProperties: { type: 'string' } },
          gateway: { type: 'string' },
        },
      },
    },
    groups: {
      type: 'object',
      additionalProperties: false,
      required: ['control'],
      properties: {
        control: { type: 'array', items: { type: 'string' } },
        network: { type: 'array', items: { type: 'string' } },
        compute: { type: 'array', items: { type: 'string' } },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(SCHEMA);

const HOST_NAME_RULE = 'host names must start with a letter or digit, hold only letters, digits, _, . and -, and be at most 63 characters long';

/** Aliases an inventory may expand (yaml's own default, named here because the message says it). */
const MAX_ALIAS_COUNT = 100;
/** Tags that only say what plain YAML already means. */
const PLAIN_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:float']);

/** The first node with an explicit tag other than the plain ones, and its line. */
function firstExplicitTag(doc: Document, lineOf: (n: Node) => number): { tag: string; line: number } | undefined {
  let found: { tag: string; line: number } | undefined;
  visit(doc, (_key, node) => {
    if (!isNode(node) || node.tag === undefined || PLAIN_TAGS.has(node.tag)) return undefined;
    // Only a tag written in the source: resolved nodes carry none until converted.
    found = { tag: node.tag.replace(/^tag:yaml.org,2002:/, '!!'), line: lineOf(node) };
    return visit.BREAK;
  });
  return found;
}

function firstAliasLine(doc: Document, lineOf: (n: Node) => number): number {
  let line = 0;
  visit(doc, {
    Alias: (_key, node) => {
      line = lineOf(node);
      return visit.BREAK;
    },
  });
  return line;
}

/** Reads an inventory. Never throws on bad input; `inventory` is undefined when it has errors. */
export function readInventory(text: string, file: string): { inventory?: Inventory; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems: Problem[] = [];
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 0;
  const report = (line: number, key: string, message: string, severity: Problem['severity'] = 'error'): void => {
    problems.push({ severity, file, line, key, message });
  };

  for (const e of doc.errors) {
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    report(e.linePos?.[0].line ?? 0, '(yaml)', /call stack/i.test(message) ? 'is nested too deeply to read (an inventory is four levels deep)' : message);
  }
  if (doc.errors.length > 0) return { problems };
  const tagged = firstExplicitTag(doc, lineOf);
  if (tagged) {
    // !!binary turns a value into bytes, an unknown !tag into whatever it wraps: neither is
    // something an inventory needs, and both make the errors that follow meaningless.
    report(tagged.line, '(yaml)', `the tag ${tagged.tag} has no meaning in an inventory; write plain strings, numbers, lists and maps`);
    return { problems };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml refuses aliases that expand without bound ("billion laughs"); that is the input's fault.
    if (!(e instanceof ReferenceError)) throw e;
    report(firstAliasLine(doc, lineOf), '(yaml)', `aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies; an inventory needs a few at most`);
    return { problems };
  }
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const { path, message } = describeAjvError(e);
      report(lineAt(doc, path, lineOf), path.join('/') || '(top level)', message);
    }
    return { problems };
  }
  const root = data as InventoryData;
  const base = dirname(file);
  const hosts: InventoryHost[] = [];
  /** Each host's `address:` line: a clash is reported where the address is written. */
  const addressLines = new Map<string, number>();
  for (const [name, h] of Object.entries(root.hosts)) {
    const path = ['hosts', name];
    const line = lineAt(doc, path, lineOf);
    const d = root.defaults ?? {};
    const address = parseHost(h.address);
    addressLines.set(name, lineAt(doc, [...path, 'address'], lineOf));
    if (!address.ok) report(addressLines.get(name)!, `hosts/${name}/address`, address.message);
    for (const key of ['management_interface', 'external_interface'] as const) {
      const v = h[key];
      const r = v === undefined ? undefined : parseInterface(v);
      if (r && !r.ok) report(lineAt(doc, [...path, key], lineOf), `hosts/${name}/${key}`, r.message);
    }
    for (const [iface, cidr] of Object.entries(h.interfaces ?? {})) {
      const at = lineAt(doc, [...path, 'interfaces', iface], lineOf);
      const i = parseInterface(iface);
      if (!i.ok) report(at, `hosts/${name}/interfaces/${iface}`, i.message);
      const a = parseInterfaceAddress(cidr);
      if (!a.ok) report(at, `hosts/${name}/interfaces/${iface}`, a.message);
    }
    for (const key of ['management_interface', 'external_interface'] as const) {
      const v = h[key];
      if (v !== undefined && h.interfaces && Object.keys(h.interfaces).length > 0 && !(v in h.interfaces)) {
        report(lineAt(doc, [...path, key], lineOf), `hosts/${name}/${key}`, `'${v}' is not among this host's interfaces (${Object.keys(h.interfaces).join(', ')})`);
      }
    }
    if (h.gateway !== undefined) {
      // A route's next hop is an address; a name would be resolved by nobody.
      const g: Parsed<string> = !isIpv4(h.gateway)
        ? { ok: false, message: `expected the gateway's IPv4 address, got '${h.gateway}'` }
        : isLoopback(h.gateway)
          ? { ok: false, message: `'${h.gateway}' is a loopback address: no route leaves the host through it` }
          : parseHost(h.gateway);
      if (!g.ok) report(lineAt(doc, [...path, 'gateway'], lineOf), `hosts/${name}/gateway`, g.message);
    }
    const sshUser = h.ssh_user ?? d.ssh_user ?? 'root';
    const sudo = h.sudo ?? d.sudo ?? sshUser !== 'root';
    if (sshUser !== 'root' && !sudo) {
      report(line, `hosts/${name}/sudo`, `ssh_user is '${sshUser}' and sudo is false: cairn needs root on every host`);
    }
    const sshKey = h.ssh_key ?? d.ssh_key;
    const knownHosts = h.known_hosts ?? d.known_hosts;
    hosts.push({
      name,
      address: address.ok ? address.value : h.address,
      sshUser,
      sshPort: h.ssh_port ?? d.ssh_port ?? 22,
      ...(sshKey ? { sshKey: resolvePath(base, sshKey) } : {}),
      ...(knownHosts ? { knownHosts: resolvePath(base, knownHosts) } : {}),
      sudo,
      ...((h.os_family ?? d.os_family) ? { osFamily: (h.os_family ?? d.os_family)! } : {}),
      ...(h.management_interface ? { managementInterface: h.management_interface } : {}),
      ...(h.external_interface ? { externalInterface: h.external_interface } : {}),
      interfaces: { ...(h.interfaces ?? {}) },
      ...(h.gateway ? { gateway: h.gateway } : {}),
      origin: `${file}:${line}`,
      line,
    });
  }

  const names = hosts.map((h) => h.name);
  const addresses = new Map<string, string>();
  for (const h of hosts) {
    const other = addresses.get(h.address);
    if (other) report(addressLines.get(h.name) ?? h.line, `hosts/${h.name}/address`, `${h.address} is also the address of ${other}`);
    addresses.set(h.address, h.name);
  }
  const groups = {} as Inventory['groups'];
  for (const role of ['control', 'network', 'compute'] as const) {
    const members = root.groups[role] ?? [];
    groups[role] = { members, line: lineAt(doc, ['groups', role], lineOf) };
    members.forEach((m, i) => {
      const at = lineAt(doc, ['groups', role, i], lineOf);
      if (!names.includes(m)) {
        const s = didYouMean(m, names);
        report(at, `groups/${role}/${i}`, `'${m}' is not a host under hosts:${s ? `; did you mean ${s}?` : ''}`);
      } else if (members.indexOf(m) !== i) {
        report(at, `groups/${role}/${i}`, `'${m}' is listed twice`);
      }
    });
  }
  if (groups.control.members.length !== 1) {
    report(groups.control.line, 'groups/control', `expected exactly one control host (cairn deploys a single controller), got ${groups.control.members.length}`);
  }
  for (const h of hosts) {
    if (!(['control', 'network', 'compute'] as const).some((r) => groups[r].members.includes(h.name))) {
      report(h.line, `hosts/${h.name}`, 'is in no group (control, network or compute): nothing is deployed there', 'warning');
    }
  }
  if (problems.some((p) => p.severity === 'error')) return { problems };
  return { inventory: { file, hosts, groups }, problems };
}

interface HostData {
  address: string;
  ssh_user?: string;
  ssh_port?: number;
  ssh_key?: string;
  known_hosts?: string;
  sudo?: boolean;
  os_family?: OsFamily;
  management_interface?: string;
  external_interface?: string;
  interfaces?: Record<string, string>;
  gateway?: string;
}
interface InventoryData {
  defaults?: Omit<HostData, 'address' | 'interfaces' | 'gateway' | 'management_interface' | 'external_interface'>;
  hosts: Record<string, HostData>;
  groups: Partial<Record<Role, string[]>>;
}

function resolvePath(base: string, p: string): string {
  if (p.startsWith('~/')) return p; // expanded where it is used, against the user running cairn
  return isAbsolute(p) ? p : resolve(base, p);
}

const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', integer: 'a whole number', string: 'a string', boolean: 'true or false' };

/** Turns an ajv error into a YAML path and a message a user understands. */
function describeAjvError(e: ErrorObject): { path: (string | number)[]; message: string } {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const known = Object.keys(knownPropertiesAt(path));
      const s = didYouMean(extra, known);
      return { path: [...path, extra], message: `unknown key${s ? `; did you mean ${s}?` : `; expected one of ${known.join(', ')}`}` };
    }
    case 'required':
      return { path, message: `missing required key '${String(e.params.missingProperty)}'` };
    case 'enum':
      return { path, message: `expected one of ${(e.params.allowedValues as unknown[]).join(', ')}` };
    case 'type':
      return { path, message: `expected ${TYPE_NAMES[String(e.params.type)] ?? String(e.params.type)}` };
    case 'propertyNames':
      return { path: [...path, String(e.params.propertyName).slice(0, 80)], message: HOST_NAME_RULE };
    case 'pattern':
      return { path, message: HOST_NAME_RULE };
    default:
      return { path, message: e.message ?? 'invalid' };
  }
}

function knownPropertiesAt(path: (string | number)[]): Record<string, unknown> {
  if (path.length === 0) return SCHEMA.properties;
  if (path[0] === 'defaults') return HOST_SETTINGS;
  if (path[0] === 'groups') return SCHEMA.properties.groups.properties;
  if (path[0] === 'hosts' && path.length === 2) return SCHEMA.properties.hosts.additionalProperties.properties;
  return {};
}
