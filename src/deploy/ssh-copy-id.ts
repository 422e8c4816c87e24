/**
 * Installing the deployment's public key on every host (`cairn ssh-copy-id`): for each host,
 * log in with the key if it already works, else with the password the caller asks for once,
 * and append the key to the login user's ~/.ssh/authorized_keys unless it is there.
 */
import { readUserText } from '../local/user-files.js';
import { homedir } from 'node:os';
import type { Deployment, Host } from '../config/model.js';
import { CairnError, HostError } from '../errors.js';
import { transportError } from '../transport/errors.js';
import { expandHome } from '../transport/known-hosts.js';
import { connectSsh, type SshOptions, type SshTransport } from '../transport/ssh-transport.js';

/** What copying needs from outside; each part injectable for tests. */
export interface SshCopyIdDeps {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Asks for a password with echo off (default: on the controlling terminal, /dev/tty). */
  askPassword: (prompt: string) => Promise<string>;
  /** Extra connection options (timeouts, home directory). */
  ssh: SshOptions;
}

/** One host's outcome. */
export type CopyIdOutcome =
  | { host: string; status: 'added' | 'present'; target: string; usedPassword: boolean }
  | { host: string; status: 'failed'; error: Error };

/** The public key file for `host`: its key file + `.pub`, else CONFIG_SSH_KEY. */
export function publicKeyFileFor(host: Host, deployment: Pick<Deployment, 'sshPublicKey'>, home: string = homedir()): string | undefined {
  if (host.ssh.keyFile !== undefined) return `${expandHome(host.ssh.keyFile, home)}.pub`;
  if (deployment.sshPublicKey !== undefined) return expandHome(deployment.sshPublicKey, home);
  return undefined;
}

/** Reads a .pub file: its `type base64 [comment]` line and the base64 key. */
export function readPublicKey(file: string): { line: string; key: string } {
  let text: string;
  try {
    text = readUserText(file, 'public key', 64 * 1024);
  } catch (e) {
    throw new HostError((e as Error).message);
  }
  const line = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#')) ?? '';
  const [type, key] = line.split(/\s+/);
  if (!type || !key || !/^(ssh-|ecdsa-|sk-)/.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    throw new HostError(`${file} is not an OpenSSH public key (expected "ssh-ed25519 AAAA... comment")`);
  }
  return { line: line.replace(/\s+/g, ' '), key };
}

// Runs as the login user (never through sudo: the key is for the user cairn logs in as).
// $1: the key's base64 (what identifies it), $2: the whole line to append.
const INSTALL_SCRIPT = [
  'set -e',
  'umask 077',
  'd="$HOME/.ssh"',
  'f="$d/authorized_keys"',
  'mkdir -p "$d"',
  'chmod 700 "$d"',
  '[ -e "$f" ] || : > "$f"',
  'chmod 600 "$f"',
  `if awk -v k="$1" '{ for (i = 1; i <= NF; i++) if ($i == k) found = 1 } END { exit !found }' "$f"; then`,
  '  echo present',
  'else',
  '  if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f"; fi',
  `  printf '%s\\n' "$2" >> "$f"`,
  '  echo added',
  'fi',
  'if command -v restorecon >/dev/null 2>&1; then restorecon -R "$d" >/dev/null 2>&1 || true; fi',
].join('\n');

/** argv that appends `line` to ~/.ssh/authorized_keys unless a line there holds `key`. */
export function installKeyArgv(pub: { line: string; key: string }): string[] {
  return ['sh', '-c', INSTALL_SCRIPT, 'sh', pub.key, pub.line];
}

/** Installs the key on every host of `deployment`, one host after the other (the prompts are interactive). */
export async function copyIdToHosts(deployment: Pick<Deployment, 'hosts' | 'sshPublicKey'>, opts: { trustNewHosts: boolean }, deps: SshCopyIdDeps): Promise<CopyIdOutcome[]> {
  const outcomes: CopyIdOutcome[] = [];
  for (const host of deployment.hosts) {
    try {
      const o = await copyIdToHost(host, deployment, opts, deps);
      outcomes.push(o);
      const how = o.usedPassword ? ' (logged in with the password)' : ' (the key already got in)';
      deps.out(o.status === 'added' ? `${host.name}: key added to ~/.ssh/authorized_keys of ${o.target}${how}` : `${host.name}: key already in ~/.ssh/authorized_keys of ${o.target}${how}`);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (!(error instanceof CairnError)) throw error; // a bug: let main() report it as one
      outcomes.push({ host: host.name, status: 'failed', error });
      deps.err(error.message.startsWith(`host ${host.name}:`) ? error.message : `host ${host.name}: ${error.message}`);
    }
  }
  return outcomes;
}

async function copyIdToHost(
  host: Host,
  deployment: Pick<Deployment, 'sshPublicKey'>,
  opts: { trustNewHosts: boolean },
  deps: SshCopyIdDeps,
): Promise<Extract<CopyIdOutcome, { status: 'added' | 'present' }>> {
  const pubFile = publicKeyFileFor(host, deployment, deps.ssh.home);
  if (!pubFile) throw new HostError(`no public key to install: set CONFIG_SSH_KEY in the answer file or ssh_key in the inventory`);
  const pub = readPublicKey(pubFile);
  // Install for the login user, never through sudo.
  const login: Host = { ...host, sudo: false };
  const target = `${host.ssh.user}@${host.address}:${host.ssh.port}`;
  const connectOpts: SshOptions = { ...deps.ssh, trustNewHosts: opts.trustNewHosts };

  let transport: SshTransport | undefined;
  let usedPassword = false;
  try {
    transport = await connectSsh(login, connectOpts);
  } catch (e) {
    // Only a refused (or unusable) credential leads to the password; an unreachable host or
    // an unknown/changed host key is reported as it is.
    if (!(e instanceof HostError) || e.phase !== 'auth') throw e;
  }
  if (!transport) {
    let password: string | undefined = await deps.askPassword(`${target} password for host ${host.name}: `);
    try {
      transport = await connectSsh(login, { ...connectOpts, password });
      usedPassword = true;
    } finally {
      password = undefined; // not kept beyond the one connection
    }
  }
  try {
    const r = await transport.run({ argv: installKeyArgv(pub), timeoutMs: 30000 });
    const status = r.stdout.trim().split('\n').pop();
    if (r.code !== 0 || (status !== 'added' && status !== 'present')) {
      throw transportError(host.name, 'run', `cannot update ~/.ssh/authorized_keys of ${target}: exit code ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
    }
    return { host: host.name, status, target, usedPassword };
  } finally {
    await transport.close();
  }
}

