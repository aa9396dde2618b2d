/** The help texts: `tickwork --help`, and each command's own (`tickwork jobs add --help`). */

const CONNECTION = `Server options (every command but serve and preview):
  --url <url>   the server (env TICKWORK_URL; default http://127.0.0.1:8080)
  --key <key>   an admin or monitor API key (env TICKWORK_KEY)
  --json        print the API's JSON instead of tables (errors go to stderr as the API's JSON)`;

export const SERVE_USAGE = `Usage: tickwork serve [--config tickwork.config.mjs] [--host 127.0.0.1] [--port 8080]

Environment: HOST, PORT, TICKWORK_STORE (sqlite:./data/tickwork.db), TICKWORK_ADMIN_KEY, TICKWORK_MONITOR_KEY,
TICKWORK_CONFIG, TICKWORK_SHUTDOWN_TIMEOUT (30), LOG_LEVEL (info).`;

export const JOBS_LIST_USAGE = `Usage: tickwork jobs list [--search <text>] [--state active|paused|failing] [--health <state>,...]
                         [--sort id|nextRunTime|lastRun] [--limit <n> [--cursor <nextCursor>]]

Lists jobs: id, schedule in words, countdown to the next run, health, last run. Without --limit, every
matching job (--json prints { items, nextCursor: null }); with it, one page as the API answers it.
--health takes ok, failing, overdue, paused, pending (comma-separated).`;

export const JOBS_GET_USAGE = `Usage: tickwork jobs get <id>

Shows one job: schedule, next run, health and why, last run, policies. Exit code 1 (JOB_NOT_FOUND) when
there is no such job.`;

export const JOBS_ADD_USAGE = `Usage: tickwork jobs add <id> --task <name> (--cron <expression> [--tz <zone>] | --every <duration> | --at <time>)
                        [--args <json>] [--name <name>] [--paused] [--replace]
       tickwork jobs add --file <job.json | ->

Creates a job that runs a registered task (see GET /api/v1/tasks: log, http, shell, and the config's).
  --cron    5 or 6 fields, or a nickname such as @daily; --tz is its IANA zone (default: the server's)
  --every   an interval: 90, 90s, 15m, 2h or 1d (seconds when no unit; fractions allowed: 0.5s)
  --at      one run at an ISO 8601 time with Z or an offset: 2026-12-01T09:00:00Z
  --args    the task's arguments as JSON: '{"message":"hello"}'
  --replace replace a job with the same id instead of failing with CONFLICTING_ID
  --file    the whole POST /api/v1/jobs body as JSON (every policy field), from a file or - for stdin;
            an array of such bodies (up to 1000) creates them in one request (POST /api/v1/jobs/batch),
            each reported on its own line; exit 1 when any was not created`;

export const JOBS_RM_USAGE = `Usage: tickwork jobs rm <id>

Removes a job. A run in progress finishes.`;

export const JOBS_PAUSE_USAGE = `Usage: tickwork jobs pause <id>

Pauses a job: it does not fire until resumed.`;

export const JOBS_RESUME_USAGE = `Usage: tickwork jobs resume <id>

Resumes a paused job from its next fire time after now (a job with no further fire time is removed).`;

export const JOBS_RUN_USAGE = `Usage: tickwork jobs run <id> [--args <json>] [--note <text>]

Starts a run of the job now, outside its schedule; see its outcome with tickwork jobs runs <id>.
--args gives this run its own args (JSON, checked against the task's argsSchema) instead of the job's;
--note says why (kept on the run and in the audit trail).`;

export const JOBS_RUNS_USAGE = `Usage: tickwork jobs runs <id> [--limit <n> (20)] [--cursor <nextCursor>]

A job's run history, newest first.`;

export const JOBS_BACKFILL_USAGE = `Usage: tickwork jobs backfill <id> --from <time> --to <time> [--only missed,lost,...] [--dry-run]

Re-runs the gaps of a past range: the fires from --from to --to (inclusive; ISO 8601 with Z or an offset)
whose recorded outcome is one of --only (default missed; also lost, failed, skipped, cancelled), oldest
first, each under its original time. A fire that succeeded never runs again. Prints each fire's time, its
recorded outcome and the re-run's id. --dry-run lists them and starts nothing. Admin key.`;

export const JOBS_USAGE = `Usage: tickwork jobs <command> [options]

  list                 list jobs with schedule, next run and health
  get <id>             show one job
  add <id> ...         create a job (tickwork jobs add --help)
  rm <id>              remove a job
  pause <id>           pause a job
  resume <id>          resume a job
  run <id>             run a job now
  runs <id>            a job's run history
  backfill <id> ...    re-run a past range's missed fires (tickwork jobs backfill --help)

${CONNECTION}`;

export const PREVIEW_USAGE = `Usage: tickwork preview '<cron expression>' [--tz <zone>] [-n <count> (10)] [--from <time>] [--json]

The next fire times of a cron expression, computed here (no server needed) by the same code as the
server's POST /api/v1/schedules/preview: shown in the zone (default: this machine's), with fires a DST
change moved marked. --json prints { items: [{ at, dst? }] } as the API does.`;

export const HEALTH_USAGE = `Usage: tickwork health

The server's readiness (GET /api/v1/ready) and its failing and overdue jobs, with why. Exit code 0 when
ready with none, 4 when not ready or any job is failing or overdue.`;

export const EXPORT_USAGE = `Usage: tickwork export [--out <file>]

Every job's definition as JSON ({ jobs: [...] }, GET /api/v1/export), to stdout or a file.`;

export const IMPORT_USAGE = `Usage: tickwork import <file | -> [--prune] [--dry-run]

Creates or updates the jobs of an export by id (POST /api/v1/import); --prune also removes the jobs the
import owns that the file no longer lists; --dry-run shows what would change and changes nothing.`;

export const USAGE = `Usage: tickwork <command> [options]

Commands:
  serve                          run the server and the scheduler (the default)
  jobs list                      list jobs: schedule in words, next run, health
  jobs get <id>                  show one job
  jobs add <id> ...              create a job
  jobs rm <id>                   remove a job
  jobs pause <id>                pause a job
  jobs resume <id>               resume a job
  jobs run <id>                  run a job now
  jobs runs <id>                 a job's run history
  jobs backfill <id> ...         re-run the missed fires of a past range (--from, --to, --dry-run)
  preview '<expression>'         next fire times of a cron expression (--tz <zone> -n <count>)
  health                         readiness and failing or overdue jobs
  export                         every job's definition as JSON
  import <file>                  create or update jobs from an export

${CONNECTION}

Exit codes: 0 ok, 1 the server answered with an error (its code and message are printed), 2 wrong
command line, 3 cannot reach the server, 4 (health) not ready or jobs failing or overdue.
Each command has its own --help.

${SERVE_USAGE}`;
