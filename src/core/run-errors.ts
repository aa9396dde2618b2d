/**
 * The codes a run's recorded error can carry (`run.error.code`), beside the API error codes of
 * `errors.ts`: they say why a run did not succeed. A job function may throw its own codes too (any
 * `error.code` string is recorded, clipped); these are the ones Tickwork itself writes, and the README's
 * table of run error codes lists the same.
 */
export const RUN_ERROR_CODES = {
  TIMED_OUT: 'the run ran longer than its timeoutSeconds; its signal was aborted',
  CANCELLED: 'the run was cancelled (cancelRun, shutdown, or its node shut down) before it finished',
  REPLACED: "the run was cancelled (outcome cancelled) because a newer fire of its job replaced it (overlap: 'replace'); the message names that fire",
  LOST: 'the process or node running it stopped before the run finished, or its outcome was never recorded',
  MAX_CATCH_UP: 'more fire times were due at once than maxCatchUp; the oldest were recorded missed, not run',
  PAUSED: 'the fire times of a pause that were not run (outcome paused: one record for the whole stretch)',
  MAX_INSTANCES_REACHED: 'the fire was skipped: maxInstances runs of the job were already running',
  EXCLUDED:
    "the fire was not run: its local date is in one of the job's exclusion calendars or dates, or it was skipped with skipFire (the message says which)",
  TASK_NOT_REGISTERED: 'the job names a task this process has not registered',
  LOAD_ERROR: 'the stored job could not be read (the code of job_load_error; no run is recorded); it is set aside until it is fixed or removed',
  INVALID_ARGUMENT:
    "the job's args do not fit its task's argsSchema, or a built-in task refused them (checked when the job is created, and again at every run)",
  HTTP_STATUS: 'the http task got a non-2xx answer',
  HTTP_TIMEOUT: 'the http task got no answer within its args.timeoutSeconds',
  HTTP_NETWORK: 'the http task could not reach the server (connection refused, DNS, TLS, reset, ...)',
  HTTP_REDIRECTS: 'the http task was redirected more times than it follows (5)',
  HTTP_INSECURE_REDIRECT: 'the http task was redirected from https to plain http, which it does not follow',
  HTTP_BAD_REDIRECT: 'the http task was redirected to a Location that is not a valid http or https URL',
  SHELL_FAILED: 'the shell task could not start its command, or the command exited non-zero or by a signal',
  SHELL_TIMED_OUT: 'the shell task ran past its timeout; its process group was killed',
  SHELL_CANCELLED: 'the shell task was cancelled; its process group was killed',
} as const;

export type RunErrorCode = keyof typeof RUN_ERROR_CODES;
