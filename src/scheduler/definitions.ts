/**
 * Job definitions as data: what GET /export writes and POST /import (and the config reconcile) take. A
 * definition is what a job is asked to do (id, name, task, args, trigger, policies), never its runtime
 * state (next run, pause, history) nor its owner. Two definitions are compared in resolved form, so that
 * an exported job imported back is `unchanged`.
 */
import { CronCompiler } from '../cron/compiler.js';
import type { JobExcludeInput } from '../core/exclusion.js';
import type { OverlapPolicy, RetryPolicy } from '../core/job.js';
import { createTrigger } from '../triggers/create.js';
import type { JobInfo } from './job-info.js';
import type { AddJobSpec } from './scheduler-types.js';

/** One exported job. A library closure (no task) has `note` instead of `task`: it cannot be imported. */
export interface JobDefinition {
  id: string;
  name: string;
  task?: string;
  args?: unknown;
  /** The resolved trigger spec (dates as ISO strings), without its description. */
  trigger: Record<string, unknown>;
  coalesce: boolean;
  maxInstances: number;
  overlap: OverlapPolicy;
  misfireGraceTime: number | null;
  jitterSeconds: number;
  timeoutSeconds: number | null;
  retries: RetryPolicy | null;
  retryLost: boolean;
  expectSuccessWithinSeconds: number | null;
  overdueAfterMissedFires: number;
  maxRuns: number | null;
  pauseAfterFailures: number | null;
  /** Why the job is not importable (a closure). */
  note?: string;
}

/** A definition as an import or the config gives it: the fields of addJob's spec, with a task. */
export type DefinitionSpec = Omit<AddJobSpec, 'func' | 'paused' | 'replaceExisting'> & { id: string; task: string };

export const POLICY_FIELDS = [
  'coalesce',
  'maxInstances',
  'overlap',
  'misfireGraceTime',
  'jitterSeconds',
  'timeoutSeconds',
  'retries',
  'retryLost',
  'maxRuns',
  'expectSuccessWithinSeconds',
  'overdueAfterMissedFires',
  'pauseAfterFailures',
] as const;

export const CLOSURE_NOTE = 'A library job running a closure (no registered task): exported for reference, not importable; register a task for it to move it.';

/** The definition of a job as JobInfo shows it. */
export function toDefinition(info: JobInfo): JobDefinition {
  const definition: JobDefinition = {
    id: info.id,
    name: info.name,
    trigger: withoutDescriptions(info.trigger) as Record<string, unknown>,
    coalesce: info.coalesce,
    maxInstances: info.maxInstances,
    overlap: info.overlap,
    misfireGraceTime: info.misfireGraceTime,
    jitterSeconds: info.jitterSeconds,
    timeoutSeconds: info.timeoutSeconds,
    retries: info.retries,
    retryLost: info.retryLost,
    expectSuccessWithinSeconds: info.expectSuccessWithinSeconds,
    overdueAfterMissedFires: info.overdueAfterMissedFires,
    maxRuns: info.maxRuns,
    pauseAfterFailures: info.pauseAfterFailures,
  };
  if (info.task !== undefined) definition.task = info.task;
  else definition.note = CLOSURE_NOTE;
  if (info.args !== undefined) definition.args = info.args;
  return definition;
}

/** A trigger's info without the human description, at any depth of an or/and. */
function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (key !== 'description') out[key] = withoutDescriptions(v);
  return out;
}

/**
 * The fields of `spec` that differ from the job (a patch for updateJob); empty: unchanged. A field the
 * spec leaves out is not a difference (the job keeps its value). Triggers compare in resolved form; an
 * interval or calendarInterval without startDate keeps its phase.
 */
export function definitionChanges(existing: JobInfo, spec: DefinitionSpec, defaultTimezone: string): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (spec.task !== existing.task) changes.task = spec.task;
  if (spec.name !== undefined && spec.name !== existing.name) changes.name = spec.name;
  if (JSON.stringify(spec.args) !== JSON.stringify(existing.args)) changes.args = spec.args;
  for (const field of POLICY_FIELDS) {
    if (spec[field] !== undefined && JSON.stringify(spec[field]) !== JSON.stringify(existing[field])) changes[field] = spec[field];
  }
  if (spec.exclude !== undefined && excludeChanged(spec.exclude, existing)) {
    // The one-off skips set over the API are kept.
    changes.exclude = spec.exclude === null ? null : { ...spec.exclude, skip: existing.exclude?.skip ?? [] };
  }
  const wanted = { ...spec.trigger, ...(spec.timezone === undefined || spec.trigger.type !== 'cron' ? {} : { timezone: spec.timezone }) };
  const current = withoutDescriptions(existing.trigger);
  const trigger = createTrigger(wanted, { nowMs: 0, defaultTimezone, compiler: new CronCompiler(), jobId: spec.id });
  const resolved = trigger.toSpec();
  trigger.dispose();
  if (JSON.stringify(withoutFreePhase(wanted, resolved)) !== JSON.stringify(withoutFreePhase(wanted, current))) changes.trigger = wanted;
  return changes;
}

/**
 * A resolved spec made comparable with the wanted one: keys sorted, and the startDate of an interval or
 * calendarInterval that the wanted spec leaves out dropped (its start was resolved when the job was added,
 * and it keeps that phase), at any depth of an or/and.
 */
function withoutFreePhase(wanted: unknown, resolved: unknown): unknown {
  if (typeof resolved !== 'object' || resolved === null || typeof wanted !== 'object' || wanted === null) return resolved;
  const w = wanted as Record<string, unknown>;
  const out = { ...(resolved as Record<string, unknown>) };
  if ((w.type === 'interval' || w.type === 'calendarInterval') && w.startDate === undefined) delete out.startDate;
  if (Array.isArray(out.triggers) && Array.isArray(w.triggers)) {
    const children = w.triggers as unknown[];
    out.triggers = out.triggers.map((child: unknown, i: number) => withoutFreePhase(children[i], child));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Whether the wanted exclusions differ from the job's (calendar and date lists compared as sets). */
function excludeChanged(wanted: JobExcludeInput | null, existing: JobInfo): boolean {
  const current = existing.exclude;
  if (wanted === null || current === undefined) return (wanted === null) !== (current === undefined);
  const same = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
    JSON.stringify([...new Set(a ?? [])].sort()) === JSON.stringify([...b].sort());
  return (
    !same(wanted.calendars, current.calendars) || !same(wanted.dates, current.dates) || (wanted.timezone !== undefined && wanted.timezone !== current.timezone)
  );
}
