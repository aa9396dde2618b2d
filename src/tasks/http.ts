/**
 * Built-in task `http`: one request per run. Args: `{ url, method?, headers?, body?, timeoutSeconds? }`.
 * A non-2xx status fails the run. Every request carries `Idempotency-Key: <jobId>@<scheduledAt>` so a
 * receiver can drop a duplicate delivery of the same fire.
 */
import { InvalidArgumentError } from '../scheduler/errors.js';
import type { JobContext } from '../scheduler/job.js';
import { iso } from '../triggers/dates.js';

/** Most bytes of a response body read (the rest is discarded). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

interface HttpArgs {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
}

function parseArgs(raw: unknown): HttpArgs {
  const a = (raw ?? {}) as Record<string, unknown>;
  if (typeof a.url !== 'string') throw InvalidArgumentError.field('args.url', 'the http task needs { url: "https://..." }.');
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    throw InvalidArgumentError.field('args.url', 'is not a valid absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw InvalidArgumentError.field('args.url', 'must use http or https.');
  const method = a.method === undefined ? 'GET' : String(a.method).toUpperCase();
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].includes(method)) throw InvalidArgumentError.field('args.method', 'must be GET, POST, PUT, PATCH, DELETE or HEAD.');
  const headers: Record<string, string> = {};
  if (a.headers !== undefined) {
    if (typeof a.headers !== 'object' || a.headers === null || Array.isArray(a.headers)) throw InvalidArgumentError.field('args.headers', 'must be an object of header names to strings.');
    for (const [k, v] of Object.entries(a.headers)) headers[k] = String(v);
  }
  let body: string | undefined;
  if (a.body !== undefined && a.body !== null) {
    if (typeof a.body === 'string') body = a.body;
    else {
      body = JSON.stringify(a.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  const timeoutSeconds = a.timeoutSeconds === undefined ? 30 : a.timeoutSeconds;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0) || timeoutSeconds > 3600) throw InvalidArgumentError.field('args.timeoutSeconds', 'must be a number of seconds from 0 to 3600.');
  return { url: url.toString(), method, headers, body, timeoutMs: timeoutSeconds * 1000 };
}

export async function httpTask(ctx: JobContext): Promise<string> {
  const args = parseArgs(ctx.args);
  const timeout = AbortSignal.timeout(args.timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const response = await fetch(args.url, {
    method: args.method,
    headers: { ...args.headers, 'idempotency-key': `${ctx.jobId}@${iso(ctx.scheduledAt.getTime())}` },
    ...(args.body === undefined ? {} : { body: args.body }),
    signal,
    redirect: 'follow',
  });
  await readCapped(response);
  const status = `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`;
  if (!response.ok) {
    throw Object.assign(new Error(`${args.method} ${new URL(args.url).origin} answered ${status}`), { code: 'HTTP_STATUS', output: status });
  }
  return status;
}

/** Reads and discards the body up to MAX_RESPONSE_BYTES, so the connection can be reused. */
async function readCapped(response: Response): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.byteLength;
    if (read > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return;
    }
  }
}
