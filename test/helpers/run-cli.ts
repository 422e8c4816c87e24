/** Runs the CLI in-process with captured output, as the CLI tests do. */
import { main } from '../../src/cli/main.js';

/** `cairn ...argv`: its exit code and what it printed on stdout and stderr. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
