/** Loads the deployment named on the command line, printing problems the way every command does. */
import { loadDeployment, type LoadResult } from '../config/deployment.js';
import type { Deployment } from '../config/model.js';
import { formatProblem } from '../config/problems.js';
import { readUserFile, type Io } from './io.js';

/** The options every command that reads a deployment takes. */
export interface DeploymentOptions {
  answerFile: string;
  inventory?: string | undefined;
}

/** Reads both files and validates them (pure after the reads). */
export function loadFromFiles(opts: DeploymentOptions): LoadResult {
  const answerText = readUserFile(opts.answerFile, 'answer file');
  const inventoryText = opts.inventory === undefined ? undefined : readUserFile(opts.inventory, 'inventory');
  return loadDeployment({
    answerFile: opts.answerFile,
    answerText,
    ...(opts.inventory !== undefined ? { inventoryFile: opts.inventory, inventoryText } : {}),
  });
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
