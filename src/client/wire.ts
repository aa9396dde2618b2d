/**
 * The shapes the HTTP API sends and takes, derived from the library's own types (JobInfo, Run, AddJobSpec)
 * rather than written out again: JSON turns every Date into an ISO 8601 string, which `Wire<T>` says.
 * A field the server adds to JobInfo shows up here without an edit.
 */
import type { JobList } from '../scheduler/scheduler-types.js';
import type { AddJobSpec } from '../scheduler/scheduler-types.js';
import type { JobInfo } from '../scheduler/job-info.js';
import type { Run } from '../core/run.js';
import type { ErrorDetail } from '../core/errors.js';
import type { BackfillOptions, BackfillResult } from '../core/backfill.js';

/** `T` as it travels as JSON: Dates become ISO strings, recursively. */
export type Wire<T> = T extends Date ? string : T extends readonly (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export type JobJson = Wire<JobInfo>;
export type RunJson = Wire<Run>;
/** GET /jobs: one page; `nextCursor` is null on the last. */
export type JobPageJson = Wire<JobList>;
/** GET /jobs/:id/runs: newest first. */
export interface RunPageJson {
  items: RunJson[];
  nextCursor: string | null;
}

/** POST /jobs: a job runs a registered task (a function cannot travel over HTTP). */
export type NewJobJson = Wire<Omit<AddJobSpec, 'func'>> & { task: string; replaceExisting?: boolean };

/** POST /jobs/batch: one result per item, in request order; `status` is what POST /jobs would have answered for that item alone. */
export interface JobBatchItemJson {
  index: number;
  status: number;
  /** The created job (status 201). */
  job?: JobJson;
  /** The item's error (any other status). */
  error?: ErrorJson['error'];
}

/** POST /jobs/batch's answer. */
export interface JobBatchJson {
  results: JobBatchItemJson[];
  created: number;
  failed: number;
}

/** POST /jobs/:id/resume of a job whose trigger has no further fire time: it was removed instead. */
export interface ResumeRemovedJson {
  removed: true;
  message: string;
}

/** GET /ready: 200 when ready, 503 (same shape) when not. */
export interface ReadyJson {
  status: 'ready' | 'unavailable';
  scheduler: 'running' | 'paused' | 'stopped';
  store: 'ok' | 'unavailable';
  overdueJobs?: string[];
  error?: string;
}

/** GET /export: every job's definition, as POST /import takes it. */
export interface ExportJson {
  jobs: unknown[];
}

/** POST /import: upsert by id; `prune` removes the jobs the import owns and no longer lists; `dryRun` changes nothing. */
export interface ImportRequestJson {
  jobs: unknown[];
  prune?: boolean;
  dryRun?: boolean;
}

/** POST /import's answer: the ids in each group. */
export interface ImportResultJson {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
}

/** POST /jobs/:id/backfill: the range (ISO 8601 with a zone), the outcomes to re-run, a dry run. */
export type BackfillRequestJson = Wire<BackfillOptions>;
/** POST /jobs/:id/backfill's answer: the fires re-run (or that would be), and the recorded fires left alone. */
export type BackfillResultJson = Wire<BackfillResult>;

/** Every error answer: `{ error: { code, message, details? } }`. */
export interface ErrorJson {
  error: { code: string; message: string; details?: ErrorDetail[] };
}
