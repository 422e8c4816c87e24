/**
 * The `cairn` command line. Parses arguments (commander), runs one command, and is the only
 * place that catches errors: an expected failure (src/errors.ts) prints one line and exits with its code; anything
 * else is a bug and says so.
 */
import { Command, CommanderError } from 'commander';
import { CairnError, EXIT } from '../errors.js';
import { registerFileCommands } from './file-commands.js';
import type { Io } from './io.js';
import { registerContainersCommands } from './containers-command.js';
import { registerDeployCommand } from './deploy-command.js';
import { registerLabCommands } from './lab-command.js';
import { registerSshCopyIdCommand } from './ssh-copy-id-command.js';
import { registerVerifyCommand } from './verify-command.js';
import { version } from './version.js';

export { version } from './version.js';


const defaultIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** Runs cairn with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version "errors" are successes; everything else commander rejects is usage.
      return e.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    if (e instanceof CairnError) {
      // The output that explains it (a container's logs, a build's last lines) comes first, so
      // the one line that says what failed is the last thing on the screen.
      if (e.detail) io.err(e.detail);
      io.err(`cairn: ${e.message}`);
      return e.exitCode;
    }
    io.err(`cairn: internal error (this is a bug in cairn, please report it): ${(e as Error).stack ?? String(e)}`);
    return EXIT.bug;
  }
}

function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command('cairn')
    .description('Deploy OpenStack from a Packstack-style answer file: validate, render, deploy, verify.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  registerFileCommands(program, io, setCode);
  registerDeployCommand(program, io, setCode);
  registerVerifyCommand(program, io, setCode);
  registerSshCopyIdCommand(program, { out: io.out, err: io.err });
  registerLabCommands(program, { out: io.out, err: io.err, setExitCode: setCode });
  registerContainersCommands(program, io);

  return program;
}
