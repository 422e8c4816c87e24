/**
 * Helpers the service descriptors share: URLs with encoded credentials, the oslo.config value
 * escaping, Python / shell / YAML literals, and the view-model pieces several services repeat
 * (keystone_authtoken, service-user credentials, transport_url).
 *
 * Every escaping decision lives here, in TypeScript, so templates only interpolate strings that
 * are already valid in their target syntax, and each escape is unit-tested in one place.
 */
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import type { Deployment, OsFamily } from '../config/model.js';
import type { FileSpec } from './descriptor.js';
import { controllerOf } from '../config/model.js';

/** The first line every file cairn writes carries, after the file's own comment marker. */
export const MANAGED_BY = 'Managed by cairn: changes here are overwritten on the next deploy.';

/** Port Keystone's public API listens on (both Debian's uwsgi unit and RHEL's httpd vhost). */
export const KEYSTONE_PORT = 5000;

/** Port memcached listens on. */
export const MEMCACHED_PORT = 11211;

/**
 * Percent-encodes `s` for the userinfo part of a URL. Everything outside RFC 3986's unreserved
 * set is encoded (stricter than encodeURIComponent, which leaves `!'()*` alone): SQLAlchemy and
 * oslo.messaging both unquote userinfo, and an over-encoded character is always safe where an
 * under-encoded `@`, `:`, `/`, `#`, `?` or `%` would silently change the URL's meaning.
 */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A host for a URL authority: IPv6 literals need brackets, names and IPv4 do not. */
export function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** SQLAlchemy URL for a MySQL database through PyMySQL, with the password percent-encoded. */
export function mysqlUrl(user: string, password: string, host: string, database: string): string {
  return `mysql+pymysql://${percentEncode(user)}:${percentEncode(password)}@${urlHost(host)}/${database}`;
}

/** The database URL of `database` owned by `user`, on the deployment's MariaDB host. */
export function databaseUrl(d: Deployment, user: string, password: string, database: string): string {
  return mysqlUrl(user, password, d.mariadb.host, database);
}

/** oslo.messaging transport_url for the deployment's RabbitMQ (`rabbit://user:pw@host:port/`). */
export function transportUrl(d: Deployment): string {
  const a = d.amqp;
  return `rabbit://${percentEncode(a.user)}:${percentEncode(a.password)}@${urlHost(a.host)}:${a.port}/`;
}

/** Keystone's public identity URL (v3), as services and clients use it. */
export function keystoneUrl(d: Deployment): string {
  return `http://${urlHost(controllerOf(d).address)}:${KEYSTONE_PORT}/v3`;
}

/** Keystone's URL without the version, as keystonemiddleware's www_authenticate_uri wants it. */
export function keystoneBaseUrl(d: Deployment): string {
  return `http://${urlHost(controllerOf(d).address)}:${KEYSTONE_PORT}`;
}

/** `host:port` of the control host's memcached, for oslo.cache and keystonemiddleware. */
export function memcacheServer(d: Deployment): string {
  return `${urlHost(controllerOf(d).address)}:${MEMCACHED_PORT}`;
}

/**
 * A value for an oslo.config INI file, escaped so oslo.config reads back exactly `s`:
 * - `$` starts a substitution (`$other_option`) in oslo.config, so it is doubled (`$$`);
 * - oslo.config's parser strips surrounding whitespace and one pair of matching quotes, so a
 *   value with edge whitespace or quote characters at both ends is wrapped in double quotes
 *   (the parser then strips exactly that pair).
 * A line break cannot be expressed in a single-line value, and oslo.config turns `\$` into an
 * escaped `$`, so neither can be written and both are refused.
 */
export function iniValue(s: string): string {
  if (/[\r\n]/.test(s)) throw new Error('a configuration value cannot contain a line break');
  // oslo.config rewrites `\$` to `$$` before substituting, so no escaping can yield a
  // backslash directly followed by a dollar sign.
  if (s.includes('\\$')) throw new Error('a configuration value cannot contain a backslash followed by "$"');
  const escaped = s.replace(/\$/g, '$$$$');
  const first = escaped[0];
  const needsQuotes =
    escaped !== escaped.trim() ||
    ((first === '"' || first === "'") && escaped[escaped.length - 1] === first);
  return needsQuotes ? `"${escaped}"` : escaped;
}

/**
 * A value for a paste-deploy INI file (Swift's), which Python's configparser reads with its
 * `%` interpolation and no oslo.config `$` substitution: `%` is doubled, `$` stays. configparser
 * strips edge whitespace and cannot continue a value across lines, so neither can be written.
 */
export function pasteValue(s: string): string {
  if (/[\r\n]/.test(s)) throw new Error('a configuration value cannot contain a line break');
  if (s !== s.trim()) throw new Error('a configuration value cannot start or end with whitespace');
  return s.replace(/%/g, '%%');
}

/** `true`/`false` as oslo.config, Python and YAML all read it (lower case). */
export function iniBool(b: boolean): string {
  return b ? 'true' : 'false';
}

/**
 * A Python 3 string literal for `s` (single-quoted). Backslash, quote and every character outside
 * printable ASCII are escaped, so the file stays ASCII and no value can end the literal early.
 */
export function pyString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}'`;
}

/** A Python list literal of strings, e.g. `['a', 'b']`. */
export function pyStringList(items: readonly string[]): string {
  return `[${items.map(pyString).join(', ')}]`;
}

/**
 * A POSIX shell word that expands to exactly `s`: single quotes, with each embedded `'` written
 * as `'\''` (close, escaped quote, reopen). Nothing inside single quotes is special to the shell.
 */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A YAML flow scalar for `s`, double-quoted by the `yaml` package so that values such as `yes`,
 * `0123`, `a: b` or `#x` stay strings. lineWidth 0 keeps it on one line.
 */
export function yamlString(s: string): string {
  return YAML.stringify(s, { defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0 }).trimEnd();
}

/** The address part of a CIDR (`198.18.10.11/24` -> `198.18.10.11`). */
export function cidrAddress(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** The prefix length of a CIDR, or undefined when it has none. */
export function cidrPrefix(cidr: string): number | undefined {
  const slash = cidr.indexOf('/');
  return slash < 0 ? undefined : Number(cidr.slice(slash + 1));
}

function ipv4ToInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/**
 * Whether IPv4 `address` lies inside IPv4 `cidr`. Anything that is not IPv4 answers false:
 * callers use it to decide whether a gateway belongs on an interface, where "no" is the safe
 * answer (the route stays where the inventory's other interface has it).
 */
export function ipv4InCidr(address: string, cidr: string): boolean {
  const a = ipv4ToInt(address);
  const net = ipv4ToInt(cidrAddress(cidr));
  const prefix = cidrPrefix(cidr);
  if (a === undefined || net === undefined || prefix === undefined || !(prefix >= 0 && prefix <= 32)) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(a / size) === Math.floor(net / size);
}

/** Service groups the packages create; secrets-bearing files are `root:<group>` mode 0640. */
export const SERVICE_GROUP = {
  keystone: 'keystone',
  glance: 'glance',
  placement: 'placement',
  nova: 'nova',
  neutron: 'neutron',
  heat: 'heat',
  swift: 'swift',
} as const;

/** Group Apache runs Horizon as (Debian's www-data, RHEL's apache). */
export function webServerGroup(os: OsFamily): string {
  return os === 'debian' ? 'www-data' : 'apache';
}

/** The web server unit (Horizon everywhere; Keystone and Placement on RHEL). */
export function webServerUnit(os: OsFamily): string {
  return os === 'debian' ? 'apache2' : 'httpd';
}

/** The Keystone project every service user belongs to (catalogSpec makes it). */
export const SERVICE_PROJECT = 'service';

/**
 * Credentials a service uses to talk to Keystone: the `[keystone_authtoken]` section that
 * validates incoming tokens, and the same fields in `[placement]`, `[neutron]`, `[nova]` and
 * `[service_user]` sections that get a token for outgoing calls. Values are INI-escaped.
 */
export interface KeystoneAuthView {
  wwwAuthenticateUri: string;
  authUrl: string;
  memcachedServers: string;
  region: string;
  projectName: string;
  username: string;
  password: string;
}

/**
 * The keystone auth view for service user `username` with `password` (SERVICE_PROJECT),
 * escaped for oslo.config files, or by `escape` for other readers (Swift's paste-deploy files:
 * pasteValue).
 */
export function keystoneAuthView(d: Deployment, username: string, password: string, escape: (s: string) => string = iniValue): KeystoneAuthView {
  return {
    wwwAuthenticateUri: escape(keystoneBaseUrl(d)),
    authUrl: escape(keystoneBaseUrl(d)),
    memcachedServers: escape(memcacheServer(d)),
    region: escape(d.keystone.region),
    projectName: escape(SERVICE_PROJECT),
    username: escape(username),
    password: escape(password),
  };
}

/** Workers as an INI number, or undefined for `per-host` (the option is then left out). */
export function workerCount(d: Deployment): number | undefined {
  return d.serviceWorkers === 'per-host' ? undefined : d.serviceWorkers;
}

/** Deduplicates while keeping first-seen order (restart lists must be stable). */
export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** What cairn adds to a Debian uwsgi API's arguments (see {@link uwsgiDefaults}). */
export interface UwsgiArgs {
  /** The systemd unit (and /etc/init.d script) that runs the API, restarted when the file changes. */
  unit: string;
  /** The init script's NAME, which names the /etc/default file it reads (neutron-api's is neutron-server). */
  name?: string;
  /** The uwsgi ini Debian ships for it, named in the file's comments. */
  ini: string;
  /** Add `Connection: close` (Debian's ini strips Content-Length and does not say it). */
  connectionClose?: boolean;
  /** The app is eventlet-patched when it loads: the module that patches, so uwsgi runs one thread per worker. */
  eventletPatchedBy?: string;
}

/**
 * `/etc/default/<name>` for a Debian OpenStack API that runs under uwsgi through
 * openstack-pkg-tools' init script, appending to the arguments it built from Debian's ini:
 * the deployment's worker count as uwsgi's processes (Debian's inis start 8 or 16 whatever the
 * host), `Connection: close` (without it, clients reuse connections uwsgi has closed and get
 * "Connection reset by peer" under load), and one thread per worker for eventlet-patched apps
 * (Debian's 32 threads deadlock them). The template says why in full.
 */
export function uwsgiDefaults(d: Deployment, a: UwsgiArgs): FileSpec {
  return {
    path: `/etc/default/${a.name ?? a.unit}`,
    template: 'uwsgi/daemon-args.default.hbs',
    mode: '0644',
    owner: 'root',
    group: 'root',
    restarts: [a.unit],
    view: {
      unit: a.unit,
      ini: a.ini,
      connectionClose: Boolean(a.connectionClose),
      // The init script sources the file with sh: $(nproc) is the host's CPU count at start.
      processes: d.serviceWorkers === 'per-host' ? '$(nproc)' : String(d.serviceWorkers),
      singleThread: a.eventletPatchedBy !== undefined,
      patcher: a.eventletPatchedBy ?? '',
    },
  };
}

/**
 * sha256 of a string's UTF-8 bytes, hex: the digest of a file step a descriptor makes itself
 * (the same as render-files.ts gives rendered files, which services cannot import).
 */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
