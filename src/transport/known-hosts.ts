/**
 * Host key verification against OpenSSH known_hosts files.
 *
 * Understands what OpenSSH writes and reads: `patterns keytype base64 [comment]` lines, where
 * patterns are comma-separated names with `*`/`?` wildcards and `!` negation, `[host]:port`
 * for a non-default port, hashed names `|1|salt|hash` (HMAC-SHA1 of the name keyed with the
 * salt, OpenSSH's HashKnownHosts), and the `@revoked` marker. `@cert-authority` lines are
 * skipped: cairn does not accept host certificates.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: 'revoked';
  /** The host patterns field as written. */
  hosts: string;
  keyType: string;
  /** The key blob (SSH wire format), base64-decoded. */
  key: Buffer;
}

/** `~/x` with the user's home directory; other paths unchanged. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** The known_hosts file for a host: its own, else the user's ~/.ssh/known_hosts. */
export function defaultKnownHostsFile(knownHostsFile: string | undefined, home: string = homedir()): string {
  return expandHome(knownHostsFile ?? '~/.ssh/known_hosts', home);
}

/** The name OpenSSH looks a host up by: `address` on port 22, else `[address]:port`. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** The key type written inside a key blob (its first SSH string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's SHA256 fingerprint: `SHA256:` + unpadded base64 of sha256(blob). */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The short key type `ssh-keygen -l` shows in parentheses: ED25519, RSA, ECDSA, ... */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (keyType === 'ssh-dss') return 'DSA';
  if (keyType.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (keyType.startsWith('sk-ecdsa')) return 'ECDSA-SK';
  return keyType;
}

/** Parses known_hosts text; comments, blank, malformed and @cert-authority lines are skipped. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (!raw || raw.startsWith('#')) continue;
    let fields = raw.split(/\s+/);
    let marker: 'revoked' | undefined;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else continue; // @cert-authority (or an unknown marker): not a key for a host
      fields = fields.slice(1);
    }
    const [hosts, keyType, data] = fields;
    if (!hosts || !keyType || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) continue;
    const key = Buffer.from(data, 'base64');
    if (keyTypeOf(key) !== keyType) continue;
    entries.push({ file, line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  }
  return entries;
}

/** Reads and parses a known_hosts file; a missing file has no entries. */
export function readKnownHosts(file: string): KnownHostEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseKnownHosts(text, file);
}

/** `|1|salt|hash` for `name`: what `ssh-keygen -H` writes (salt random unless given). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

function matchHashed(pattern: string, name: string): boolean {
  const parts = pattern.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const expected = Buffer.from(parts[3], 'base64');
  const actual = createHmac('sha1', Buffer.from(parts[2], 'base64')).update(name).digest();
  return expected.length === actual.length && expected.equals(actual);
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether an entry's host field names `name` (OpenSSH's rules: a matching `!pattern` vetoes). */
export function hostsFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return matchHashed(hosts, name);
  let positive = false;
  for (const p of hosts.split(',')) {
    if (!p) continue;
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) {
      positive = true;
    }
  }
  return positive;
}

/** What the known_hosts entries say about the key a host offered. */
export type HostKeyVerdict =
  | { kind: 'match'; entry: KnownHostEntry }
  /** Nothing at all is recorded for this host. */
  | { kind: 'unknown' }
  /**
   * A different key is recorded for this host, of the same type or another one (a host that
   * offered ED25519 and now offers only RSA changed its key too): refused, whatever the options.
   */
  | { kind: 'changed'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry };

/** Checks the key `blob` a host at address:port offered against `entries`. */
export function checkHostKey(entries: readonly KnownHostEntry[], address: string, port: number, blob: Buffer): HostKeyVerdict {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const name = knownHostName(address, port);
  const mine = entries.filter((e) => e.marker === undefined && hostsFieldMatches(e.hosts, name));
  const exact = mine.find((e) => e.key.equals(blob));
  if (exact) return { kind: 'match', entry: exact };
  // cairn offers the recorded key types first (preferredHostKeyAlgorithms), so a host that
  // still has its recorded key shows it; one that offers another type no longer does.
  const type = keyTypeOf(blob);
  const recorded = mine.find((e) => e.keyType === type) ?? mine[0];
  if (recorded) return { kind: 'changed', entry: recorded };
  return { kind: 'unknown' };
}

/** The known_hosts line cairn records for a host it trusted on first use (plain, unhashed). */
export function knownHostsLine(address: string, port: number, blob: Buffer): string {
  return `${knownHostName(address, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

/**
 * Appends a host's key to `file` (created 0600, its directory 0700, when missing). One
 * O_APPEND write per line, so hosts trusted in parallel do not interleave.
 */
export function appendKnownHost(file: string, address: string, port: number, blob: Buffer): void {
  if (!isAbsolute(file)) throw new Error(`bug: known_hosts path ${file} is not absolute`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    closeSync(openSync(file, 'a', 0o600));
  }
  appendFileSync(file, `${prefix}${knownHostsLine(address, port, blob)}\n`, { mode: 0o600 });
}

/** Server host key algorithms for each key type recorded in known_hosts. */
function algorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

/** ssh2's default host key algorithm order (ssh2 1.x with Node's ed25519 support). */
export const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms in the order to offer: those of key types already recorded for this host
 * first (as OpenSSH does), so a host known by its RSA key is not asked for an unknown ed25519 one.
 */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const first = knownTypes.flatMap(algorithmsFor).filter((a) => DEFAULT_HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** Key types recorded (not revoked) for address:port. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], address: string, port: number): string[] {
  const name = knownHostName(address, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && hostsFieldMatches(e.hosts, name)).map((e) => e.keyType))];
}
