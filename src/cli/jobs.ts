/** `tickwork jobs list|get|add|rm|pause|resume|run|runs|backfill`: one command per job route, through TickworkClient. */
import { BACKFILL_OUTCOMES, type BackfillOutcome } from '../core/backfill.js';
import { HEALTH_STATES, type HealthState } from '../core/health.js';
import type { JobSort, JobState } from '../stores/job-order.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { table, relative, timeIn } from './format.js';
import type { CliIo } from './io.js';
import { JOB_HEADERS, RUN_HEADERS, jobDetail, jobRow, runRow } from './job-view.js';
import { newJobBody } from './job-spec.js';
import type { JobBatchJson, JobJson } from '../client/wire.js';
import { CONNECTION_OPTIONS, choiceFlag, clientFor, integerFlag, parseCommand } from './options.js';
import { printJson } from './output.js';
import { UsageError } from './usage-error.js';
import {
  JOBS_ADD_USAGE,
  JOBS_BACKFILL_USAGE,
  JOBS_GET_USAGE,
  JOBS_LIST_USAGE,
  JOBS_PAUSE_USAGE,
  JOBS_RESUME_USAGE,
  JOBS_RM_USAGE,
  JOBS_RUN_USAGE,
  JOBS_RUNS_USAGE,
  JOBS_USAGE,
} from './usage.js';

const JOB_STATES: readonly JobState[] = ['active', 'paused', 'failing'];
const JOB_SORTS: readonly JobSort[] = ['id', 'nextRunTime', 'lastRun'];

type Command = (args: readonly string[], io: CliIo) => Promise<ExitCode>;

/** Runs `tickwork jobs <subcommand> ...`. */
export async function jobsCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${JOBS_USAGE}\n`);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`Unknown command "jobs ${name}".`, JOBS_USAGE);
  return command(rest, io);
}

const COMMANDS: Record<string, Command> = {
  list,
  ls: list,
  get,
  add,
  rm,
  remove: rm,
  pause: (args, io) => toggle(args, io, 'pause'),
  resume: (args, io) => toggle(args, io, 'resume'),
  run,
  runs,
  backfill,
};

function help(io: CliIo, usage: string): ExitCode {
  io.stdout(`${usage}\n`);
  return EXIT.OK;
}

async function list(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = {
    ...CONNECTION_OPTIONS,
    search: { type: 'string' },
    state: { type: 'string' },
    health: { type: 'string' },
    sort: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  } as const;
  const { values } = parseCommand(args, options, JOBS_LIST_USAGE, { min: 0, max: 0 });
  if (values.help === true) return help(io, JOBS_LIST_USAGE);
  const limit = integerFlag(values.limit, '--limit', 1, 1000, JOBS_LIST_USAGE);
  if (values.cursor !== undefined && limit === undefined) throw new UsageError('--cursor reads one page: give --limit with it.', JOBS_LIST_USAGE);
  const health = values.health?.split(',').map((state) => choiceFlag(state.trim(), '--health', HEALTH_STATES, JOBS_LIST_USAGE) as HealthState);
  const query = {
    ...(values.search === undefined ? {} : { q: values.search }),
    ...(values.state === undefined ? {} : { state: choiceFlag(values.state, '--state', JOB_STATES, JOBS_LIST_USAGE) as JobState }),
    ...(values.sort === undefined ? {} : { sort: choiceFlag(values.sort, '--sort', JOB_SORTS, JOBS_LIST_USAGE) as JobSort }),
    ...(health === undefined ? {} : { health }),
  };
  const client = clientFor(values, io, JOBS_LIST_USAGE);
  const page =
    limit === undefined
      ? await client.listAllJobs(query)
      : await client.listJobs({ ...query, limit, ...(values.cursor === undefined ? {} : { cursor: values.cursor }) });
  if (values.json === true) {
    printJson(io, page);
    return EXIT.OK;
  }
  const now = io.now();
  if (page.items.length === 0) io.stdout('No jobs.\n');
  else
    io.stdout(
      table(
        JOB_HEADERS,
        page.items.map((job) => jobRow(job, now)),
      ),
    );
  if (page.nextCursor !== null) io.stdout(`More: --limit ${limit ?? ''} --cursor ${page.nextCursor}\n`);
  return EXIT.OK;
}

async function get(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, CONNECTION_OPTIONS, JOBS_GET_USAGE, { min: 1, max: 1 });
  if (values.help === true) return help(io, JOBS_GET_USAGE);
  const job = await clientFor(values, io, JOBS_GET_USAGE).getJob(positionals[0] ?? '');
  if (values.json === true) printJson(io, job);
  else io.stdout(jobDetail(job, io.now()));
  return EXIT.OK;
}

async function add(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = {
    ...CONNECTION_OPTIONS,
    task: { type: 'string' },
    cron: { type: 'string' },
    tz: { type: 'string' },
    every: { type: 'string' },
    at: { type: 'string' },
    args: { type: 'string' },
    name: { type: 'string' },
    paused: { type: 'boolean' },
    replace: { type: 'boolean' },
    file: { type: 'string' },
  } as const;
  const { values, positionals } = parseCommand(args, options, JOBS_ADD_USAGE, { min: 0, max: 1 });
  if (values.help === true) return help(io, JOBS_ADD_USAGE);
  const { url, key, json, help: _help, ...flags } = values;
  const body = await newJobBody(positionals[0], flags, io);
  const client = clientFor({ url, key }, io, JOBS_ADD_USAGE);
  if (Array.isArray(body)) return addBatch(await client.addJobs(body), json === true, io);
  const job = await client.addJob(body);
  if (json === true) printJson(io, job);
  else io.stdout(`${createdLine(job, io)}\n`);
  return EXIT.OK;
}

function createdLine(job: JobJson, io: CliIo): string {
  return `Created ${job.id}: ${job.trigger.description}; next run ${job.nextRunTime === null ? (job.paused ? 'none (paused)' : 'none') : relative(job.nextRunTime, io.now())}.`;
}

/** `jobs add --file` with an array: a line per job (created, or its error), a total; exit 1 when any failed. */
function addBatch(answer: JobBatchJson, json: boolean, io: CliIo): ExitCode {
  if (json) printJson(io, answer);
  else {
    for (const item of answer.results) {
      if (item.job !== undefined) io.stdout(`${createdLine(item.job, io)}\n`);
      else
        io.stderr(
          `Job ${item.index}: ${item.error?.code ?? `HTTP_${item.status}`}: ${item.error?.message ?? ''}\n${(item.error?.details ?? []).map((d) => `  ${d.path}: ${d.message}\n`).join('')}`,
        );
    }
    io.stdout(`Created ${answer.created} of ${answer.results.length} jobs.\n`);
  }
  return answer.failed === 0 ? EXIT.OK : EXIT.API_ERROR;
}

async function rm(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, CONNECTION_OPTIONS, JOBS_RM_USAGE, { min: 1, max: 1 });
  if (values.help === true) return help(io, JOBS_RM_USAGE);
  const id = positionals[0] ?? '';
  await clientFor(values, io, JOBS_RM_USAGE).removeJob(id);
  // The API answers 204 without a body; scripts get the same words as resume's removal.
  if (values.json === true) printJson(io, { id, removed: true });
  else io.stdout(`Removed ${id}.\n`);
  return EXIT.OK;
}

async function toggle(args: readonly string[], io: CliIo, action: 'pause' | 'resume'): Promise<ExitCode> {
  const usage = action === 'pause' ? JOBS_PAUSE_USAGE : JOBS_RESUME_USAGE;
  const { values, positionals } = parseCommand(args, CONNECTION_OPTIONS, usage, { min: 1, max: 1 });
  if (values.help === true) return help(io, usage);
  const client = clientFor(values, io, usage);
  const id = positionals[0] ?? '';
  const answer = action === 'pause' ? await client.pauseJob(id) : await client.resumeJob(id);
  if (values.json === true) printJson(io, answer);
  else if ('removed' in answer) io.stdout(`Removed ${id}: ${answer.message}\n`);
  else if (action === 'pause') io.stdout(`Paused ${answer.id}.\n`);
  else io.stdout(`Resumed ${answer.id}; next run ${answer.nextRunTime === null ? 'none' : relative(answer.nextRunTime, io.now())}.\n`);
  return EXIT.OK;
}

async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = { ...CONNECTION_OPTIONS, args: { type: 'string' }, note: { type: 'string' } } as const;
  const { values, positionals } = parseCommand(args, options, JOBS_RUN_USAGE, { min: 1, max: 1 });
  if (values.help === true) return help(io, JOBS_RUN_USAGE);
  // Without --args or --note the POST has no body, as before.
  const body: { args?: unknown; note?: string } = {};
  if (values.args !== undefined) body.args = runArgs(values.args);
  if (values.note !== undefined) body.note = values.note;
  const client = clientFor(values, io, JOBS_RUN_USAGE);
  const job = await (Object.keys(body).length === 0 ? client.runJob(positionals[0] ?? '') : client.runJob(positionals[0] ?? '', body));
  if (values.json === true) printJson(io, job);
  else io.stdout(`Started a run of ${job.id}; its outcome will be in: tickwork jobs runs ${job.id}\n`);
  return EXIT.OK;
}

/** --args: this run's args, as JSON. */
function runArgs(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--args is not valid JSON: ${(error as Error).message}`, JOBS_RUN_USAGE);
  }
}

async function runs(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = { ...CONNECTION_OPTIONS, limit: { type: 'string', short: 'n' }, cursor: { type: 'string' } } as const;
  const { values, positionals } = parseCommand(args, options, JOBS_RUNS_USAGE, { min: 1, max: 1 });
  if (values.help === true) return help(io, JOBS_RUNS_USAGE);
  const limit = integerFlag(values.limit, '--limit', 1, 1000, JOBS_RUNS_USAGE) ?? 20;
  const id = positionals[0] ?? '';
  const page = await clientFor(values, io, JOBS_RUNS_USAGE).listRuns(id, { limit, ...(values.cursor === undefined ? {} : { cursor: values.cursor }) });
  if (values.json === true) {
    printJson(io, page);
    return EXIT.OK;
  }
  if (page.items.length === 0) io.stdout(`No runs of ${id} yet.\n`);
  else io.stdout(table(RUN_HEADERS, page.items.map(runRow)));
  if (page.nextCursor !== null) io.stdout(`Older: tickwork jobs runs ${id} --limit ${limit} --cursor ${page.nextCursor}\n`);
  return EXIT.OK;
}

async function backfill(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = {
    ...CONNECTION_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    only: { type: 'string' },
    'dry-run': { type: 'boolean' },
  } as const;
  const { values, positionals } = parseCommand(args, options, JOBS_BACKFILL_USAGE, { min: 1, max: 1 });
  if (values.help === true) return help(io, JOBS_BACKFILL_USAGE);
  // The server checks the times (ISO 8601 with a zone, from <= to) and names the field it refuses.
  if (values.from === undefined || values.to === undefined)
    throw new UsageError('--from and --to are required: the range to fill, ISO 8601 times with Z or an offset.', JOBS_BACKFILL_USAGE);
  const only = values.only?.split(',').map((outcome) => choiceFlag(outcome.trim(), '--only', BACKFILL_OUTCOMES, JOBS_BACKFILL_USAGE) as BackfillOutcome);
  const dryRun = values['dry-run'] === true;
  const id = positionals[0] ?? '';
  const answer = await clientFor(values, io, JOBS_BACKFILL_USAGE).backfillJob(id, {
    from: values.from,
    to: values.to,
    ...(only === undefined ? {} : { only }),
    ...(dryRun ? { dryRun } : {}),
  });
  if (values.json === true) {
    printJson(io, answer);
    return EXIT.OK;
  }
  const n = answer.fires.length;
  const fires = `${n} fire${n === 1 ? '' : 's'}`;
  if (n === 0) io.stdout(`Nothing to re-run of ${id} from ${timeIn(answer.from)} to ${timeIn(answer.to)} (${answer.only.join(', ')}).\n`);
  else {
    io.stdout(answer.dryRun ? `Would re-run ${fires} of ${id}, oldest first (dry run: nothing started):\n` : `Started ${fires} of ${id}, oldest first:\n`);
    io.stdout(
      table(
        BACKFILL_HEADERS,
        answer.fires.map((fire) => [timeIn(fire.scheduledAt), fire.outcome, fire.runId]),
      ),
    );
  }
  const left = Object.entries(answer.leftAlone).map(([outcome, count]) => `${count} ${outcome}`);
  if (left.length > 0) io.stdout(`Left alone: ${left.join(', ')}.\n`);
  if (answer.dryRun && n > 0) io.stdout(`Run them: the same command without --dry-run; then tickwork jobs runs ${id}\n`);
  return EXIT.OK;
}

/** A backfill's fires: the original time each re-runs under, its recorded outcome, the re-run's id. */
const BACKFILL_HEADERS = ['SCHEDULED', 'RECORDED', 'RUN ID'];
