/**
 * OpenSSH command lines for lab nodes: the lab key, the lab's own known_hosts checked strictly
 * (host keys come from the nodes through the Docker API), and nothing from ~/.ssh.
 */
import { shJoin } from '../transport/quote.js';

/** What an ssh command line needs to reach one node. */
export interface SshTarget {
  address: string;
  user: string;
  port: number;
  privateKey: string;
  knownHosts: string;
}

/** Options shared by every lab ssh command. */
export function sshOptions(t: SshTarget): string[] {
  return [
    '-i', t.privateKey,
    '-p', String(t.port),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${t.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'LogLevel=ERROR',
  ];
}

/**
 * `ssh` to a node: a login shell when `command` is empty, else the command with exactly those
 * arguments (each quoted for the remote shell, like `docker exec`; use `sh -c '…'` for a
 * pipeline). `tty`: allocate a terminal (when cairn's stdin and stdout are terminals).
 */
export function sshArgv(t: SshTarget, command: readonly string[], tty: boolean): string[] {
  const argv = ['ssh', ...sshOptions(t)];
  // A terminal only when cairn itself runs on one: piped output stays byte-exact.
  if (tty) argv.push('-t');
  argv.push(`${t.user}@${t.address}`);
  if (command.length > 0) argv.push('--', shJoin(command));
  return argv;
}

/** A non-interactive check that the node accepts the lab key: `ssh … true`. */
export function sshProbeArgv(t: SshTarget, timeoutSeconds = 5): string[] {
  return ['ssh', ...sshOptions(t), '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${timeoutSeconds}`, `${t.user}@${t.address}`, 'true'];
}

/** `ssh-keygen` making the lab's key pair (no passphrase: cairn uses it unattended). */
export function sshKeygenArgv(privateKey: string, comment: string): string[] {
  return ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKey];
}
