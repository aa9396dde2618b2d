/** Registers the built-in tasks of the standalone server: log, http, and shell (only with an allow-list). */
import type { ShellAllowEntry } from './shell.js';
import type { SchedulerService } from '../scheduler/service.js';
import { checkHttpArgs, httpArgsSchema, httpTask } from './http.js';
import { logArgsSchema, logTask } from './log.js';
import { createShellTask, shellArgsSchema } from './shell.js';

/** Throws an InvalidArgumentError naming the entry when `shellAllow` has a malformed entry. */
export function registerBuiltInTasks(scheduler: SchedulerService, shellAllow: readonly ShellAllowEntry[]): void {
  scheduler.registerTask('log', logTask, { argsSchema: logArgsSchema });
  scheduler.registerTask('http', httpTask, { argsSchema: httpArgsSchema, checkArgs: checkHttpArgs });
  // Anything but an empty array goes through createShellTask, which refuses a list that is not an array.
  if (!Array.isArray(shellAllow) || shellAllow.length > 0) {
    const shell = createShellTask(shellAllow);
    scheduler.registerTask('shell', shell.func, { argsSchema: shellArgsSchema, checkArgs: shell.checkArgs });
  }
}
