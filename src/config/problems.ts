/**
 * Problems found in user input. Every check reports into one list so that the user sees all
 * of them at once, each as `FILE:LINE: KEY: message` (warnings prefixed `warning: `).
 */

export type Severity = 'error' | 'warning';

/** One thing wrong (or doubtful) in an input file. */
export interface Problem {
  severity: Severity;
  file: string;
  /** 1-based line, or 0 when the problem is about the file as a whole (e.g. a missing key). */
  line: number;
  /** 1-based column (in characters), when it helps: stray characters. */
  column?: number;
  /** Answer-file key, or slash-separated path in a YAML file. */
  key: string;
  message: string;
}

/** Formats one problem as the single line the CLI prints. */
export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
  return `${p.severity === 'warning' ? 'warning: ' : ''}${where}: ${p.key}: ${p.message}`;
}

/** True when any problem is an error (not only warnings). */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Sorts problems by file, then line, keeping the order of problems on the same line. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.file.localeCompare(b.p.file) || a.p.line - b.p.line || a.i - b.i)
    .map(({ p }) => p);
}
