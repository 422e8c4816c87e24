/**
 * `cairn ssh-copy-id`: installs the deployment's public key in ~/.ssh/authorized_keys of each
 * host's SSH user, so every later command connects with the key (Packstack asks for each
 * host's root password on its first run for the same purpose).
 *
 * Per host: if the key already gets in, nothing is asked; otherwise the password is asked ONCE
 * on the terminal with echo off, used for that one connection and dropped: it is never taken
 * from the command line or the environment, never logged, never stored. The key is appended
 * only when no line of authorized_keys already holds it; ~/.ssh ends up 0700 and
 * authorized_keys 0600. Host keys are verified as for every connection (--trust-new-hosts).
 */
import type { Command } from 'commander';
import { openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ReadStream, WriteStream } from 'node:tty';
import type { Deployment, Host } from '../config/model.js';
import { hasErrors } from '../config/problems.js';
import { CairnError, HostError, UsageError } from '../errors.js';
import { transportError } from '../transport/errors.js';
import { expandHome } from '../transport/known-hosts.js';
import { connectSsh, type SshOptions, type SshTransport } from '../transport/ssh-transport.js';
import { loadFromFiles, printProblems } from './load.js';

/** What the command needs from outside; each part injectable for tests. */
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

/** Adds `cairn ssh-copy-id` to the program. main.ts catches the CairnError it throws. */
export function registerSshCopyIdCommand(program: Command, deps: Partial<SshCopyIdDeps> = {}): Command {
  const d: SshCopyIdDeps = {
    out: deps.out ?? ((l) => process.stdout.write(`${l}\n`)),
    err: deps.err ?? ((l) => process.stderr.write(`${l}\n`)),
    askPassword: deps.askPassword ?? askPasswordOnTty,
    ssh: deps.ssh ?? {},
  };
  return program
    .command('ssh-copy-id')
    .description("install the deployment's public SSH key (CONFIG_SSH_KEY, or each host's ssh_key + .pub) in each host's ~/.ssh/authorized_keys, asking each host's password once on the terminal")
    .requiredOption('-a, --answer-file <file>', 'Packstack-style answer file (INI)')
    .option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)')
    .option('--trust-new-hosts', 'accept and record (in known_hosts) host keys seen for the first time; a changed key is always refused')
    .action(async (opts: { answerFile: string; inventory?: string; trustNewHosts?: boolean }) => {
      const result = loadFromFiles({ answerFile: opts.answerFile, ...(opts.inventory !== undefined ? { inventory: opts.inventory } : {}) });
      printProblems(result, d.err);
      if (!result.deployment || hasErrors(result.problems)) {
        throw new UsageError(`${opts.answerFile}: invalid; no key was copied`);
      }
      const outcomes = await copyIdToHosts(result.deployment, { trustNewHosts: Boolean(opts.trustNewHosts) }, d);
      const failed = outcomes.filter((o) => o.status === 'failed').length;
      if (failed > 0) throw new HostError(`ssh-copy-id: ${failed} of ${outcomes.length} host${outcomes.length === 1 ? '' : 's'} failed`);
      d.out(`ssh-copy-id: the key gets into all ${outcomes.length} host${outcomes.length === 1 ? '' : 's'}`);
    });
}

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
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HostError(`cannot read public key ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
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

/**
 * Asks for a password on the controlling terminal (/dev/tty, as OpenSSH does, so it works
 * even when stdin is redirected) with echo off: raw mode, nothing echoed, Backspace and
 * Ctrl-U edit, Enter ends, Ctrl-C or Ctrl-D on an empty line abort.
 */
export async function askPasswordOnTty(prompt: string): Promise<string> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync('/dev/tty', 'r');
    outFd = openSync('/dev/tty', 'w');
  } catch {
    throw new HostError('ssh-copy-id asks each host\'s password on a terminal, and there is none (no /dev/tty): run it from an interactive shell');
  }
  const input = new ReadStream(inFd);
  const output = new WriteStream(outFd);
  try {
    output.write(prompt);
    input.setRawMode(true);
    return await new Promise<string>((resolve, reject) => {
      let chars: string[] = [];
      input.on('data', (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(chars.join(''));
          if (ch === '\u0003') return reject(new HostError('interrupted'));
          if (ch === '\u0004' && chars.length === 0) return reject(new HostError('no password given'));
          if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
          else if (ch === '\u0015') chars = [];
          else chars.push(ch);
        }
      });
      input.on('error', (e) => reject(new HostError(`cannot read the password from the terminal: ${e.message}`)));
    });
  } finally {
    try {
      input.setRawMode(false);
    } catch {
      // terminal already gone
    }
    output.write('\n');
    input.destroy(); // closes inFd
    output.destroy(); // closes outFd
  }
}
