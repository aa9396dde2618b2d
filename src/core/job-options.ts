/**
 * Validation of everything users pass in: job ids, job options, scheduler options. Each check names the
 * field and the allowed values, and nothing is changed when one fails.
 */
import { POLICY_FIELDS } from './policy-fields.js';
import { describeType } from './format.js';
import { InvalidArgumentError } from './errors.js';
import { validateJobExclusion } from './exclusion.js';
import { OVERLAP_POLICIES, type JobOptions, type JobPolicy, type OverlapPolicy, type RetryPolicy } from './job.js';

/** 1-200 characters of A-Z a-z 0-9 . _ : - (so `jobId@scheduledAt` is unambiguous). */
export const JOB_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
export const MAX_NAME_LENGTH = 200;

/** The defaults: coalesce, one instance, 60 s grace (APScheduler's 1 s grace silently drops runs). */
export const DEFAULT_JOB_POLICY: JobPolicy = Object.freeze({
  coalesce: true,
  maxInstances: 1,
  overlap: 'skip',
  misfireGraceTime: 60,
  jitterSeconds: 0,
  timeoutSeconds: null,
  retries: null,
  retryLost: false,
  expectSuccessWithinSeconds: null,
  overdueAfterMissedFires: 10,
  maxRuns: null,
  pauseAfterFailures: null,
  exclude: null,
});

/** Every policy option addJob takes: the fields a definition and an audit entry list, and the exclusions. */
const POLICY_KEYS = [...POLICY_FIELDS, 'exclude'] as const;
/** The largest maxRuns: a count an int4 column holds. */
export const MAX_RUNS_LIMIT = 1_000_000_000;
const OPTION_KEYS: readonly string[] = [...POLICY_KEYS, 'name', 'args', 'replaceExisting', 'paused', 'timezone'];
const OPTION_KEY_SET: ReadonlySet<string> = new Set(OPTION_KEYS);

/** JOB_ID_PATTERN's characters, as a table: a loop over it is several times faster than the regex per add. */
const ID_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-') ID_CHAR[c.charCodeAt(0)] = 1;

function isJobId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 200) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c >= 128 || ID_CHAR[c] === 0) return false;
  }
  return true;
}

export function validateJobId(id: unknown, path = 'jobId'): string {
  if (typeof id !== 'string' || !isJobId(id)) {
    throw InvalidArgumentError.field(path, `must be 1-200 characters of A-Z a-z 0-9 . _ : - (no spaces, "@" or "/"), got ${describeType(id)}.`);
  }
  return id;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function validateName(name: unknown, path = 'options.name'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || hasControlCharacter(name)) {
    throw InvalidArgumentError.field(path, `must be a string of 1-${MAX_NAME_LENGTH} characters without control characters, got ${describeType(name)}.`);
  }
  return name;
}

/** An integer from 1 to `max`, or an INVALID_ARGUMENT error naming `path`: the one check of every count option. */
export function positiveInteger(value: unknown, path: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw InvalidArgumentError.field(
      path,
      `must be an integer from 1 to ${max}, got ${describeType(value) === 'number' ? String(value) : describeType(value)}.`,
    );
  }
  return value;
}

function seconds(value: unknown, path: string, min: number, allowNull: boolean): number | null {
  if (value === null && allowNull) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > 1e9) {
    const range = `a finite number of seconds from ${min} to 1e9${allowNull ? ', or null' : ''}`;
    throw InvalidArgumentError.field(path, `must be ${range}, got ${typeof value === 'number' ? String(value) : describeType(value)}.`);
  }
  return value;
}

function retries(value: unknown, path: string): RetryPolicy | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw InvalidArgumentError.field(path, `must be { max, backoffSeconds } or null, got ${describeType(value)}.`);
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'max' && key !== 'backoffSeconds')
      throw InvalidArgumentError.field(`${path}.${key}`, 'is not a field of retries; allowed: max, backoffSeconds.');
  }
  return Object.freeze({
    max: positiveInteger(v.max, `${path}.max`, 100),
    backoffSeconds: seconds(v.backoffSeconds ?? 1, `${path}.backoffSeconds`, 0, false) as number,
  });
}

/** Merges `options` over `base` (the scheduler's defaults, or a job's current policy), validating each field. */
export function resolvePolicy(options: Partial<Record<(typeof POLICY_KEYS)[number], unknown>>, base: JobPolicy, path = 'options'): JobPolicy {
  const o = options;
  // Jobs on the defaults share one frozen object: a million jobs, one policy. (Named reads: a loop over
  // the keys is a keyed load per key, several times slower, and this runs on every add with options.)
  const same =
    (o.coalesce === undefined || o.coalesce === base.coalesce) &&
    (o.maxInstances === undefined || o.maxInstances === base.maxInstances) &&
    (o.overlap === undefined || o.overlap === base.overlap) &&
    (o.misfireGraceTime === undefined || o.misfireGraceTime === base.misfireGraceTime) &&
    (o.jitterSeconds === undefined || o.jitterSeconds === base.jitterSeconds) &&
    (o.timeoutSeconds === undefined || o.timeoutSeconds === base.timeoutSeconds) &&
    (o.retries === undefined || o.retries === base.retries) &&
    (o.retryLost === undefined || o.retryLost === base.retryLost) &&
    (o.expectSuccessWithinSeconds === undefined || o.expectSuccessWithinSeconds === base.expectSuccessWithinSeconds) &&
    (o.overdueAfterMissedFires === undefined || o.overdueAfterMissedFires === base.overdueAfterMissedFires) &&
    (o.maxRuns === undefined || o.maxRuns === base.maxRuns) &&
    (o.pauseAfterFailures === undefined || o.pauseAfterFailures === base.pauseAfterFailures) &&
    (o.exclude === undefined || o.exclude === base.exclude);
  if (same) return base;
  const policy: JobPolicy = {
    coalesce: o.coalesce === undefined ? base.coalesce : bool(o.coalesce, `${path}.coalesce`),
    maxInstances: o.maxInstances === undefined ? base.maxInstances : positiveInteger(o.maxInstances, `${path}.maxInstances`, 10_000),
    // A policy stored before the option existed has none: skip (what every job did then).
    overlap: o.overlap === undefined ? (base.overlap ?? 'skip') : overlap(o.overlap, `${path}.overlap`),
    misfireGraceTime: o.misfireGraceTime === undefined ? base.misfireGraceTime : seconds(o.misfireGraceTime, `${path}.misfireGraceTime`, 0, true),
    jitterSeconds: o.jitterSeconds === undefined ? base.jitterSeconds : (seconds(o.jitterSeconds, `${path}.jitterSeconds`, 0, false) as number),
    timeoutSeconds: o.timeoutSeconds === undefined ? base.timeoutSeconds : seconds(o.timeoutSeconds, `${path}.timeoutSeconds`, 0.001, true),
    retries: o.retries === undefined ? base.retries : retries(o.retries, `${path}.retries`),
    // A policy stored before the option existed has none: false.
    retryLost: o.retryLost === undefined ? (base.retryLost ?? false) : bool(o.retryLost, `${path}.retryLost`),
    // A policy stored before the health options existed has neither: their defaults.
    expectSuccessWithinSeconds:
      o.expectSuccessWithinSeconds === undefined
        ? (base.expectSuccessWithinSeconds ?? null)
        : seconds(o.expectSuccessWithinSeconds, `${path}.expectSuccessWithinSeconds`, 1, true),
    overdueAfterMissedFires:
      o.overdueAfterMissedFires === undefined
        ? (base.overdueAfterMissedFires ?? DEFAULT_JOB_POLICY.overdueAfterMissedFires)
        : positiveInteger(o.overdueAfterMissedFires, `${path}.overdueAfterMissedFires`, 1_000_000),
    // A policy stored before the option existed has none: null.
    maxRuns: o.maxRuns === undefined ? (base.maxRuns ?? null) : o.maxRuns === null ? null : positiveInteger(o.maxRuns, `${path}.maxRuns`, MAX_RUNS_LIMIT),
    pauseAfterFailures:
      o.pauseAfterFailures === undefined
        ? (base.pauseAfterFailures ?? null)
        : o.pauseAfterFailures === null
          ? null
          : positiveInteger(o.pauseAfterFailures, `${path}.pauseAfterFailures`, 1_000_000),
    // A policy stored before exclusions existed has none: null. Whether its calendars exist is the scheduler's check.
    exclude: o.exclude === undefined ? (base.exclude ?? null) : o.exclude === null ? null : validateJobExclusion(o.exclude, `${path}.exclude`),
  };
  return Object.freeze(policy);
}

function overlap(value: unknown, path: string): OverlapPolicy {
  if (typeof value !== 'string' || !(OVERLAP_POLICIES as readonly string[]).includes(value)) {
    throw InvalidArgumentError.field(
      path,
      `must be one of ${OVERLAP_POLICIES.map((p) => `'${p}'`).join(', ')} (what a fire does when maxInstances runs are going), got ${typeof value === 'string' ? JSON.stringify(value) : describeType(value)}.`,
    );
  }
  return value as OverlapPolicy;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw InvalidArgumentError.field(path, `must be true or false, got ${describeType(value)}.`);
  return value;
}

/** Checks the option object's shape and unknown keys; returns it typed. */
export function checkOptionKeys(options: unknown, path = 'options', extra: readonly string[] = []): JobOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw InvalidArgumentError.field(path, `must be an object, got ${describeType(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEY_SET.has(key) && !extra.includes(key)) {
      throw InvalidArgumentError.field(`${path}.${key}`, `is not a job option; allowed: ${[...OPTION_KEYS, ...extra].join(', ')}.`);
    }
  }
  return options as JobOptions;
}

/** Args must survive JSON (they are stored and shown over HTTP): no functions, cycles or BigInts. */
export function validateArgs(args: unknown, path = 'options.args'): unknown {
  if (args === undefined) return undefined;
  try {
    const text = JSON.stringify(args);
    if (text === undefined) throw new Error('not JSON');
    if (text.length > 1_000_000) throw InvalidArgumentError.field(path, `must serialize to at most 1 MB of JSON, got ${text.length} bytes.`);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw InvalidArgumentError.field(path, 'must be JSON-serializable (plain objects, arrays, strings, numbers, booleans, null).');
  }
  const bad = unstorableText(args);
  if (bad !== null) {
    // The value is not echoed: args may hold credentials.
    throw InvalidArgumentError.field(
      `${path}${bad}`,
      'holds a NUL character or an unpaired surrogate, which no store can keep; remove it (binary data belongs in base64).',
    );
  }
  return args;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Where a JSON value holds text no store can keep (PostgreSQL refuses NUL and unpaired surrogates in
 * text and jsonb), as a path suffix (`.headers.x`), or null. Keys count as well as values. Walked with
 * a stack of its own: args may nest deeper than the call stack.
 */
function unstorableText(value: unknown): string | null {
  const bad = (text: string): boolean => text.includes('\u0000') || LONE_SURROGATE.test(text);
  const stack: [unknown, string][] = [[value, '']];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, at] = item;
    if (typeof v === 'string') {
      if (bad(v)) return at;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${at}[${i}]`]));
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, x] of Object.entries(v)) {
        if (bad(key)) return `${at} (a key)`;
        stack.push([x, `${at}.${key}`]);
      }
    }
  }
  return null;
}
