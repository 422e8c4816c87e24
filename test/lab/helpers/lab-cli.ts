/**
 * Runs `cairn lab …` the way src/cli/main.ts runs commands (exitOverride, CairnError printed as
 * one line with its exit code), without depending on main.ts having wired the lab commands.
 * Also a script: `node dist/test/lab/helpers/lab-cli.js lab up …`.
 */
import { Command, CommanderError } from 'commander';
import { fileURLToPath } from 'node:url';
import { registerLabCommands } from '../../../src/cli/lab-command.js';
import { CairnError } from '../../../src/errors.js';

/** Output and exit code of one lab command. */
export interface LabCliResult {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `argv` (e.g. ['lab', 'status', '--json']). `echo` also prints the lines as they come. */
export async function runLabCli(argv: string[], echo = false): Promise<LabCliResult> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command('cairn')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (out.push(s.trimEnd()), echo && process.stdout.write(s)),
      writeErr: (s) => (err.push(s.trimEnd()), echo && process.stderr.write(s)),
    });
  registerLabCommands(program, {
    out: (l) => (out.push(l), echo && process.stdout.write(`${l}\n`)),
    err: (l) => (err.push(l), echo && process.stderr.write(`${l}\n`)),
    setExitCode: (c) => (code = c),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (e instanceof CairnError) {
      err.push(`cairn: ${e.message}`);
      if (echo) process.stderr.write(`cairn: ${e.message}\n`);
      code = e.exitCode;
    } else throw e;
  }
  return { code, out, err };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runLabCli(process.argv.slice(2), true);
  process.exitCode = r.code;
}
