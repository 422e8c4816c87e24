/** Loads the deployment named on the command line, printing problems the way every command does. */
import { loadDeployment, type LoadResult } from '../config/deployment.js';
import type { Deployment } from '../config/model.js';
import { formatProblem } from '../config/problems.js';
import { accessSync, constants, statSync } from 'node:fs';
import { describeFsError, kindOf, readUserText } from '../local/user-files.js';
import { expandHome } from '../transport/known-hosts.js';
import type { Io } from './io.js';

/** The options every command that reads a deployment takes. */
export interface DeploymentOptions {
  answerFile: string;
  inventory?: string | undefined;
}

/** Reads both files and validates them (pure after the reads). */
export function loadFromFiles(opts: DeploymentOptions): LoadResult {
  const answerText = readUserText(opts.answerFile, 'answer file');
  const inventoryText = opts.inventory === undefined ? undefined : readUserText(opts.inventory, 'inventory');
  return loadDeployment({
    answerFile: opts.answerFile,
    answerText,
    ...(opts.inventory !== undefined ? { inventoryFile: opts.inventory, inventoryText } : {}),
    localFile: readableFile,
  });
}

/** Why the local file at `path` (`~` allowed) cannot be read, or undefined when it can. */
function readableFile(path: string): string | undefined {
  try {
    const file = expandHome(path);
    const st = statSync(file);
    if (!st.isFile()) return `is ${kindOf(st)}, not a regular file`;
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (e) {
    return describeFsError(e);
  }
}

/** Prints problems to stderr, one line each. */
export function printProblems(result: LoadResult, stderr: (line: string) => void): void {
  for (const p of result.problems) stderr(formatProblem(p));
}

/**
 * Loads and validates, printing every problem; an invalid deployment prints
 * `FILE: invalid; <untouched>` and gives undefined (the caller exits 2).
 */
export function loadOrReport(opts: DeploymentOptions, io: Io, untouched: string): Deployment | undefined {
  const loaded = loadFromFiles(opts);
  printProblems(loaded, io.err);
  if (!loaded.deployment) io.err(`${opts.answerFile}: invalid; ${untouched}`);
  return loaded.deployment;
}
