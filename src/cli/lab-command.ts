/**
 * `cairn lab …`: a multi-node OpenStack lab on one machine (see src/lab/lab.ts).
 *
 *   cairn lab up [--name NAME] [--controllers 1] [--computes 2] [--provider docker|libvirt]
 *   cairn lab status [--name NAME] [--json]
 *   cairn lab down [--name NAME] [--purge]
 *   cairn lab ssh [--name NAME] NODE [-- COMMAND...]
 *
 * Expected failures become CairnError (exit 1 for host/engine failures, 2 for bad usage), which
 * the main CLI prints as one line; progress goes to stderr, results to stdout.
 */
import { Command, Option } from 'commander';
import { relative } from 'node:path';
import { labDown, labSsh, labStatus, labUp } from '../lab/lab.js';
import { DEFAULT_LAB_NAME } from '../lab/lab-name.js';
import { nodeTable } from '../lab/node-table.js';
import type { ProviderName } from '../lab/lab-state.js';
import { CairnError, HostError, UsageError } from '../errors.js';

/** How lab commands talk back to the main CLI (all optional: defaults are stdout/stderr). */
export interface LabCommandHooks {
  /** A line of results (stdout). */
  out?: (line: string) => void;
  /** A line of progress or warning (stderr). */
  err?: (line: string) => void;
  /** `lab ssh` passes the remote command's exit status through this. */
  setExitCode?: (code: number) => void;
}

/** Prefixes lab failures with `lab:` and names their log file; anything else stays a bug. */
async function guarded(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`lab: ${e.message}`);
    if (e instanceof HostError) {
      const log = e.logFile ? ` (details: ${relative(process.cwd(), e.logFile)})` : '';
      throw new HostError(`lab: ${e.message}${log}`, { detail: e.detail ?? '' });
    }
    throw e;
  }
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, not '${value}'`);
  return Number(value);
}

/** Adds `lab` and its subcommands to `program`. */
export function registerLabCommands(program: Command, hooks: LabCommandHooks = {}): Command {
  const out = hooks.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = hooks.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const progressOut = { write: (text: string) => err(text.replace(/\n$/, '')) };
  const nameOption = (): Option => new Option('--name <name>', 'lab name').default(DEFAULT_LAB_NAME);

  const lab = program
    .command('lab')
    .description('a multi-node lab on this machine (nodes are containers booting systemd, or libvirt VMs) to deploy onto');

  lab
    .command('up')
    .description('create or update the lab, write inventory/NAME.yml and answer-files/NAME.ini; idempotent')
    .addOption(nameOption())
    .option('--controllers <n>', 'controller nodes (cairn deploys one)')
    .option('--computes <n>', 'compute nodes (default 2, or what the lab has)')
    .addOption(new Option('--provider <provider>', 'docker (default) or libvirt (real hardware)').choices(['docker', 'libvirt']))
    .option('--base-image <qcow2>', 'libvirt: Debian 12 cloud image the node disks are overlays of')
    .action((opts: { name: string; controllers?: string; computes?: string; provider?: ProviderName; baseImage?: string }) =>
      guarded(async () => {
        const controllers = count(opts.controllers, '--controllers');
        const computes = count(opts.computes, '--computes');
        const r = await labUp({
          name: opts.name,
          progressOut,
          ...(controllers !== undefined ? { controllers } : {}),
          ...(computes !== undefined ? { computes } : {}),
          ...(opts.provider ? { provider: opts.provider } : {}),
          ...(opts.baseImage ? { baseImage: opts.baseImage } : {}),
        });
        out(nodeTable(r.nodes));
        const rel = (f: string): string => relative(process.cwd(), f);
        out(`deploy with: cairn deploy --answer-file ${rel(r.paths.answerFile)} --inventory ${rel(r.paths.inventory)}`);
      }),
    );

  lab
    .command('status')
    .description("the lab's nodes, addresses and states")
    .addOption(nameOption())
    .option('--json', 'print the status as JSON')
    .action((opts: { name: string; json?: boolean }) =>
      guarded(async () => {
        const s = await labStatus({ name: opts.name });
        if (opts.json) {
          out(JSON.stringify(s, null, 2));
          return;
        }
        if (!s.exists) {
          out(`lab ${s.name}: not up`);
          return;
        }
        const nets = s.management ? `management ${s.management}, external ${s.external}; ` : '';
        out(`lab ${s.name} (${s.provider}): ${nets}gateway ${s.gateway.name} ${s.gateway.state}`);
        out(nodeTable(s.nodes));
      }),
    );

  lab
    .command('down')
    .description('remove every container, VM and network of the lab (keeps its key, inventory and answer file unless --purge); idempotent')
    .addOption(nameOption())
    .option('--purge', "also delete the lab's key pair, state, inventory and answer file")
    .action((opts: { name: string; purge?: boolean }) =>
      guarded(async () => {
        await labDown({ name: opts.name, progressOut, ...(opts.purge ? { purge: true } : {}) });
      }),
    );

  lab
    .command('ssh')
    .description('a shell on a lab node, or run COMMAND there (exits with its status)')
    .addOption(nameOption())
    .argument('<node>', 'node name (lab-ctrl1) or its short form (ctrl1)')
    .argument('[command...]', 'command and arguments, after --')
    .action((node: string, command: string[], opts: { name: string }) =>
      guarded(async () => {
        const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
        const code = await labSsh({ name: opts.name, node, command, tty });
        if (hooks.setExitCode) hooks.setExitCode(code);
        else process.exitCode = code;
      }),
    );

  return lab;
}
