/**
 * The two kinds of expected lab errors. Anything else thrown is a bug and is reported as one.
 */

/** Something failed on the host or engine (exit code 1). `logFile` says where the details are. */
export class LabError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly logFile?: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

/** The user asked for something that cannot be done as asked (exit code 2). */
export class LabUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'LabUsageError';
  }
}

/** The last `lines` lines of `text`, for error messages that quote a command's output. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
