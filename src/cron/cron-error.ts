/**
 * The cron engine's own error: what was wrong with an expression or a time zone name, without knowing
 * where the caller got it from. The trigger layer wraps it in an InvalidTriggerError that names the
 * field of the trigger spec (`trigger.expression`, `trigger.timezone`).
 */
export type CronInputKind = 'expression' | 'timezone';

export class CronError extends Error {
  /** Which input was wrong: the cron expression or the time zone name. */
  readonly kind: CronInputKind;
  /** The input as given (a zone name or an expression); not a string when the caller passed something else. */
  readonly input: unknown;

  constructor(kind: CronInputKind, input: unknown, message: string) {
    super(message);
    this.name = 'CronError';
    this.kind = kind;
    this.input = input;
  }
}
