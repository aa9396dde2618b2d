/** A wrong command line: printed with the command's usage, exit code 2, nothing sent to the server. */
export class UsageError extends Error {
  /** The usage text of the command that was misused. */
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}
