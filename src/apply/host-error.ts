/** A step that failed on a host: host, step, argv, exit code and the tail of its output. */
import { EXIT, UserError } from '../cli/errors.js';
import { shJoin } from '../transport/quote.js';
import { failureExcerpt } from './failure-excerpt.js';

export class StepError extends UserError {
  constructor(
    readonly host: string,
    readonly step: string,
    detail: string,
    readonly argv?: string[],
    readonly code?: number,
    readonly output?: string,
  ) {
    const lines = [`host ${host}: step ${step}: ${detail}`];
    if (argv) lines.push(`  command: ${shJoin(argv)}`);
    if (code !== undefined) lines.push(`  exit code: ${code}`);
    if (output && output.trim() !== '') {
      const excerpt = failureExcerpt(output);
      lines.push(excerpt.block ? "  output (dpkg's first error, then the last lines):" : '  last lines of output:', ...excerpt.text.split('\n').map((l) => `    ${l}`));
    }
    super(lines.join('\n'), EXIT.failed);
    this.name = 'StepError';
  }
}
