/**
 * A real OpenSSH server for tests: `/usr/sbin/sshd -D -e -f <temp config>` on a free
 * 127.0.0.1 port, with its own host keys and authorized_keys in a temp dir. stop() kills
 * exactly the processes this server started (its pid and that pid's descendants).
 *
 * With `passwordUser`, sshd runs in a private mount namespace (unshare -m) where /etc/passwd
 * and /etc/shadow are bind-mounted copies that add one throwaway user with a known password:
 * password authentication is then real, and no account of this machine is created or changed.
 *
 * If openssh-server is missing, scripts/install-test-tools.sh installs it (tests never skip).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from '../../src/config/model.js';
import { repoRoot } from './paths.js';

export const SSHD = '/usr/sbin/sshd';

/** Installs openssh-server (and sudo) when missing; idempotent. */
export function ensureOpenSsh(): void {
  if (existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen') && existsSync('/usr/bin/sudo')) return;
  execFileSync('sh', [join(repoRoot, 'scripts', 'install-test-tools.sh')], { stdio: 'inherit' });
}

export interface KeyPair {
  /** Private key file. */
  path: string;
  /** Public key file (path + .pub). */
  pubPath: string;
  /** `type base64 comment` */
  publicLine: string;
  type: string;
  /** Key blob. */
  blob: Buffer;
}

/** Generates a key pair with ssh-keygen (no passphrase unless given). */
export function keygen(dir: string, name: string, type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): KeyPair {
  ensureOpenSsh();
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', `cairn-test-${name}`, '-f', path]);
  const publicLine = readFileSync(`${path}.pub`, 'utf8').trim();
  const [keyType = '', data = ''] = publicLine.split(/\s+/);
  return { path, pubPath: `${path}.pub`, publicLine, type: keyType, blob: Buffer.from(data, 'base64') };
}

export interface SshdOptions {
  /** Host key types (default ['ed25519']). */
  hostKeyTypes?: Array<'ed25519' | 'rsa' | 'ecdsa'>;
  /** A throwaway user with this password (password auth on; see the file comment). */
  passwordUser?: { name: string; password: string };
  /** Extra sshd_config lines (they override the defaults here). */
  extraConfig?: string[];
}

/** Fields of a Host to override; `ssh` fields one by one. */
export type HostOverrides = Partial<Omit<Host, 'ssh'>> & { ssh?: Partial<Host['ssh']> };

export interface TestSshd {
  port: number;
  pid: number;
  /** Temp dir holding config, keys and authorized_keys. */
  dir: string;
  /** A client key authorized for root (ed25519). */
  clientKey: KeyPair;
  hostKeys: KeyPair[];
  /** The authorized_keys file for root logins (not used in passwordUser mode). */
  authorizedKeysFile: string;
  /** The throwaway user's home (passwordUser mode). */
  userHome?: string;
  /** known_hosts lines (`[127.0.0.1]:port type base64`) for all host keys. */
  knownHostsLines(): string[];
  /** A Host for this server (root, the client key, knownHostsFile in dir unless overridden). */
  host(overrides?: HostOverrides): Host;
  /** Pids of every process this sshd started (connection handlers, sessions, commands). */
  descendants(): number[];
  /** Kills every connection's processes (SIGKILL), leaving the listener up. */
  killConnections(): void;
  /** sshd's stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Direct children of every process, read from /proc. */
function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = map.get(ppid) ?? [];
    list.push(Number(entry));
    map.set(ppid, list);
  }
  return map;
}

/** Every descendant of `pid` (not `pid` itself). */
export function descendantsOf(pid: number): number[] {
  const map = childrenMap();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift() as number;
    for (const c of map.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  ensureOpenSsh();
  // Privilege separation directory: sshd refuses to start without it.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'cairn-sshd-'));
  /** Directories removed by stop(). */
  const cleanup = [dir];
  const hostKeys = (opts.hostKeyTypes ?? ['ed25519']).map((t) => keygen(dir, `ssh_host_${t}_key`, t));
  const clientKey = keygen(dir, 'client_ed25519');
  const authorizedKeysFile = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeysFile, `${clientKey.publicLine}\n`, { mode: 0o600 });

  // Files bind-mounted (source -> target) in sshd's private mount namespace.
  const binds: Array<[string, string]> = [];
  // This machine's root ~/.bashrc is not run by hand only: bash sources it for every command
  // sshd runs (Debian builds bash that way), and here it runs `pyenv init`, ~2.4 s a command.
  // Inside the test server's namespace it is masked by an empty file; the real one is untouched.
  const rootHome = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('root:'))?.split(':')[5] ?? '/root';
  if (existsSync(join(rootHome, '.bashrc'))) {
    const empty = join(dir, 'empty-bashrc');
    writeFileSync(empty, '');
    binds.push([empty, join(rootHome, '.bashrc')]);
  }

  let userHome: string | undefined;
  const pw = opts.passwordUser;
  if (pw) {
    const existing = readFileSync('/etc/passwd', 'utf8');
    if (existing.split('\n').some((l) => l.startsWith(`${pw.name}:`))) throw new Error(`test user ${pw.name} already exists on this machine; pick another name`);
    const usedUids = new Set(existing.split('\n').map((l) => Number(l.split(':')[2])));
    let uid = 61000 + Math.floor(Math.random() * 3000);
    while (usedUids.has(uid)) uid++;
    // Outside `dir` (0700, holds the host keys), in a directory the user may traverse.
    const homeParent = mkdtempSync(join(tmpdir(), 'cairn-sshd-home-'));
    chmodSync(homeParent, 0o755);
    cleanup.push(homeParent);
    userHome = join(homeParent, 'home');
    mkdirSync(userHome, { mode: 0o755 });
    chownSync(userHome, uid, uid);
    const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${pw.password}\n` }).toString().trim();
    const passwdFile = join(dir, 'passwd');
    const shadowFile = join(dir, 'shadow');
    writeFileSync(passwdFile, `${existing.replace(/\n*$/, '\n')}${pw.name}:x:${uid}:${uid}:cairn test user:${userHome}:/bin/sh\n`, { mode: 0o644 });
    writeFileSync(shadowFile, `${pw.name}:${hash}:19000:0:99999:7:::\n`, { mode: 0o600 });
    binds.push([passwdFile, '/etc/passwd'], [shadowFile, '/etc/shadow']);
  }
  const prefix =
    binds.length === 0
      ? []
      : [
          'unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c',
          `${binds.map((_, i) => `mount --bind "\${${2 * i + 1}}" "\${${2 * i + 2}}"`).join(' && ')} && shift ${2 * binds.length} && exec "$@"`,
          'sh', ...binds.flat(),
        ];

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        // sshd takes the first value of a keyword: extra lines go first so they win.
        ...(opts.extraConfig ?? []),
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        ...hostKeys.map((k) => `HostKey ${k.path}`),
        'PidFile none',
        'StrictModes no',
        'UsePAM no',
        pw ? 'AuthorizedKeysFile .ssh/authorized_keys' : `AuthorizedKeysFile ${authorizedKeysFile}`,
        `PasswordAuthentication ${pw ? 'yes' : 'no'}`,
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'MaxSessions 10',
        // The tests open many connections at once; the default (10:30:100) drops some of them.
        'MaxStartups 100',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    // --pdeathsig: if the test process dies without stop() (a crash, an uncaught exception),
    // the kernel kills this sshd too, so no listener outlives its test.
    const argv = ['setpriv', '--pdeathsig', 'KILL', '--', ...prefix, SSHD, '-D', '-e', '-f', config];
    const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10000);
      const check = (): void => {
        if (stderr.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stderr?.on('data', check);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      if (child.exitCode === null) killAll([...descendantsOf(child.pid as number), child.pid as number]);
      if (attempt < 3 && /Address already in use/.test(stderr)) continue;
      for (const d of cleanup) rmSync(d, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${stderr}`);
    }
    const pid = child.pid as number;
    let stopped = false;
    const server: TestSshd = {
      port,
      pid,
      dir,
      clientKey,
      hostKeys,
      authorizedKeysFile,
      ...(userHome ? { userHome } : {}),
      knownHostsLines: () => hostKeys.map((k) => `[127.0.0.1]:${port} ${k.type} ${k.blob.toString('base64')}`),
      host: (overrides: HostOverrides = {}) => {
        const { ssh, ...rest } = overrides;
        return {
          name: `sshd-${port}`,
          address: '127.0.0.1',
          roles: ['control'],
          osFamily: 'debian',
          ssh: { user: 'root', port, keyFile: clientKey.path, ...ssh },
          sudo: false,
          interfaceAddresses: {},
          knownHostsFile: join(dir, 'known_hosts'),
          origin: 'test',
          ...rest,
        };
      },
      descendants: () => descendantsOf(pid),
      killConnections: () => killAll(descendantsOf(pid)),
      log: () => stderr,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
        killAll([...descendantsOf(pid), pid]);
        await exited;
        for (const d of cleanup) rmSync(d, { recursive: true, force: true });
      },
    };
    return server;
  }
}

/** Writes a known_hosts file with `lines` (mode 0600). */
export function writeKnownHosts(path: string, lines: string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
}

/** Authorizes another public key for root on this server. */
export function authorize(server: TestSshd, publicLine: string): void {
  appendFileSync(server.authorizedKeysFile, `${publicLine}\n`);
  chmodSync(server.authorizedKeysFile, 0o600);
}
