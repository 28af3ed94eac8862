/**
 * The one error the local stack raises for its own reasons (as opposed to invalid options, which
 * are `RangeError`/`TypeError`).
 *
 * @module
 */

/** Raised when the stack could not start; the message carries the failing process's output. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}
