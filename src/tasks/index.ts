/** Registers the built-in tasks of the standalone server: log, http, and shell (only with an allow-list). */
import type { ShellAllowEntry } from './shell.js';
import type { SchedulerService } from '../scheduler/service.js';
import { checkHttpArgs, httpArgsSchema, httpTask } from './http.js';
import { logArgsSchema, logTask } from './log.js';
import { createShellTask, shellArgsSchema } from './shell.js';

/**
 * Throws an InvalidArgumentError naming the entry when `shellAllow` has a malformed entry. With
 * `keepRegistered`, a name the scheduler already has a task for keeps it (buildServer's default: a task
 * of your own named `http` stays yours).
 */
export function registerBuiltInTasks(scheduler: SchedulerService, shellAllow: readonly ShellAllowEntry[], options: { keepRegistered?: boolean } = {}): void {
  const taken = new Set(options.keepRegistered === true ? scheduler.taskNames : []);
  if (!taken.has('log')) scheduler.registerTask('log', logTask, { argsSchema: logArgsSchema });
  if (!taken.has('http')) scheduler.registerTask('http', httpTask, { argsSchema: httpArgsSchema, checkArgs: checkHttpArgs });
  // Anything but an empty array goes through createShellTask, which refuses a list that is not an array.
  if (!taken.has('shell') && (!Array.isArray(shellAllow) || shellAllow.length > 0)) {
    const shell = createShellTask(shellAllow);
    scheduler.registerTask('shell', shell.func, { argsSchema: shellArgsSchema, checkArgs: shell.checkArgs });
  }
}
