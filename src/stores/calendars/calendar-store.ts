/**
 * Where exclusion calendars are kept: with the jobs, in the job store's own database, so that every node
 * of a shared store judges fires by the same calendars. The scheduler keeps a copy in memory (see
 * scheduler/exclusions.ts) and reads them again when another node announces a change.
 */
import type { CalendarSpec } from '../../core/exclusion.js';

export interface CalendarStore {
  /** Every calendar, by name. */
  load(): Promise<Map<string, CalendarSpec>>;
  /** Creates or replaces one; true when it was created. Other nodes are told. */
  put(name: string, spec: CalendarSpec): Promise<boolean>;
  /** Deletes one; true when it existed. Other nodes are told. */
  remove(name: string): Promise<boolean>;
  /** `onChange` is called when another process may have changed the calendars (a shared store only). */
  watch(onChange: () => void): void;
}

/** A stored spec back to a CalendarSpec (the JSON column, parsed). */
export function toCalendarSpec(value: unknown): CalendarSpec {
  const v = value as CalendarSpec;
  return Object.freeze({
    dates: Object.freeze([...v.dates]),
    ranges: Object.freeze(v.ranges.map((r) => Object.freeze({ from: r.from, to: r.to }))),
    timezone: v.timezone,
  });
}
