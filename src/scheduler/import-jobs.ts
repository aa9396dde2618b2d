/**
 * importJobs: job definitions upserted by id, as one plan checked whole before anything changes. Each
 * listed job is `created`, `updated` (its definition differs) or `unchanged`; with `prune`, the jobs the
 * importer's kind owns (api for the HTTP API, library for a library call) that the import no longer lists
 * are `removed`. Owners and pause states are not definitions: an updated or unchanged job keeps both.
 * `dryRun` answers the plan and changes nothing.
 */
import type { JobOwner, MutationContext } from '../core/actor.js';
import { InvalidArgumentError, TickworkError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { validateJobId } from '../core/job-options.js';
import { definitionChanges, type DefinitionSpec } from './definitions.js';
import type { JobInfo } from './job-info.js';

export interface ImportRequest {
  /** Job definitions, as exportJobs() (GET /export) writes them. */
  jobs: unknown[];
  /** Remove the jobs the importer's kind owns that `jobs` no longer lists. */
  prune?: boolean;
  /** Answer what would change; change nothing. */
  dryRun?: boolean;
}

/** The ids in each group. */
export interface ImportResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
}

/** At most this many definitions per import (a request body is at most 1 MiB anyway). */
export const MAX_IMPORT_JOBS = 10_000;

/** What an import needs of the scheduler (the service gives it; tests may too). */
export interface ImportTarget {
  readonly defaultTimezone: string;
  getJob(id: string): Promise<JobInfo | undefined>;
  allJobs(): Promise<JobInfo[]>;
  /** Throws what adding the job would throw (validation only). */
  checkNew(spec: DefinitionSpec, path: string): void;
  /** Throws what changing the job would throw (validation only). */
  checkChange(id: string, patch: Record<string, unknown>, path: string): Promise<void>;
  add(spec: DefinitionSpec, context: MutationContext): Promise<unknown>;
  update(id: string, patch: Record<string, unknown>, context: MutationContext): Promise<unknown>;
  remove(id: string, context: MutationContext): Promise<void>;
}

/** Fields a definition may not carry: they are state, or apply to a single add. */
const NOT_DEFINITION = ['paused', 'replaceExisting', 'func', 'owner'] as const;

export async function importJobs(target: ImportTarget, request: ImportRequest, owner: JobOwner, context: MutationContext): Promise<ImportResult> {
  const { specs, prune, dryRun } = checkRequest(request);
  const result: ImportResult = { created: [], updated: [], unchanged: [], removed: [] };
  const patches = new Map<string, Record<string, unknown>>();
  for (const [i, spec] of specs.entries()) {
    const path = `jobs[${i}]`;
    const existing = await target.getJob(spec.id);
    if (existing === undefined) {
      underEntry(path, () => target.checkNew(spec, path));
      result.created.push(spec.id);
      continue;
    }
    const changes = definitionChanges(existing, spec, target.defaultTimezone);
    if (Object.keys(changes).length === 0) {
      result.unchanged.push(spec.id);
      continue;
    }
    await underEntryAsync(path, () => target.checkChange(spec.id, changes, path));
    patches.set(spec.id, changes);
    result.updated.push(spec.id);
  }
  if (prune) {
    const listed = new Set(specs.map((s) => s.id));
    for (const job of await target.allJobs()) if (job.owner === owner && !listed.has(job.id)) result.removed.push(job.id);
  }
  if (dryRun) return result;
  const byId = new Map(specs.map((s) => [s.id, s]));
  for (const id of result.created) await target.add(byId.get(id) as DefinitionSpec, context);
  for (const [id, patch] of patches) await target.update(id, patch, context);
  for (const id of result.removed) await target.remove(id, context);
  return result;
}

function checkRequest(request: unknown): { specs: DefinitionSpec[]; prune: boolean; dryRun: boolean } {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw InvalidArgumentError.field('request', `must be { jobs: [...], prune?, dryRun? }, got ${describeType(request)}.`);
  }
  const { jobs, prune, dryRun, ...rest } = request as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw InvalidArgumentError.field(`request.${extra}`, 'is not an import option; allowed: jobs, prune, dryRun.');
  if (!Array.isArray(jobs)) throw InvalidArgumentError.field('jobs', `must be an array of job definitions (as exported), got ${describeType(jobs)}.`);
  if (jobs.length > MAX_IMPORT_JOBS) throw InvalidArgumentError.field('jobs', `holds ${jobs.length} definitions; at most ${MAX_IMPORT_JOBS} per import.`);
  for (const [name, value] of [
    ['prune', prune],
    ['dryRun', dryRun],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw InvalidArgumentError.field(name, `must be a boolean, got ${describeType(value)}.`);
  }
  const seen = new Set<string>();
  const specs = jobs.map((entry, i) => {
    const spec = checkEntry(entry, `jobs[${i}]`);
    if (seen.has(spec.id)) throw InvalidArgumentError.field(`jobs[${i}].id`, `"${spec.id}" is listed twice; give each job once.`);
    seen.add(spec.id);
    return spec;
  });
  return { specs, prune: prune === true, dryRun: dryRun === true };
}

function checkEntry(entry: unknown, path: string): DefinitionSpec {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw InvalidArgumentError.field(path, `must be a job definition object, got ${describeType(entry)}.`);
  }
  const fields = entry as Record<string, unknown>;
  validateJobId(fields.id, `${path}.id`);
  if (fields.note !== undefined && fields.task === undefined) {
    throw InvalidArgumentError.field(
      path,
      `job "${String(fields.id)}" was exported from a library closure (see its note) and cannot be imported; remove it from the list, or register a task and give its name as task.`,
    );
  }
  if (typeof fields.task !== 'string')
    throw InvalidArgumentError.field(`${path}.task`, `must be the name of a registered task, got ${describeType(fields.task)}.`);
  for (const key of NOT_DEFINITION) {
    if (key in fields)
      throw InvalidArgumentError.field(`${path}.${key}`, 'is not part of a job definition (state and owner are kept by the server); remove it.');
  }
  const { note: _note, ...spec } = fields;
  return spec as unknown as DefinitionSpec;
}

/**
 * An error of one definition's check, named by its entry: `jobs[2].trigger.seconds`, not `trigger.seconds`
 * (the checks are the addJob/updateJob ones, which know nothing of the import). A path already under the
 * entry is kept.
 */
function atEntry(error: unknown, path: string): unknown {
  if (!(error instanceof TickworkError) || (error.code !== 'INVALID_ARGUMENT' && error.code !== 'INVALID_TRIGGER')) return error;
  // addJob names a definition's fields `options.x`, updateJob `changes.x`: in a definition they are `x`.
  const field = (p: string): string => p.replace(/^(options|changes)\./, '');
  const under = (p: string): string => (p === path || p.startsWith(`${path}.`) ? p : `${path}.${field(p)}`);
  const details = error.details?.map((detail) => ({ path: under(detail.path), message: detail.message }));
  const first = error.details?.[0];
  const message = error.message.startsWith(path)
    ? error.message
    : first !== undefined && error.message.startsWith(first.path)
      ? `${under(first.path)}${error.message.slice(first.path.length)}`
      : `${path}: ${error.message}`;
  return new TickworkError(error.code, message, details === undefined ? { cause: error } : { cause: error, details });
}

function underEntry(path: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    throw atEntry(error, path);
  }
}

async function underEntryAsync(path: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw atEntry(error, path);
  }
}
