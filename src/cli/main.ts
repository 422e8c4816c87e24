/**
 * The `cairn` command line. Parses arguments (commander), runs one command, and is the only
 * place that catches errors: an expected failure (src/errors.ts) prints one line and exits with its code; anything
 * else is a bug and says so.
 */
import { Command, CommanderError, Option } from 'commander';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAnswerFile } from '../config/generate.js';
import { formatProblem, hasErrors } from '../config/problems.js';
import { buildManifest } from '../render/manifest.js';
import { renderFiles } from '../render/render-files.js';
import { packageRoot } from '../render/templates.js';
import { allServices } from '../services/index.js';
import { CairnError, EXIT, UsageError } from '../errors.js';
import { loadFromFiles, printProblems, type DeploymentOptions } from './load.js';
import { writeRenderTree } from './render-output.js';
import { registerContainersCommands } from './containers-command.js';
import { registerDeployCommand } from './deploy-command.js';
import { registerLabCommands } from './lab-command.js';
import { registerSshCopyIdCommand } from './ssh-copy-id-command.js';
import { registerVerifyCommand } from './verify-command.js';

/** Where a command writes: injectable so tests can capture output. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** cairn's version, from package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

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

  const answerFileOption = (): Option => new Option('-a, --answer-file <file>', 'Packstack-style answer file (INI)').makeOptionMandatory();
  const inventoryOption = (): Option => new Option('-i, --inventory <file>', 'YAML inventory of hosts and groups (optional)');

  program
    .command('gen-answer-file')
    .description('write a commented answer file with every supported key, its default and fresh random passwords (mode 0600)')
    .argument('<file>', 'file to write')
    .option('-f, --force', 'overwrite the file if it exists')
    .action((file: string, opts: { force?: boolean }) => {
      writeAnswerFile(file, Boolean(opts.force));
      io.out(`wrote ${file} (mode 0600); edit it, then: cairn validate --answer-file ${file}`);
    });

  program
    .command('validate')
    .description('check an answer file (and inventory): every problem at once as FILE:LINE: KEY: message; exit 0 valid, 2 invalid')
    .addOption(answerFileOption())
    .addOption(inventoryOption())
    .option('--json', 'print the problems as a JSON array on stdout')
    .action((opts: DeploymentOptions & { json?: boolean }) => {
      const result = loadFromFiles(opts);
      const invalid = hasErrors(result.problems);
      if (opts.json) {
        io.out(JSON.stringify(result.problems.map((p) => ({ ...p, text: formatProblem(p) })), null, 2));
      } else {
        printProblems(result, io.err);
        const warnings = result.problems.filter((p) => p.severity === 'warning').length;
        const errors = result.problems.length - warnings;
        const files = [opts.answerFile, opts.inventory].filter(Boolean).join(' + ');
        if (invalid) io.err(`${files}: invalid (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`);
        else io.out(`${files}: valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}; ${describeHosts(result)}`);
      }
      setCode(invalid ? EXIT.invalid : EXIT.ok);
    });

  program
    .command('render')
    .description('write every file cairn would put on every host to DIR/<host>/<path>, plus DIR/manifest.json')
    .addOption(answerFileOption())
    .addOption(inventoryOption())
    .requiredOption('-o, --out <dir>', 'output directory (new, empty, or an earlier render)')
    .action((opts: DeploymentOptions & { out: string }) => {
      const result = loadFromFiles(opts);
      printProblems(result, io.err);
      if (!result.deployment) {
        io.err(`${opts.answerFile}: invalid; nothing rendered`);
        setCode(EXIT.invalid);
        return;
      }
      const files = renderFiles(result.deployment, allServices);
      writeRenderTree(opts.out, files, buildManifest(result.deployment, files, version()));
      io.out(`rendered ${files.length} files for ${result.deployment.hosts.length} hosts into ${opts.out} (manifest: ${join(opts.out, 'manifest.json')})`);
    });

  registerDeployCommand(program, io, setCode, writeAnswerFile);
  registerVerifyCommand(program, io, setCode);
  registerSshCopyIdCommand(program, { out: io.out, err: io.err });
  registerLabCommands(program, { out: io.out, err: io.err, setExitCode: setCode });
  registerContainersCommands(program, io);

  return program;
}

function describeHosts(result: ReturnType<typeof loadFromFiles>): string {
  const d = result.deployment;
  if (!d) return '';
  return d.hosts.map((h) => `${h.name} (${h.roles.join('+')})`).join(', ');
}

/** Writes a generated answer file, refusing to overwrite unless forced; mode 0600 from creation. */
function writeAnswerFile(file: string, force: boolean): void {
  if (!force && existsSync(file)) throw new UsageError(`${file} exists; pass --force to overwrite it`);
  try {
    // 'wx' refuses a file that appeared since the check; the mode applies from creation on, so
    // the passwords are never readable by others, not even for an instant.
    writeFileSync(file, generateAnswerFile(), { mode: 0o600, flag: force ? 'w' : 'wx' });
    chmodSync(file, 0o600); // an overwritten file keeps its old mode otherwise
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}
