/** `cairn ssh-copy-id`: parses its options, loads the deployment, copies the key, prints. */
import type { Command } from 'commander';
import { hasErrors } from '../config/problems.js';
import { copyIdToHosts, type SshCopyIdDeps } from '../deploy/ssh-copy-id.js';
import { HostError, UsageError } from '../errors.js';
import { loadFromFiles, printProblems } from './load.js';
import { askPasswordOnTty } from './password-prompt.js';

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
    .requiredOption('-a, --answer-file <file>', 'Packstack-style answer file, INI (required)')
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

