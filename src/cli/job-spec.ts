/** `tickwork jobs add`: the POST /jobs body from flags, or from a JSON file (an array of them: a batch). */
import type { NewJobJson } from '../client/wire.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';
import { JOBS_ADD_USAGE as USAGE } from './usage.js';

export interface AddFlags {
  task?: string | undefined;
  cron?: string | undefined;
  tz?: string | undefined;
  every?: string | undefined;
  at?: string | undefined;
  args?: string | undefined;
  name?: string | undefined;
  paused?: boolean | undefined;
  replace?: boolean | undefined;
  file?: string | undefined;
}

const UNIT_SECONDS: Record<string, number> = { '': 1, ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** `--every`: 90, 90s, 1.5m, 15m, 2h, 1d, 500ms, as seconds. */
export function parseEvery(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = UNIT_SECONDS[match?.[2] ?? ''];
  if (match === null || unit === undefined || !(Number(match[1]) > 0)) {
    throw new UsageError(`--every must be a positive duration such as 90, 90s, 15m, 2h or 1d, got "${text}".`, USAGE);
  }
  // Rounded to the millisecond the API keeps: 0.1m is 6 s, not 6.000000000000001.
  return Math.round(Number(match[1]) * unit * 1000) / 1000;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`, USAGE);
  }
}

/**
 * The body for `jobs add <id> --task ... --cron|--every|--at ...`, or the contents of `--file`: one job,
 * or an array of jobs (sent to POST /jobs/batch).
 */
export async function newJobBody(id: string | undefined, flags: AddFlags, io: CliIo): Promise<NewJobJson | NewJobJson[]> {
  if (flags.file !== undefined) {
    const others = Object.entries(flags).filter(([name, value]) => name !== 'file' && value !== undefined);
    if (id !== undefined || others.length > 0) {
      throw new UsageError(
        `--file holds the whole job: give no id or other job flags with it (got ${id === undefined ? '' : `"${id}" `}${others.map(([n]) => `--${n}`).join(' ')}).`,
        USAGE,
      );
    }
    let text: string;
    try {
      text = await io.readInput(flags.file);
    } catch (error) {
      throw new UsageError(`--file: cannot read ${flags.file}: ${(error as Error).message}`, USAGE);
    }
    const body = parseJson(text, `--file ${flags.file}`);
    // The server checks every field (and every item of an array) and names what is wrong.
    if (Array.isArray(body)) return body as NewJobJson[];
    if (typeof body !== 'object' || body === null)
      throw new UsageError(`--file ${flags.file} must hold a JSON object (a POST /api/v1/jobs body) or an array of them.`, USAGE);
    return body as NewJobJson;
  }
  if (id === undefined) throw new UsageError('Give the job id (or --file).', USAGE);
  if (flags.task === undefined) throw new UsageError('--task is required: the registered task the job runs (log, http, shell, or one of the config).', USAGE);
  const triggers = [flags.cron, flags.every, flags.at].filter((t) => t !== undefined);
  if (triggers.length !== 1) throw new UsageError('Give exactly one of --cron, --every or --at.', USAGE);
  if (flags.tz !== undefined && flags.cron === undefined) throw new UsageError('--tz applies to --cron only (intervals and dates are instants).', USAGE);
  const trigger: NewJobJson['trigger'] =
    flags.cron !== undefined
      ? { type: 'cron', expression: flags.cron, ...(flags.tz === undefined ? {} : { timezone: flags.tz }) }
      : flags.every !== undefined
        ? { type: 'interval', seconds: parseEvery(flags.every) }
        : { type: 'date', runAt: flags.at ?? '' };
  return {
    id,
    task: flags.task,
    trigger,
    ...(flags.args === undefined ? {} : { args: parseJson(flags.args, '--args') }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.paused === true ? { paused: true } : {}),
    ...(flags.replace === true ? { replaceExisting: true } : {}),
  };
}
