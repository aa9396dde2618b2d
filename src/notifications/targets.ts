/**
 * Notification targets: where health transitions, lost runs and missed fires are POSTed. A target is
 * `{ id, url, secret?, on?, jobs? }`; `on` defaults to every event and `jobs` to every job (ids, or
 * patterns where `*` stands for any run of characters). Targets are validated here, once, whether they
 * come from the config module, the library or the API, and every error names the field at fault.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { validateJobId } from '../core/job-options.js';
import { jobMatcher, type JobMatcher } from '../core/job-patterns.js';

/** What a notification says happened: a health state entered, a recovery, or one lost or missed run record. */
export type NotificationEvent = 'failing' | 'overdue' | 'paused' | 'recovered' | 'lost' | 'missed';
export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = ['failing', 'overdue', 'paused', 'recovered', 'lost', 'missed'];

/** A target as given (config module, library, PUT body). */
export interface NotificationTargetSpec {
  /** 1-200 characters of A-Z a-z 0-9 . _ : - */
  id: string;
  /** http or https URL the JSON is POSTed to (at most 2000 characters). */
  url: string;
  /** Signs each body (Tickwork-Signature); 16-500 characters. Never returned by the API, never logged. */
  secret?: string;
  /** The events sent to it; default every one. */
  on?: NotificationEvent[];
  /** Job ids or glob patterns with `*` and `?` (at most 100); default every job. */
  jobs?: string[];
}

/** Who owns a target: the config module (reconciled at every start) or the API/library. */
export type TargetSource = 'config' | 'api';

/** A validated target as stored. */
export interface NotificationTarget {
  id: string;
  url: string;
  secret: string | null;
  on: NotificationEvent[];
  /** null: every job. */
  jobs: string[] | null;
  source: TargetSource;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

/** A target as the API shows it: the secret only as `hasSecret`; for monitors the URL's credentials redacted. */
export interface NotificationTargetView {
  id: string;
  url: string;
  hasSecret: boolean;
  on: NotificationEvent[];
  jobs: string[] | null;
  source: TargetSource;
  updatedAt: string;
}

const MAX_URL = 2000;
const MIN_SECRET = 16;
const MAX_SECRET = 500;
const MAX_PATTERNS = 100;
const SPEC_KEYS = new Set(['id', 'url', 'secret', 'on', 'jobs']);

/** Checks a target spec; `path` prefixes the field names in errors (`notifications[2]`, `body`). */
export function validateTarget(input: unknown, path: string, source: TargetSource, now: number): NotificationTarget {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw InvalidArgumentError.field(path, `must be an object { id, url, secret?, on?, jobs? }, got ${describeType(input)}.`);
  }
  const spec = input as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw InvalidArgumentError.field(`${path}.${key}`, 'is not a target field; allowed: id, url, secret, on, jobs.');
  }
  const id = validateJobId(spec.id, `${path}.id`);
  return {
    id,
    url: checkUrl(spec.url, `${path}.url`),
    secret: checkSecret(spec.secret, `${path}.secret`),
    on: checkEvents(spec.on, `${path}.on`),
    jobs: checkPatterns(spec.jobs, `${path}.jobs`),
    source,
    updatedAt: now,
  };
}

function checkUrl(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length > MAX_URL) {
    throw InvalidArgumentError.field(path, `must be an http or https URL of at most ${MAX_URL} characters, got ${describeType(value)}.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw InvalidArgumentError.field(path, `is not a URL ("${value.slice(0, 80)}"); give an absolute http or https URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw InvalidArgumentError.field(path, `must use http or https, got "${url.protocol.slice(0, -1)}".`);
  }
  return url.href;
}

function checkSecret(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length < MIN_SECRET || value.length > MAX_SECRET) {
    // The value itself is never quoted: it is a secret.
    throw InvalidArgumentError.field(path, `must be a string of ${MIN_SECRET}-${MAX_SECRET} characters.`);
  }
  return value;
}

function checkEvents(value: unknown, path: string): NotificationEvent[] {
  if (value === undefined) return [...NOTIFICATION_EVENTS];
  if (!Array.isArray(value) || value.length === 0) {
    throw InvalidArgumentError.field(path, `must be a non-empty array of ${NOTIFICATION_EVENTS.join(', ')}, got ${describeType(value)}.`);
  }
  const events = new Set<NotificationEvent>();
  value.forEach((event: unknown, i) => {
    if (typeof event !== 'string' || !(NOTIFICATION_EVENTS as readonly string[]).includes(event)) {
      throw InvalidArgumentError.field(`${path}[${i}]`, `must be one of ${NOTIFICATION_EVENTS.join(', ')}, got ${describeType(event)}.`);
    }
    events.add(event as NotificationEvent);
  });
  // Stored in the canonical order, so an equal set compares equal.
  return NOTIFICATION_EVENTS.filter((event) => events.has(event));
}

function checkPatterns(value: unknown, path: string): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PATTERNS) {
    throw InvalidArgumentError.field(
      path,
      `must be a non-empty array of at most ${MAX_PATTERNS} job ids or patterns with * and ?, got ${describeType(value)}.`,
    );
  }
  jobMatcher(value, path); // checks each entry, naming `<path>[i]`
  return value as string[];
}

/** Each target's job list as a matcher, made once per list (the lists are not changed in place). */
const matchers = new WeakMap<readonly string[], JobMatcher>();

/** Whether `target` wants `event` of job `jobId`. */
export function targetWants(target: NotificationTarget, event: NotificationEvent, jobId: string): boolean {
  if (!target.on.includes(event)) return false;
  if (target.jobs === null) return true;
  let matcher = matchers.get(target.jobs);
  if (matcher === undefined) {
    matcher = jobMatcher(target.jobs, 'jobs');
    matchers.set(target.jobs, matcher);
  }
  return matcher(jobId);
}

/** Two targets say the same (the config reconciliation leaves an unchanged one alone). */
export function sameTarget(a: NotificationTarget, b: NotificationTarget): boolean {
  return (
    a.url === b.url &&
    a.secret === b.secret &&
    a.source === b.source &&
    a.on.join(',') === b.on.join(',') &&
    (a.jobs === null ? b.jobs === null : b.jobs !== null && a.jobs.join(',') === b.jobs.join(','))
  );
}

/** The API's view; `monitor` redacts the URL's userinfo and query values (they often carry tokens). */
export function toTargetView(target: NotificationTarget, monitor: boolean): NotificationTargetView {
  return {
    id: target.id,
    url: monitor ? redactUrl(target.url) : target.url,
    hasSecret: target.secret !== null,
    on: target.on,
    jobs: target.jobs,
    source: target.source,
    updatedAt: new Date(target.updatedAt).toISOString(),
  };
}

/** The URL without credentials: userinfo and every query value become `redacted`, the fragment goes. */
export function redactUrl(href: string): string {
  const url = new URL(href);
  if (url.username !== '' || url.password !== '') {
    url.username = 'redacted';
    url.password = '';
  }
  if (url.search !== '') {
    const params = new URLSearchParams();
    for (const key of url.searchParams.keys()) params.append(key, 'redacted');
    url.search = params.toString();
  }
  url.hash = '';
  return url.href;
}

/** Where a target's URL points, for log lines: origin and path, never credentials or query. */
export function urlForLog(href: string): string {
  const url = new URL(href);
  return `${url.origin}${url.pathname}`;
}
