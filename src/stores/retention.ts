/**
 * Retention of run history: the options every store that keeps history takes (records per job, and for a
 * durable store their age), checked here once for all of them, and the pace at which SQLite prunes.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';

export interface RetentionOptions {
  /** Run records kept per job, newest first (default 1000). */
  maxRunsPerJob?: number;
  /** Run records older than this many days are deleted (default 30). */
  maxRunAgeDays?: number;
}

/** Retention as a durable store applies it. */
export interface Retention {
  maxRunsPerJob: number;
  maxRunAgeMs: number;
}

export const MAX_RUNS_PER_JOB_LIMIT = 1_000_000;
/** A hundred years: far beyond any useful history, well inside what a time in milliseconds can hold. */
export const MAX_RUN_AGE_DAYS_LIMIT = 36_500;
const DAY_MS = 86_400_000;

/** SQLite: jobs whose history is trimmed by count per prune pass, round-robin: keeps a pass from stalling the loop (PostgreSQL's pace is in postgres/prune.ts). */
export const PRUNE_JOBS_PER_PASS = 500;

/** How many run records per job a store keeps: an integer from `min` (0: none kept) to MAX_RUNS_PER_JOB_LIMIT. */
export function checkMaxRunsPerJob(value: unknown, fallback: number, min: 0 | 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_RUNS_PER_JOB_LIMIT) {
    throw InvalidArgumentError.field('maxRunsPerJob', `must be an integer from ${min} to ${MAX_RUNS_PER_JOB_LIMIT}, got ${shown(value)}.`);
  }
  return value;
}

/** How old run records may grow, in days (fractions allowed): more than 0, at most MAX_RUN_AGE_DAYS_LIMIT. */
export function checkMaxRunAgeDays(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_RUN_AGE_DAYS_LIMIT) {
    throw InvalidArgumentError.field('maxRunAgeDays', `must be a number of days greater than 0 and at most ${MAX_RUN_AGE_DAYS_LIMIT}, got ${shown(value)}.`);
  }
  return value;
}

/** The retention options of a durable store (SQLite, PostgreSQL), checked, with their defaults. */
export function resolveRetention(options: RetentionOptions): Retention {
  return {
    maxRunsPerJob: checkMaxRunsPerJob(options.maxRunsPerJob, 1000, 1),
    maxRunAgeMs: checkMaxRunAgeDays(options.maxRunAgeDays, 30) * DAY_MS,
  };
}

function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value);
}
