/**
 * The commands that only read and write local files: `gen-answer-file`, `validate` and
 * `render`. No host is touched by any of them.
 */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { formatProblem, hasErrors } from '../config/problems.js';
import { writeAnswerFile } from '../deploy/answer-file-writer.js';
import { planDeployment } from '../deploy/plan-deployment.js';
import { writeRenderTree } from '../deploy/render-tree.js';
import { EXIT } from '../errors.js';
import { buildManifest } from '../render/manifest.js';
import type { Io } from './io.js';
import { loadFromFiles, printProblems, type DeploymentOptions } from './load.js';
import { version } from './version.js';

/** Adds gen-answer-file, validate and render to `program`. */
export function registerFileCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  const answerFileOption = (): Option => new Option('-a, --answer-file <file>', 'Packstack-style answer file, INI (required)').makeOptionMandatory();
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
    .requiredOption('-o, --out <dir>', 'output directory: new, empty, or an earlier render (required)')
    .action((opts: DeploymentOptions & { out: string }) => {
      const result = loadFromFiles(opts);
      printProblems(result, io.err);
      if (!result.deployment) {
        io.err(`${opts.answerFile}: invalid; nothing rendered`);
        setCode(EXIT.invalid);
        return;
      }
      const { files } = planDeployment(result.deployment);
      writeRenderTree(opts.out, files, buildManifest(result.deployment, files, version()));
      io.out(`rendered ${files.length} files for ${result.deployment.hosts.length} hosts into ${opts.out} (manifest: ${join(opts.out, 'manifest.json')})`);
    });

}

function describeHosts(result: ReturnType<typeof loadFromFiles>): string {
  const d = result.deployment;
  if (!d) return '';
  return d.hosts.map((h) => `${h.name} (${h.roles.join('+')})`).join(', ');
}
