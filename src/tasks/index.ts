/** Registers the built-in tasks of the standalone server: log, http, and shell (only with an allow-list). */
import type { SchedulerService } from '../scheduler/service.js';
import { httpTask } from './http.js';
import { logTask } from './log.js';
import { createShellTask } from './shell.js';

export function registerBuiltInTasks(scheduler: SchedulerService, shellAllow: readonly string[]): void {
  scheduler.registerTask('log', logTask);
  scheduler.registerTask('http', httpTask);
  if (shellAllow.length > 0) scheduler.registerTask('shell', createShellTask(shellAllow));
}
