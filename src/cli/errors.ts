/**
 * The two kinds of failure. A UserError is expected (bad input, a refused action) and is
 * printed as one line with its exit code; anything else is a bug and says so.
 */

/** Exit codes, as documented in the README. */
export const EXIT = {
  ok: 0,
  /** Something failed on a host or in the environment. */
  failed: 1,
  /** Invalid input or usage: nothing was touched. */
  invalid: 2,
  /** A bug in cairn. */
  bug: 70,
} as const;

/** An expected failure with a message meant for the user. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.invalid,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
