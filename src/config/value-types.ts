/**
 * Value types of answer-file keys: each parses a raw string into a typed value, or says what
 * was expected. Pure and small, so every rule is tested by exact message.
 */
import type { BridgeIface, BridgeMapping, Range, VlanRange } from './model.js';

/** The outcome of parsing one value. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** Splits a comma-separated list, trimming items and dropping empty ones. */
export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses each item of a comma-separated list; the first bad item decides the message. */
function listOf<T>(raw: string, item: (s: string) => Parsed<T>): Parsed<T[]> {
  const out: T[] = [];
  for (const s of splitList(raw)) {
    const r = item(s);
    if (!r.ok) return fail(r.message);
    out.push(r.value);
  }
  return ok(out);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const IFACE = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$/;

/** True for a dotted-quad IPv4 address. */
export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** IPv4 as a 32-bit unsigned number. */
export function ipv4ToNumber(s: string): number {
  return s.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** yes/no: `y`/`n` as Packstack writes them (also yes/no/true/false, any case). */
export function parseYesNo(raw: string): Parsed<boolean> {
  const v = raw.toLowerCase();
  if (['y', 'yes', 'true'].includes(v)) return ok(true);
  if (['n', 'no', 'false'].includes(v)) return ok(false);
  return fail(`expected y or n, got '${raw}'`);
}

/** True for 127.0.0.0/8: every host's own address for itself (rules allow it for one host only). */
export function isLoopback(ip: string): boolean {
  return IPV4.test(ip) && ip.startsWith('127.');
}

/**
 * Why an IPv4 address can be no host's at all, or undefined for a unicast address. Loopback is
 * not refused here: it works when one host is the whole deployment (the rule
 * loopback-only-on-one-host says when it does not).
 */
export function notAHostAddress(ip: string): string | undefined {
  const first = Number(ip.split('.')[0]);
  if (first === 0) return `'${ip}' means "this host, any address" (0.0.0.0/8), not an address other hosts can reach`;
  if (first >= 224 && first <= 239) return `'${ip}' is a multicast group (224.0.0.0/4), not a host's address`;
  if (ip === '255.255.255.255') return `'${ip}' is the broadcast address, not a host's address`;
  if (first >= 240) return `'${ip}' is in the reserved range 240.0.0.0/4, not a usable host address`;
  return undefined;
}

/**
 * An IPv4 address or a host name. A number-and-dots string that is not an address is refused,
 * and so are addresses that are nobody's (0.0.0.0, multicast, broadcast, 240.0.0.0/4).
 */
export function parseHost(raw: string): Parsed<string> {
  if (IPV4.test(raw)) {
    const why = notAHostAddress(raw);
    return why ? fail(why) : ok(raw);
  }
  if (/^[\d.]+$/.test(raw)) return fail(`'${raw}' is not a valid IPv4 address`);
  if (HOSTNAME.test(raw)) return ok(raw.toLowerCase());
  return fail(`expected an IPv4 address or a host name, got '${raw}'`);
}

/** A comma-separated list of hosts, without duplicates. */
export function parseHostList(raw: string): Parsed<string[]> {
  const r = listOf(raw, parseHost);
  if (!r.ok) return r;
  const dup = r.value.find((h, i) => r.value.indexOf(h) !== i);
  return dup ? fail(`'${dup}' is listed twice`) : r;
}

/** An IPv4 CIDR such as 172.24.4.0/24, with no host bits set. */
export function parseCidr(raw: string): Parsed<string> {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(raw);
  if (!m || !IPV4.test(m[1]!) || Number(m[2]) > 32) {
    return fail(`expected an IPv4 network in CIDR form such as 172.24.4.0/24, got '${raw}'`);
  }
  const prefix = Number(m[2]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((ipv4ToNumber(m[1]!) & ~mask) >>> 0 !== 0) {
    return fail(`'${raw}' has host bits set; the network is ${numberToIpv4((ipv4ToNumber(m[1]!) & mask) >>> 0)}/${prefix}`);
  }
  return ok(raw);
}

/** An interface address with its prefix, e.g. 198.18.10.11/24 (host bits allowed). */
export function parseInterfaceAddress(raw: string): Parsed<string> {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(raw);
  if (!m || !IPV4.test(m[1]!) || Number(m[2]) > 32) {
    return fail(`expected an IPv4 address with prefix length such as 198.18.10.11/24, got '${raw}'`);
  }
  return ok(raw);
}

/** A 32-bit unsigned number as a dotted-quad IPv4 address. */
export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** An IPv4 multicast group (224.0.0.0/4). */
export function parseMulticast(raw: string): Parsed<string> {
  if (!IPV4.test(raw)) return fail(`expected an IPv4 multicast address such as 239.1.1.1, got '${raw}'`);
  const first = Number(raw.split('.')[0]);
  if (first < 224 || first > 239) return fail(`'${raw}' is not a multicast address (expected 224.0.0.0 to 239.255.255.255)`);
  return ok(raw);
}

/** A TCP/UDP port number 1-65535. */
export function parsePort(raw: string): Parsed<number> {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    return fail(`expected a port number from 1 to 65535, got '${raw}'`);
  }
  return ok(Number(raw));
}

/** A whole number within bounds. */
export function parseInteger(raw: string, min: number, max: number): Parsed<number> {
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    return fail(`expected a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return ok(Number(raw));
}

/** The largest allocation ratio accepted: Nova takes any float, no real cloud goes near this. */
export const MAX_RATIO = 1000;

/** A positive decimal number of at most MAX_RATIO (allocation ratios). */
export function parsePositiveNumber(raw: string): Parsed<number> {
  if (!/^\d{1,12}(\.\d{1,12})?$/.test(raw) || Number(raw) <= 0 || Number(raw) > MAX_RATIO) {
    return fail(`expected a positive number up to ${MAX_RATIO} such as 1.5, got '${shorten(raw)}'`);
  }
  return ok(Number(raw));
}

/** `raw`, or its first 40 characters and its length when it is longer (messages stay one line). */
export function shorten(raw: string): string {
  return raw.length <= 48 ? raw : `${raw.slice(0, 40)}... (${raw.length} characters)`;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(raw: string, choices: readonly T[]): Parsed<T> {
  const v = raw.toLowerCase() as T;
  return choices.includes(v) ? ok(v) : fail(`expected one of ${choices.join(', ')}, got '${raw}'`);
}

/** A comma-separated list of words from a fixed set, without duplicates. */
export function parseChoiceList<T extends string>(raw: string, choices: readonly T[]): Parsed<T[]> {
  const r = listOf(raw, (s) => parseChoice(s, choices));
  if (!r.ok) return r;
  const dup = r.value.find((v, i) => r.value.indexOf(v) !== i);
  return dup ? fail(`'${dup}' is listed twice`) : r;
}

/** The longest name accepted (Neutron caps physnet names at 64, Keystone region ids at 255). */
export const MAX_NAME_LENGTH = 64;

/** A name such as a physnet, bridge or region: letters, digits, `_`, `.`, `-`, at most 64 of them. */
export function parseName(raw: string): Parsed<string> {
  if (!NAME.test(raw)) return fail(`expected a name of letters, digits, '_', '.' or '-', got '${shorten(raw)}'`);
  if (raw.length > MAX_NAME_LENGTH) return fail(`expected a name of at most ${MAX_NAME_LENGTH} characters, got ${shorten(raw)}`);
  return ok(raw);
}

/** A Linux interface name (at most 15 characters). */
export function parseInterface(raw: string): Parsed<string> {
  return IFACE.test(raw) ? ok(raw) : fail(`expected a network interface name such as eth1 (at most 15 characters), got '${raw}'`);
}

function parsePair(raw: string, left: string, right: string, example: string, rightParser: (s: string) => Parsed<string>): Parsed<[string, string]> {
  const parts = raw.split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return fail(`expected ${left}:${right} pairs such as ${example}, got '${raw}'`);
  }
  const l = parseName(parts[0]!);
  if (!l.ok) return fail(`${left} in '${raw}': ${l.message}`);
  const r = rightParser(parts[1]!);
  if (!r.ok) return fail(`${right} in '${raw}': ${r.message}`);
  return ok([l.value, r.value]);
}

/** `physnet:bridge[,physnet:bridge...]` (CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS). */
export function parseBridgeMappings(raw: string): Parsed<BridgeMapping[]> {
  const r = listOf(raw, (s) => parsePair(s, 'physnet', 'bridge', 'physnet1:br-ex', parseName));
  if (!r.ok) return r;
  const mappings = r.value.map(([physnet, bridge]) => ({ physnet, bridge }));
  const physnets = mappings.map((m) => m.physnet);
  const dupPhysnet = physnets.find((p, i) => physnets.indexOf(p) !== i);
  if (dupPhysnet) return fail(`physnet '${dupPhysnet}' is mapped twice`);
  const bridges = mappings.map((m) => m.bridge);
  const dupBridge = bridges.find((b, i) => bridges.indexOf(b) !== i);
  if (dupBridge) return fail(`bridge '${dupBridge}' is mapped to two physnets`);
  return ok(mappings);
}

/** `bridge:iface[,bridge:iface...]` (CONFIG_NEUTRON_OVS_BRIDGE_IFACES). */
export function parseBridgeIfaces(raw: string): Parsed<BridgeIface[]> {
  const r = listOf(raw, (s) => parsePair(s, 'bridge', 'iface', 'br-ex:eth1', parseInterface));
  if (!r.ok) return r;
  const pairs = r.value.map(([bridge, iface]) => ({ bridge, iface }));
  const ifaces = pairs.map((p) => p.iface);
  const dup = ifaces.find((x, i) => ifaces.indexOf(x) !== i);
  return dup ? fail(`interface '${dup}' is put into two bridges`) : ok(pairs);
}

function parseRange(raw: string, max: number): Parsed<Range> {
  const m = /^(\d+):(\d+)$/.exec(raw);
  if (!m) return fail(`expected min:max ranges such as 10:100, got '${raw}'`);
  const min = Number(m[1]);
  const hi = Number(m[2]);
  if (min < 1 || hi > max) return fail(`range '${raw}' must lie within 1:${max}`);
  if (min > hi) return fail(`range '${raw}' starts after it ends`);
  return ok({ min, max: hi });
}

/** `min:max[,min:max...]` ranges within 1..max, not overlapping. */
export function parseRanges(raw: string, max: number): Parsed<Range[]> {
  const r = listOf(raw, (s) => parseRange(s, max));
  if (!r.ok) return r;
  const sorted = [...r.value].sort((a, b) => a.min - b.min);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.min <= sorted[i - 1]!.max) {
      return fail(`ranges ${sorted[i - 1]!.min}:${sorted[i - 1]!.max} and ${sorted[i]!.min}:${sorted[i]!.max} overlap`);
    }
  }
  return r;
}

/** `physnet[:vlan_min:vlan_max][,...]` (CONFIG_NEUTRON_ML2_VLAN_RANGES). */
export function parseVlanRanges(raw: string): Parsed<VlanRange[]> {
  const r = listOf(raw, (s): Parsed<VlanRange> => {
    const [physnet, ...rest] = s.split(':');
    const name = parseName(physnet ?? '');
    if (!name.ok) return fail(`expected physnet or physnet:min:max such as physnet1:100:200, got '${s}'`);
    if (rest.length === 0) return ok({ physnet: name.value });
    if (rest.length !== 2) return fail(`expected physnet or physnet:min:max such as physnet1:100:200, got '${s}'`);
    const range = parseRange(rest.join(':'), 4094);
    return range.ok ? ok({ physnet: name.value, range: range.value }) : fail(range.message);
  });
  if (!r.ok) return r;
  // Two ranges of one physnet that share an id would hand the same VLAN to two networks' worth
  // of bookkeeping; Neutron merges them silently, which hides the typo.
  for (const [i, a] of r.value.entries()) {
    for (const b of r.value.slice(i + 1)) {
      if (a.physnet !== b.physnet || !a.range || !b.range) continue;
      if (a.range.min <= b.range.max && b.range.min <= a.range.max) {
        return fail(`ranges ${a.physnet}:${a.range.min}:${a.range.max} and ${b.physnet}:${b.range.min}:${b.range.max} overlap; give each VLAN id once per physnet`);
      }
    }
  }
  return r;
}

/**
 * Comma-separated repository URLs (http, https, ftp or file), each as the URL parser
 * normalised it. Refused: blanks (two URLs missing their comma), quotes, backslashes and shell
 * syntax such as `$(...)` or a backtick; yum's own `$releasever`-style variables are kept.
 */
export function parseUrlList(raw: string): Parsed<string[]> {
  return listOf(raw, (s) => {
    const expected = `expected repository URLs such as http://mirror.example/debian, got '${shorten(s)}'`;
    const shell = /\$\(|\$\{|`|["'\\;|&<>]/.exec(s);
    if (shell) return fail(`${expected}: '${shell[0]}' has no place in a repository URL`);
    if (/\s/.test(s)) return fail(`${expected}: a URL has no blanks; separate URLs with commas`);
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return fail(expected);
    }
    if (!['http:', 'https:', 'ftp:', 'file:'].includes(u.protocol)) return fail(expected);
    return ok(u.href);
  });
}

/**
 * An HTTP proxy URL for apt (http://host:port/), or empty for none. apt's proxies speak plain
 * HTTP; the URL goes into an apt.conf string, so quotes and shell syntax are refused.
 */
export function parseProxyUrl(raw: string): Parsed<string> {
  const url = raw.trim();
  if (url === '') return ok('');
  const expected = `expected an http:// proxy URL such as http://198.18.0.1:3142/, got '${shorten(raw)}'`;
  if (/[\s"'\\;$`]/.test(url)) return fail(expected);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail(expected);
  }
  return u.protocol === 'http:' ? ok(u.href) : fail(expected);
}

/** Whether a repository URL carries a user name or password (its file must not be world-readable). */
export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/** An e-mail address (loosely: something@something). */
export function parseEmail(raw: string): Parsed<string> {
  return /^[^@\s]+@[^@\s]+$/.test(raw) ? ok(raw) : fail(`expected an e-mail address, got '${raw}'`);
}

/** Free text without line breaks; only emptiness is checked by callers. */
export function parseText(raw: string): Parsed<string> {
  return ok(raw);
}

/** A symmetric key Heat accepts (auth_encryption_key): 16, 24 or 32 characters. */
export function parseEncryptionKey(raw: string): Parsed<string> {
  // Heat makes a Fernet key of the key's UTF-8 bytes: printable ASCII keeps characters and bytes equal.
  if (!/^[\x21-\x7e]*$/.test(raw)) return fail('expected printable ASCII characters (no spaces): Heat counts the bytes of the key');
  return [16, 24, 32].includes(raw.length) ? ok(raw) : fail(`expected 32 characters (Heat refuses to start with any length but 16, 24 or 32), got ${raw.length}`);
}

/** A size as Packstack writes it: a number with an optional K, M, G or T suffix (2G), in bytes. */
export function parseSize(raw: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)B?$/i.exec(raw.trim());
  if (!m) return fail(`expected a size such as 2G or 500M, got '${shorten(raw)}'`);
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const bytes = Math.round(Number(m[1]) * unit);
  return bytes > 0 ? ok(bytes) : fail(`expected a size above zero, got '${shorten(raw)}'`);
}
