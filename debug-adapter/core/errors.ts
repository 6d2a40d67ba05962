/**
 * The error every layer throws when something is wrong that the user can fix: a bad launch
 * attribute, an interpreter that is not free-threaded, a program that ended before the debugger
 * could start. Its message is shown as it is, so it says what happened and what to do.
 * Anything else that is thrown is a bug in ftpy.
 */
export class FtpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FtpyError';
  }
}
