/**
 * Built-in task `shell`: runs one allowed command. Args: `{ command, args?, cwd?, timeoutSeconds? }`.
 * Off unless an allow-list of commands is configured; the arguments are an array passed to the program
 * directly, never through a shell, so they cannot inject commands.
 */
import { execFile } from 'node:child_process';
import { InvalidArgumentError, TickworkError } from '../scheduler/errors.js';
import type { JobContext, JobFunction } from '../scheduler/job.js';

const MAX_BUFFER = 1024 * 1024;

export function createShellTask(allow: readonly string[]): JobFunction {
  const allowed = new Set(allow);
  return (ctx: JobContext): Promise<string> => {
    const a = (ctx.args ?? {}) as Record<string, unknown>;
    if (typeof a.command !== 'string') throw InvalidArgumentError.field('args.command', 'the shell task needs { command: "name", args: [...] }.');
    if (!allowed.has(a.command)) {
      throw new TickworkError('FORBIDDEN', `Command "${a.command.slice(0, 100)}" is not in the shell allow-list (${allowed.size === 0 ? 'empty: the shell task is off' : [...allowed].join(', ')}); add it to shell.allow in the config.`);
    }
    const argv = a.args ?? [];
    if (!Array.isArray(argv) || !argv.every((x) => typeof x === 'string')) throw InvalidArgumentError.field('args.args', 'must be an array of strings.');
    const timeoutSeconds = a.timeoutSeconds ?? 300;
    if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0)) throw InvalidArgumentError.field('args.timeoutSeconds', 'must be a positive number of seconds.');
    const command = a.command;
    return new Promise((resolve, reject) => {
      execFile(command, argv as string[], {
        signal: ctx.signal, timeout: timeoutSeconds * 1000, maxBuffer: MAX_BUFFER, shell: false,
        ...(typeof a.cwd === 'string' ? { cwd: a.cwd } : {}),
      }, (error, _stdout, stderr) => {
        const tail = String(stderr).slice(-4096);
        if (error !== null) {
          const exit = (error as { code?: unknown }).code;
          reject(Object.assign(new Error(`${command} failed: ${typeof exit === 'number' ? `exit code ${exit}` : error.message}`), { code: 'SHELL_FAILED', output: tail }));
        } else {
          resolve(tail === '' ? 'exit code 0' : tail);
        }
      });
    });
  };
}
