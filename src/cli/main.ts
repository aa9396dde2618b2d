/**
 * The `tickwork` command line, apart from `serve`: picks the command, runs it, and turns what went wrong
 * into the documented exit code and text (the API's code and message; usage for a wrong command line).
 */
import { TickworkError } from '../core/errors.js';
import { ApiError, UnreachableError } from '../client/errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { healthCommand } from './health.js';
import type { CliIo } from './io.js';
import { jobsCommand } from './jobs.js';
import { previewCommand } from './preview.js';
import { exportCommand, importCommand } from './transfer.js';
import { UsageError } from './usage-error.js';
import { USAGE } from './usage.js';

type Command = (args: readonly string[], io: CliIo) => Promise<ExitCode>;

const COMMANDS: Record<string, Command> = {
  jobs: jobsCommand,
  preview: previewCommand,
  health: healthCommand,
  export: exportCommand,
  import: importCommand,
};

/** Whether `argv` asks for the server (`serve`, or no command at all, as before the other commands existed). */
export function isServe(argv: readonly string[]): boolean {
  return argv.length === 0 || argv[0] === 'serve';
}

/** Runs one command (not `serve`) and answers its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name = '', ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`Unknown command "${name}".\n\n${USAGE}\n`);
    return EXIT.USAGE;
  }
  const json = rest.includes('--json');
  try {
    return await command(rest, io);
  } catch (error) {
    return report(error, io, json);
  }
}

function report(error: unknown, io: CliIo, json: boolean): ExitCode {
  if (error instanceof UsageError) {
    io.stderr(`${error.message}\n\n${error.usage}\n`);
    return EXIT.USAGE;
  }
  if (error instanceof UnreachableError) {
    io.stderr(json ? `${JSON.stringify({ error: { code: 'UNREACHABLE', message: error.message } })}\n` : `${error.message}\n`);
    return EXIT.UNREACHABLE;
  }
  if (error instanceof ApiError) {
    const body = { code: error.code, message: error.message, ...(error.details.length === 0 ? {} : { details: error.details }) };
    io.stderr(
      json ? `${JSON.stringify({ error: body })}\n` : `${error.code}: ${error.message}\n${error.details.map((d) => `  ${d.path}: ${d.message}\n`).join('')}`,
    );
    return EXIT.API_ERROR;
  }
  // Checked in this process before anything is sent (preview's expression and zone): the input is wrong.
  if (error instanceof TickworkError) {
    io.stderr(json ? `${JSON.stringify({ error: error.toJSON() })}\n` : `${error.code}: ${error.message}\n`);
    return EXIT.USAGE;
  }
  throw error;
}
