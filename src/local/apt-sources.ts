/**
 * The Debian mirror this machine already uses, read from its own apt sources at run time.
 *
 * Lab nodes and service images are built from, and install from, the same archive as the host,
 * so they never contact anything the host's apt does not already contact, and no mirror is
 * hard-coded.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** One enabled `deb` source: a URI with its suites and components. */
export interface AptEntry {
  uri: string;
  suites: string[];
  components: string[];
  /** Keyring file (Signed-By), when the source names one. */
  signedBy?: string;
  /** `FILE:LINE` it came from, for messages. */
  origin: string;
}

/** Parses one sources file: deb822 (`*.sources`) or one-line (`*.list`) format. */
export function parseAptSourcesFile(path: string, text: string): AptEntry[] {
  return path.endsWith('.sources') ? parseDeb822(path, text) : parseOneLine(path, text);
}

function parseDeb822(path: string, text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  let fields = new Map<string, string>();
  let last: string | undefined;
  let startLine = 1;
  const flush = (): void => {
    if (fields.size > 0) {
      const types = (fields.get('types') ?? '').split(/\s+/);
      const enabled = (fields.get('enabled') ?? 'yes').toLowerCase() !== 'no';
      const uris = (fields.get('uris') ?? '').split(/\s+/).filter(Boolean);
      if (enabled && types.includes('deb')) {
        const signedBy = fields.get('signed-by')?.trim();
        for (const uri of uris) {
          entries.push({
            uri,
            suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean),
            components: (fields.get('components') ?? '').split(/\s+/).filter(Boolean),
            // An inline key block is not a file path; only keep file names.
            ...(signedBy && signedBy.startsWith('/') && !signedBy.includes('\n') ? { signedBy } : {}),
            origin: `${path}:${startLine}`,
          });
        }
      }
    }
    fields = new Map();
    last = undefined;
  };
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') {
      flush();
      startLine = i + 2;
      return;
    }
    if (line.startsWith('#')) return;
    if (/^\s/.test(line) && last) {
      fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      return;
    }
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (m) {
      if (fields.size === 0) startLine = i + 1;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
  });
  flush();
  return entries;
}

function parseOneLine(path: string, text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) return;
    let rest = line.slice(3).trim();
    let signedBy: string | undefined;
    const opts = /^\[([^\]]*)\]\s*/.exec(rest);
    if (opts) {
      rest = rest.slice(opts[0].length);
      signedBy = /(?:^|\s)signed-by=(\S+)/.exec(opts[1]!)?.[1];
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (!uri || !suite) return;
    entries.push({ uri, suites: [suite], components, ...(signedBy ? { signedBy } : {}), origin: `${path}:${i + 1}` });
  });
  return entries;
}

/** Every enabled `deb` entry of this machine's apt sources (`root` is for tests). */
export function readHostAptSources(root = '/'): AptEntry[] {
  const files: string[] = [];
  const main = join(root, 'etc/apt/sources.list');
  if (existsSync(main)) files.push(main);
  const dir = join(root, 'etc/apt/sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(dir, f));
    }
  }
  return files.flatMap((f) => parseAptSourcesFile(f, readFileSync(f, 'utf8')));
}

/** The archive a node image is bootstrapped from, and the sources its nodes use. */
export interface DebianArchive {
  /** Mirror URI that serves `suite` main, e.g. the host's `http://…/debian`. */
  mirror: string;
  suite: string;
  /** The host's entries for `suite` and its companions (`-updates`, `-security`). */
  entries: AptEntry[];
}

/**
 * The Debian archive for `suite` among `entries`, or a message saying why there is none.
 * Companion suites (`bookworm-updates`, `bookworm-security`) are kept for the nodes' sources.
 */
export function debianArchive(entries: readonly AptEntry[], suite: string): DebianArchive | string {
  const main = entries.find((e) => e.suites.includes(suite) && e.components.includes('main'));
  if (!main) {
    return `no apt source of this machine serves Debian '${suite} main' (looked in /etc/apt/sources.list and /etc/apt/sources.list.d/); the lab's node image is built from the same archive`;
  }
  if (!/^https?:\/\//.test(main.uri)) {
    return `${main.origin}: the Debian archive '${main.uri}' is not an http(s) URL, which debootstrap and the lab nodes cannot use`;
  }
  const companions = entries.filter(
    (e) => /^https?:\/\//.test(e.uri) && e.suites.some((s) => s === suite || s.startsWith(`${suite}-`)),
  );
  return { mirror: main.uri, suite, entries: companions };
}

/** The Debian keyring the node image has (debian-archive-keyring, pulled in by apt). */
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * deb822 sources for lab nodes: the host's entries for the suite, main only. A Signed-By is kept
 * only when it is Debian's own keyring, the one keyring the node image is sure to have.
 */
export function nodeAptSources(archive: DebianArchive): string {
  const blocks = archive.entries.map((e) => {
    const suites = e.suites.filter((s) => s === archive.suite || s.startsWith(`${archive.suite}-`));
    return [
      'Types: deb',
      `URIs: ${e.uri}`,
      `Suites: ${suites.join(' ')}`,
      'Components: main',
      ...(e.signedBy === DEBIAN_KEYRING ? [`Signed-By: ${DEBIAN_KEYRING}`] : []),
    ].join('\n');
  });
  return `# Written by cairn from the host's apt sources: lab nodes use the same Debian archive.\n${blocks.join('\n\n')}\n`;
}
