/**
 * The CLI's exit codes, for scripts: documented in the README (CLI section). Health checks get their own
 * code so a monitor can tell "the server says something is wrong" from "the request failed".
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The server answered with an error (its code and message are printed), or answered something the CLI cannot read. */
  API_ERROR: 1,
  /** The command line is wrong: unknown command or flag, a missing or malformed value. Nothing was sent. */
  USAGE: 2,
  /** No answer from the server: down, wrong URL, or a timeout. */
  UNREACHABLE: 3,
  /** `tickwork health`: the server answered, and it is not ready or has failing or overdue jobs. */
  UNHEALTHY: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
