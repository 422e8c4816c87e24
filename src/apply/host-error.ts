/** A step that failed on a host: host, step, argv, exit code and the tail of its output. */
import { HostError } from '../errors.js';
import { shJoin } from '../transport/quote.js';
import { failureExcerpt } from './failure-excerpt.js';

/**
 * The HostError of a failed step: `host H: step S: detail`, then the command, its exit code and
 * the lines of its output that explain the failure (dpkg's first error before the last lines).
 */
export function stepError(host: string, step: string, detail: string, argv?: string[], code?: number, output?: string): HostError {
  const lines = [`host ${host}: step ${step}: ${detail}`];
  if (argv) lines.push(`  command: ${shJoin(argv)}`);
  if (code !== undefined) lines.push(`  exit code: ${code}`);
  if (output && output.trim() !== '') {
    const excerpt = failureExcerpt(output);
    lines.push(excerpt.block ? "  output (dpkg's first error, then the last lines):" : '  last lines of output:', ...excerpt.text.split('\n').map((l) => `    ${l}`));
  }
  return new HostError(lines.join('\n'), {
    host,
    step,
    ...(argv ? { argv } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(output !== undefined ? { output } : {}),
  });
}
