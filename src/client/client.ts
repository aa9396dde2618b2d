/**
 * TickworkClient: a typed client of a Tickwork server's HTTP API (`/api/v1`), on Node's fetch. One method
 * per route, named for what it does; the request and answer types come from ./wire.ts (the library's types
 * as JSON). The CLI is built on it. An error answer rejects with ApiError (the API's code and message); no
 * answer rejects with UnreachableError.
 */
import { ApiError, UnreachableError } from './errors.js';
import type {
  BackfillRequestJson,
  BackfillResultJson,
  ErrorJson,
  ExportJson,
  ImportRequestJson,
  ImportResultJson,
  JobBatchJson,
  JobJson,
  JobPageJson,
  NewJobJson,
  ReadyJson,
  ResumeRemovedJson,
  RunPageJson,
} from './wire.js';
import type { HealthState } from '../core/health.js';
import type { JobSort, JobState } from '../stores/job-order.js';

export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080` (a path prefix, under a reverse proxy, is kept). */
  url: string;
  /** An admin or monitor key, sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** How long one request may take, in milliseconds (default 30 000). */
  timeoutMs?: number;
}

/** GET /jobs query: see JobQuery. Without `limit` the server answers pages of 50. */
export interface JobListQuery {
  q?: string;
  state?: JobState;
  sort?: JobSort;
  health?: readonly HealthState[];
  limit?: number;
  cursor?: string;
}

export interface RunListQuery {
  limit?: number;
  cursor?: string;
}

/** The largest page GET /jobs gives; listing every job asks for pages this big. */
export const MAX_PAGE = 1000;
export const DEFAULT_TIMEOUT_MS = 30_000;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Status and parsed body of an answer the caller takes as it is, error or not (GET /ready). */
interface Answer<T> {
  status: number;
  body: T;
}

export class TickworkClient {
  readonly baseUrl: string;
  private readonly apiBase: URL;
  private readonly key: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new TypeError(`url: "${options.url}" is not a URL; give one such as http://127.0.0.1:8080.`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`url: "${options.url}" must start with http:// or https://.`);
    }
    this.baseUrl = base.href.replace(/\/$/, '');
    this.apiBase = new URL(`${base.pathname.replace(/\/$/, '')}/api/v1/`, base);
    this.key = options.key === undefined || options.key === '' ? undefined : options.key;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** GET /jobs: one page. */
  listJobs(query: JobListQuery = {}): Promise<JobPageJson> {
    return this.call('GET', `jobs${queryString(query)}`);
  }

  /** Every job matching the query, following `nextCursor` (pages of 1000); answers one page's shape. */
  async listAllJobs(query: Omit<JobListQuery, 'limit' | 'cursor'> = {}): Promise<JobPageJson> {
    const items: JobJson[] = [];
    let cursor: string | null = null;
    do {
      const page: JobPageJson = await this.listJobs(cursor === null ? { ...query, limit: MAX_PAGE } : { ...query, limit: MAX_PAGE, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return { items, nextCursor: null };
  }

  getJob(id: string): Promise<JobJson> {
    return this.call('GET', jobPath(id));
  }

  addJob(job: NewJobJson): Promise<JobJson> {
    return this.call('POST', 'jobs', job);
  }

  /**
   * POST /jobs/batch: creates up to 1000 jobs in one request. Resolves with one result per job, in order
   * (`status` 201 with `job`, or the item's `error`); rejects only when the request as a whole is refused.
   */
  addJobs(jobs: readonly NewJobJson[]): Promise<JobBatchJson> {
    return this.call('POST', 'jobs/batch', { jobs });
  }

  /** DELETE /jobs/:id (answers 204, no body). */
  async removeJob(id: string): Promise<void> {
    await this.call('DELETE', jobPath(id));
  }

  pauseJob(id: string): Promise<JobJson> {
    return this.call('POST', `${jobPath(id)}/pause`);
  }

  /** A job whose trigger has no further fire time is removed instead, and the answer says so. */
  resumeJob(id: string): Promise<JobJson | ResumeRemovedJson> {
    return this.call('POST', `${jobPath(id)}/resume`);
  }

  /**
   * POST /jobs/:id/run: the run starts now (202); its outcome lands in the run history. `options.args`
   * replace the job's args for this run only; `options.note` says why (both optional).
   */
  runJob(id: string, options?: { args?: unknown; note?: string }): Promise<JobJson> {
    return options === undefined ? this.call('POST', `${jobPath(id)}/run`) : this.call('POST', `${jobPath(id)}/run`, options);
  }

  /** POST /jobs/:id/backfill: re-runs the range's gaps (202), or lists them with `dryRun` (200). */
  backfillJob(id: string, request: BackfillRequestJson): Promise<BackfillResultJson> {
    return this.call('POST', `${jobPath(id)}/backfill`, request);
  }

  listRuns(id: string, query: RunListQuery = {}): Promise<RunPageJson> {
    return this.call('GET', `${jobPath(id)}/runs${queryString(query)}`);
  }

  /** GET /ready: a 503 is an answer here (the server says why it is not ready), not an error. */
  async ready(): Promise<Answer<ReadyJson>> {
    return this.send<ReadyJson>('GET', 'ready', undefined, [503]);
  }

  /** GET /export: every job's definition. */
  exportJobs(): Promise<ExportJson> {
    return this.call('GET', 'export');
  }

  /** POST /import: upsert the definitions by id. */
  importJobs(request: ImportRequestJson): Promise<ImportResultJson> {
    return this.call('POST', 'import', request);
  }

  private async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    return (await this.send<T>(method, path, body, [])).body;
  }

  private async send<T>(method: Method, path: string, body: unknown, acceptedErrors: readonly number[]): Promise<Answer<T>> {
    const url = new URL(path, this.apiBase);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key !== undefined) headers.authorization = `Bearer ${this.key}`;
    // A bodiless POST or DELETE goes without a Content-Type, as the server asks (see server/content-type.ts).
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new UnreachableError(this.baseUrl, reasonOf(error, this.timeoutMs), error);
    }
    const json = parseJson(text);
    if (response.ok || acceptedErrors.includes(response.status)) {
      if (json === NOT_JSON && response.status !== 204) {
        throw new ApiError(response.status, 'INVALID_RESPONSE', `${method} ${url.pathname} answered ${response.status} with a body that is not JSON.`);
      }
      return { status: response.status, body: (json === NOT_JSON ? undefined : json) as T };
    }
    const error = json === NOT_JSON ? undefined : (json as Partial<ErrorJson> | null)?.error;
    if (error !== undefined && typeof error.code === 'string' && typeof error.message === 'string') {
      throw new ApiError(response.status, error.code, error.message, Array.isArray(error.details) ? error.details : []);
    }
    throw new ApiError(
      response.status,
      `HTTP_${response.status}`,
      `${method} ${url.pathname} answered ${response.status} ${response.statusText} without the API's error body.`,
    );
  }
}

/** Path of a job (ids are URL-safe by their pattern; encoded anyway). */
function jobPath(id: string): string {
  return `jobs/${encodeURIComponent(id)}`;
}

function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query) as [string, unknown][]) {
    if (value === undefined) continue;
    params.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  if (text === '') return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** Why fetch failed, in words: undici hides the system error (ECONNREFUSED, ENOTFOUND) in `cause`. */
function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause !== undefined && typeof cause.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? ` (${cause.message})` : ''}`;
  if (cause !== undefined && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
