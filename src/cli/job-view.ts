/** How a job and its runs read in a terminal: the list's row, the detail block, the run table's row. */
import type { JobJson, RunJson } from '../client/wire.js';
import { duration, relative, timeIn } from './format.js';

/** The next run as a countdown; why there is none otherwise. */
export function nextRun(job: JobJson, nowMs: number): string {
  if (job.nextRunTime !== null) return relative(job.nextRunTime, nowMs);
  if (job.paused) return 'paused';
  if (job.status === 'load_error') return 'not loaded';
  return 'none';
}

/** The health state, with the failure count when failing. */
export function healthText(job: JobJson): string {
  const h = job.health;
  if (h.consecutiveFailures > 1) return `${h.state} (${h.consecutiveFailures} in a row)`;
  return h.state;
}

/** `succeeded 3m ago`, `failed 10s ago (HTTP_STATUS)`, `-` before the first run. */
export function lastRunText(run: RunJson | undefined, nowMs: number): string {
  if (run === undefined) return '-';
  const at = run.finishedAt ?? run.startedAt ?? run.scheduledAt;
  const code = run.error?.code === undefined ? '' : ` (${run.error.code})`;
  return `${run.outcome} ${relative(at, nowMs)}${code}`;
}

export function jobRow(job: JobJson, nowMs: number): string[] {
  return [job.id, job.trigger.description, nextRun(job, nowMs), healthText(job), lastRunText(job.lastRun, nowMs)];
}

export const JOB_HEADERS = ['ID', 'SCHEDULE', 'NEXT RUN', 'HEALTH', 'LAST RUN'];

/** Every field an operator looks at, one per line. */
export function jobDetail(job: JobJson, nowMs: number): string {
  const lines: [string, string][] = [
    ['id', job.id],
    ['name', job.name],
    ['task', job.task ?? '(a function of the library)'],
    ['schedule', job.trigger.description],
    ['next run', job.nextRunTime === null ? nextRun(job, nowMs) : `${timeIn(job.nextRunTime)} (${relative(job.nextRunTime, nowMs)})`],
    ['paused', job.paused ? 'yes' : 'no'],
    ['health', `${job.health.state}: ${job.health.reason}`],
  ];
  if (job.health.since !== null) lines.push(['  since', `${timeIn(job.health.since)} (${relative(job.health.since, nowMs)})`]);
  if (job.health.consecutiveFailures > 0) lines.push(['  failures', `${job.health.consecutiveFailures} in a row`]);
  if (job.status !== 'ok') lines.push(['status', job.statusReason === undefined ? job.status : `${job.status}: ${job.statusReason}`]);
  if (job.lastRun !== undefined) {
    const run = job.lastRun;
    lines.push(['last run', `${run.outcome}, fire of ${timeIn(run.scheduledAt)}, took ${duration(run.durationMs)}`]);
    if (run.error !== null) lines.push(['  error', `${run.error.code === undefined ? '' : `${run.error.code}: `}${run.error.message}`]);
  }
  lines.push(
    ['running', String(job.runningInstances)],
    ['max instances', String(job.maxInstances)],
    ['overlap', job.waitingFire === null || job.waitingFire === undefined ? job.overlap : `${job.overlap} (a fire of ${job.waitingFire.scheduledAt} waits)`],
    ['coalesce', job.coalesce ? 'yes' : 'no'],
    ['misfire grace', job.misfireGraceTime === null ? 'unbounded' : `${job.misfireGraceTime}s`],
    ['timeout', job.timeoutSeconds === null ? 'none' : `${job.timeoutSeconds}s`],
    ['retries', job.retries === null ? 'none' : `${job.retries.max} (backoff ${job.retries.backoffSeconds}s)`],
  );
  if (job.args !== undefined) lines.push(['args', JSON.stringify(job.args)]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n') + '\n';
}

export const RUN_HEADERS = ['SCHEDULED', 'OUTCOME', 'BY', 'ATTEMPT', 'DURATION', 'LATE', 'ERROR'];

/** What started a run and who: `schedule`, `retry`, or `manual (admin key 1)`, `manual (library)`. */
function startedBy(run: RunJson): string {
  const actor = run.actor as Record<string, unknown>;
  if (typeof actor.by === 'string') return actor.by === 'scheduler' ? run.trigger : `${run.trigger} (${actor.by})`;
  const who =
    actor.via === 'loopback'
      ? `loopback ${String(actor.role)}`
      : `${String(actor.role)} key${actor.keyIndex === undefined ? '' : ` ${String(actor.keyIndex)}`}`;
  return `${run.trigger} (${who})`;
}

export function runRow(run: RunJson): string[] {
  const fires = run.coalesced === undefined ? '' : ` (x${run.coalesced})`;
  const error = run.error === null ? '' : `${run.error.code === undefined ? '' : `${run.error.code}: `}${run.error.message}`;
  return [
    timeIn(run.scheduledAt),
    `${run.outcome}${fires}`,
    startedBy(run),
    String(run.attempt),
    duration(run.durationMs),
    duration(run.latenessMs),
    error.replace(/\s+/g, ' '),
  ];
}
