/**
 * The SSH transport (ssh2): ONE persistent connection per host for a whole run, commands
 * multiplexed on it as exec channels (at most `maxChannels` at once, below sshd's MaxSessions
 * default of 10), SSH keepalives, a bounded connect/handshake time and per-command timeouts.
 *
 * The host's key is checked against known_hosts (known-hosts.ts) before anything is sent;
 * unknown keys are refused unless trustNewHosts (TOFU), changed keys always.
 */
import { existsSync } from 'node:fs';
import { readUserBytes } from '../local/user-files.js';
import { homedir } from 'node:os';
import ssh2, { type ConnectConfig, type ClientChannel } from 'ssh2';
import type { Host } from '../config/model.js';
import { HostError } from '../errors.js';
import { transportError } from './errors.js';
import {
  appendKnownHost,
  checkHostKey,
  defaultKnownHostsFile,
  expandHome,
  fingerprint,
  keyTypeLabel,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  preferredHostKeyAlgorithms,
  readKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import { Limiter } from './limiter.js';
import { TIMEOUT_KILL_AFTER_S, redact, remoteCommandLine, shJoin } from './quote.js';
import { ShellTransport, type ExecRequest, type ExecResult } from './shell-transport.js';
import type { TransportLog } from './transport.js';

export interface SshOptions {
  /** Accept a host key not in known_hosts and append it there (TOFU). Never a changed key. */
  trustNewHosts?: boolean;
  /** With trustNewHosts: record a trusted key in known_hosts (default), or trust it for this connection only (dry runs). */
  recordNewHosts?: boolean;
  /** Bound on TCP connect + SSH handshake + authentication (default 15000 ms). */
  readyTimeoutMs?: number;
  /** SSH keepalive interval (default 15000 ms); the connection counts as lost after keepaliveCountMax unanswered. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Exec channels open at once on the connection (default 8; sshd's MaxSessions is 10). */
  maxChannels?: number;
  /** Timeout for commands that set none (default: none). */
  commandTimeoutMs?: number;
  /** Authenticate with this password instead of a key (ssh-copy-id only). Never logged. */
  password?: string;
  /** ssh-agent socket used when the host has no key file (default: $SSH_AUTH_SOCK). */
  agentSocket?: string;
  /** Home directory for `~/` in key and known_hosts paths (default: the user's). */
  home?: string;
  log?: TransportLog;
}

/** How we authenticate, for messages. */
interface Credential {
  config: Pick<ConnectConfig, 'privateKey' | 'agent' | 'password'>;
  describe: string;
}

/** An exec channel the server refused (MaxSessions): retried by exec(). */
class RefusedOpen extends Error {
  constructor(readonly error: HostError) {
    super(error.message);
  }
}

interface Pending {
  fail: (err: HostError) => void;
  command: string;
}

/** Opens the connection to `host` and returns its transport; throws HostError. */
export async function connectSsh(host: Host, opts: SshOptions = {}): Promise<SshTransport> {
  const home = opts.home ?? homedir();
  const knownHostsFile = defaultKnownHostsFile(host.knownHostsFile, home);
  const credential = loadCredential(host, opts, home);
  const target = `${host.ssh.user}@${host.address}:${host.ssh.port}`;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 15000;
  const log = opts.log ?? (() => {});

  let entries: KnownHostEntry[];
  try {
    entries = readKnownHosts(knownHostsFile);
  } catch (e) {
    throw transportError(host.name, 'host-key', `cannot read known_hosts file ${knownHostsFile}: ${(e as Error).message}`);
  }

  const client = new ssh2.Client();
  let hostKeyError: string | undefined;
  const hostVerifier = (key: Buffer): boolean => {
    const verdict = checkHostKey(entries, host.address, host.ssh.port, key);
    const type = keyTypeOf(key);
    const fp = fingerprint(key);
    const name = knownHostName(host.address, host.ssh.port);
    switch (verdict.kind) {
      case 'match':
        return true;
      case 'revoked':
        hostKeyError = `the ${keyTypeLabel(type)} host key of ${name} (${fp}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refused`;
        return false;
      case 'changed':
        hostKeyError =
          `HOST KEY CHANGED for ${name}: ${verdict.entry.file}:${verdict.entry.line} records ${verdict.entry.keyType === type ? 'a different' : 'its'} ${verdict.entry.keyType} key ` +
          `(${fingerprint(verdict.entry.key)}), the host now offers ${verdict.entry.keyType === type ? '' : `no such key but ${type} key `}${fp}. Someone may be intercepting the connection, or the host was reinstalled. ` +
          `Refused (--trust-new-hosts never accepts a changed key); if the change is expected, remove the old key with: ssh-keygen -R '${name}' -f ${verdict.entry.file}`;
        return false;
      case 'unknown':
        if (opts.trustNewHosts && opts.recordNewHosts === false) {
          log(`${host.name}: trusted new ${keyTypeLabel(type)} host key ${fp} of ${name} for this run only (a dry run records nothing in ${knownHostsFile})`);
          return true;
        }
        if (opts.trustNewHosts) {
          try {
            appendKnownHost(knownHostsFile, host.address, host.ssh.port, key);
          } catch (e) {
            hostKeyError = `cannot record the host key of ${name} in ${knownHostsFile}: ${(e as Error).message}`;
            return false;
          }
          log(`${host.name}: trusted new ${keyTypeLabel(type)} host key ${fp} of ${name}, recorded in ${knownHostsFile}`);
          return true;
        }
        hostKeyError =
          `unknown host key for ${name}: ${keyTypeLabel(type)} key fingerprint is ${fp}, not in ${knownHostsFile}. ` +
          `Check that fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-/, '').replace(/-.*/, '')}_key.pub), ` +
          `then run again with --trust-new-hosts to accept and record it`;
        return false;
    }
  };

  const config: ConnectConfig = {
    host: host.address,
    port: host.ssh.port,
    username: host.ssh.user,
    ...credential.config,
    hostVerifier,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(entries, host.address, host.ssh.port)) as never },
    readyTimeout: readyTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 15000,
    keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    // Only the one credential we chose, so a failure says exactly what was tried.
    authHandler: credential.config.password !== undefined ? ['password'] : credential.config.privateKey !== undefined ? ['publickey'] : ['agent'],
  };

  log(`${host.name}: connecting to ${target} ${credential.describe}`);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: HostError): void => {
      if (settled) return;
      settled = true;
      client.removeListener('ready', onReady);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      if (err) {
        client.on('error', () => {}); // late errors from the dying connection (e.g. 'Connection lost before handshake')
        client.destroy();
        reject(err);
      } else {
        resolve();
      }
    };
    const onReady = (): void => done();
    const onError = (e: Error & { level?: string; code?: string }): void => done(connectError(host.name, target, credential, readyTimeoutMs, hostKeyError, e));
    const onClose = (): void =>
      done(hostKeyError ? transportError(host.name, 'host-key', hostKeyError) : transportError(host.name, 'connect', `SSH connection to ${target} closed during the handshake`));
    client.on('ready', onReady).on('error', onError).on('close', onClose);
    try {
      client.connect(config);
    } catch (e) {
      done(transportError(host.name, 'connect', `cannot start SSH connection to ${target}: ${(e as Error).message}`, { cause: e }));
    }
  });
  log(`${host.name}: connected to ${target}`);
  return new SshTransport(host, client, target, opts);
}

function connectError(
  hostName: string,
  target: string,
  credential: Credential,
  readyTimeoutMs: number,
  hostKeyError: string | undefined,
  e: Error & { level?: string; code?: string },
): HostError {
  if (hostKeyError) return transportError(hostName, 'host-key', hostKeyError, { cause: e });
  if (e.level === 'client-authentication') {
    return transportError(hostName, 'auth', `authentication failed for ${target} ${credential.describe}`, { cause: e });
  }
  if (e.level === 'client-timeout') {
    return transportError(hostName, 'connect', `cannot connect to ${target}: no SSH handshake within ${readyTimeoutMs} ms (timed out)`, { cause: e });
  }
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is sshd running and listening on that port?)',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'timed out',
    ECONNRESET: 'connection reset by the server',
    ENOTFOUND: 'cannot resolve the address',
    EAI_AGAIN: 'cannot resolve the address (temporary DNS failure)',
  };
  // ssh2's own words for a peer that hung up before saying "SSH-2.0": name the likely causes.
  const lostBeforeHandshake = /Connection lost before handshake/i.test(e.message)
    ? 'the server closed the connection before the SSH handshake (not an SSH server on that port, sshd rejecting new connections (MaxStartups), or a firewall)'
    : undefined;
  const reason = (e.code && why[e.code]) ?? lostBeforeHandshake ?? e.message;
  return transportError(hostName, 'connect', `cannot connect to ${target}: ${reason}`, { cause: e });
}

function loadCredential(host: Host, opts: SshOptions, home: string): Credential {
  if (opts.password !== undefined) return { config: { password: opts.password }, describe: 'with a password' };
  if (host.ssh.keyFile !== undefined) {
    const keyFile = expandHome(host.ssh.keyFile, home);
    let data: Buffer;
    try {
      // A regular file of sane size only: a FIFO or /dev/zero named as the key must not hang.
      data = readUserBytes(keyFile, 'SSH key', 64 * 1024);
    } catch (e) {
      throw transportError(host.name, 'auth', (e as Error).message);
    }
    const parsed = ssh2.utils.parseKey(data);
    if (parsed instanceof Error) {
      if (/encrypted/i.test(parsed.message) || /passphrase/i.test(parsed.message)) {
        throw transportError(host.name, 'auth', `SSH key ${keyFile} is protected by a passphrase: load it into ssh-agent (ssh-add) and leave the key file unset to use the agent`);
      }
      throw transportError(host.name, 'auth', `SSH key ${keyFile} is not a private key cairn can read: ${parsed.message}`);
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key.getPrivatePEM() === null) {
      throw transportError(host.name, 'auth', `SSH key ${keyFile} holds no private key (is it the .pub file?)`);
    }
    return { config: { privateKey: data }, describe: `with key ${keyFile}` };
  }
  const agent = opts.agentSocket ?? process.env['SSH_AUTH_SOCK'];
  if (!agent) {
    throw transportError(host.name, 'auth', `no SSH key file is set for ${host.ssh.user}@${host.address} and no ssh-agent is running (SSH_AUTH_SOCK is unset)`);
  }
  if (!existsSync(agent)) throw transportError(host.name, 'auth', `ssh-agent socket ${agent} (SSH_AUTH_SOCK) does not exist`);
  return { config: { agent }, describe: `with the keys in ssh-agent (${agent})` };
}

export class SshTransport extends ShellTransport {
  /** Exec channels opened on this connection so far: one per run/put/get/hashFiles. */
  channelsOpened = 0;
  /** Channel opens the server refused (beyond its MaxSessions) and that were retried. */
  channelsRefused = 0;
  private readonly limiter: Limiter;
  private readonly pending = new Set<Pending>();
  private lost: HostError | undefined;
  private closing = false;
  private readonly closed: Promise<void>;
  private readonly commandTimeoutMs: number | undefined;

  constructor(
    hostConfig: Host,
    private readonly client: ssh2.Client,
    /** user@address:port */
    readonly target: string,
    opts: SshOptions,
  ) {
    super(hostConfig.name, hostConfig.sudo, hostConfig.ssh.user, opts.log);
    this.limiter = new Limiter(opts.maxChannels ?? 8);
    this.commandTimeoutMs = opts.commandTimeoutMs;
    let lastError: Error | undefined;
    client.on('error', (e: Error) => {
      lastError = e;
    });
    this.closed = new Promise<void>((resolve) => {
      client.once('close', () => {
        const why = this.closing ? 'the transport was closed' : `connection to ${target} lost${lastError ? ` (${lastError.message})` : ''}`;
        this.lost = transportError(this.host, this.closing ? 'closed' : 'run', why);
        for (const p of [...this.pending]) p.fail(transportError(this.host, this.closing ? 'closed' : 'run', `${why} while running: ${p.command}`));
        this.pending.clear();
        resolve();
      });
    });
  }

  /**
   * A byte stream to the Unix socket `path` on the host, as a streamlocal channel
   * (`direct-streamlocal@openssh.com`, what `ssh -L port:/path` opens) on this connection: no
   * new login, and not counted against sshd's MaxSessions. Containers mode reaches each node's
   * Docker engine this way.
   */
  forwardUnix(path: string): Promise<ClientChannel> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(path, (err, channel) => {
        if (err) reject(transportError(this.host, 'run', `cannot open ${path} through SSH: ${err.message}`));
        else resolve(channel);
      });
    });
  }

  /** Exec channels this connection may have open at once (lowered if the server refuses more). */
  get channelLimit(): number {
    return this.limiter.limit;
  }

  /** Whether the connection is still up. */
  get connected(): boolean {
    return this.lost === undefined;
  }

  /**
   * Runs one command in a channel slot. sshd refuses a session beyond its MaxSessions ("open
   * failed"), and frees a finished session slightly after its channel closes; so when an open
   * is refused while other channels are open, this connection's limit is lowered to what the
   * server took, the slot is given back, and the command queues again (a bounded number of
   * times, with a short growing pause).
   */
  protected async exec(req: ExecRequest): Promise<ExecResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.limiter.run(() => this.execNow(req));
      } catch (e) {
        if (!(e instanceof RefusedOpen)) throw e;
        if (attempt >= 20 || this.lost) throw e.error;
        await new Promise((r) => setTimeout(r, Math.min(25 * attempt, 250)));
      }
    }
  }

  private execNow(req: ExecRequest): Promise<ExecResult> {
    const shown = redact(shJoin(req.argv), req.secrets);
    if (this.lost) return Promise.reject(transportError(this.host, this.lost.phase === 'closed' ? 'closed' : req.phase, `${this.lost.message.replace(/^host [^:]*: /, '')}; cannot run: ${shown}`));
    const timeoutMs = req.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let channel: ClientChannel | undefined;
      const pending: Pending = { command: shown, fail: (err) => finish(err) };
      const finish = (err: HostError | undefined, result?: ExecResult): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.pending.delete(pending);
        if (err) reject(err);
        else resolve(result as ExecResult);
      };
      this.pending.add(pending);
      const timedOut = (): HostError => transportError(this.host, req.phase, `command timed out after ${timeoutMs} ms and was killed: ${shown}`);
      const started = Date.now();
      if (timeoutMs !== undefined) {
        // The host enforces the timeout (coreutils `timeout`, see timeoutArgv); this timer is
        // the backstop for a host that stops answering altogether.
        timer = setTimeout(() => {
          finish(transportError(this.host, req.phase, `command timed out after ${timeoutMs} ms and the host did not end it: ${shown}`));
          if (channel) {
            try {
              channel.signal('KILL');
            } catch {
              // the channel may already be closing
            }
            channel.close();
          }
        }, timeoutMs + (TIMEOUT_KILL_AFTER_S + 5) * 1000);
      }
      this.openChannel(
        remoteCommandLine(req.argv, this.sudo, timeoutMs),
        (ch) => {
          channel = ch;
          if (settled) {
            ch.close(); // timed out (or the connection was lost) while the channel opened
            return;
          }
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let code: number | undefined;
          ch.on('data', (d: Buffer) => out.push(d));
          ch.stderr.on('data', (d: Buffer) => errOut.push(d));
          ch.on('exit', (c: number | null, signal?: string) => {
            code = c ?? 128 + signalNumber(signal);
          });
          ch.on('close', () => {
            if (code === undefined) {
              // No exit status: the connection went away (the client 'close' handler reports
              // it, with the reason) or the server dropped the channel.
              setImmediate(() =>
                finish(
                  transportError(
                    this.host,
                    req.phase,
                    `${this.lost ? this.lost.message.replace(/^host [^:]*: /, '') : `the server closed the channel on ${this.target} without an exit status`} while running: ${shown}`,
                  ),
                ),
              );
              return;
            }
            if (timeoutMs !== undefined && (code === 124 || code === 137) && Date.now() - started >= timeoutMs) {
              finish(timedOut());
              return;
            }
            finish(undefined, { code, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) });
          });
          ch.on('error', () => {}); // surfaced through 'close' / the client's 'close'
          ch.end(req.stdin ?? Buffer.alloc(0));
        },
        (err: Error) => {
          const error = transportError(this.host, req.phase, `cannot open an SSH session channel on ${this.target}: ${err.message}; command: ${shown}`, { cause: err });
          if (/open failed/i.test(err.message) && !this.lost) {
            if (this.limiter.running > 1) this.limiter.lowerTo(this.limiter.running - 1);
            if (settled) return;
            settled = true;
            if (timer) clearTimeout(timer);
            this.pending.delete(pending);
            reject(new RefusedOpen(error));
            return;
          }
          finish(error);
        },
      );
    });
  }

  /**
   * Opens an exec channel and hands it to `onOpen` synchronously, inside ssh2's callback: a
   * fast command's exit-status can arrive in the same packet batch as the open confirmation,
   * and the channel's 'exit' event would be missed by listeners attached a tick later.
   */
  private openChannel(command: string, onOpen: (ch: ClientChannel) => void, onError: (err: Error) => void): void {
    try {
      this.client.exec(command, (err, ch) => {
        if (err) {
          if (/open failed/i.test(err.message)) this.channelsRefused++;
          onError(err);
          return;
        }
        this.channelsOpened++;
        onOpen(ch);
      });
    } catch (e) {
      onError(e as Error); // ssh2 throws "Not connected" synchronously once the socket is gone
    }
  }

  async close(): Promise<void> {
    if (!this.lost) {
      this.closing = true;
      this.client.end();
      const timer = setTimeout(() => this.client.destroy(), 2000);
      await this.closed;
      clearTimeout(timer);
    }
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** The number of a signal name (0 when unknown; SSH sends names without SIG), for the shell's 128+N exit code. */
function signalNumber(signal: string | null | undefined): number {
  if (!signal) return 0;
  return SIGNALS[signal] ?? SIGNALS[`SIG${signal}`] ?? 0;
}
