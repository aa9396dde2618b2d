/**
 * The exclusion calendars' side of the facade: validated changes written to the store (CalendarStore) and
 * mirrored in memory (Exclusions), where the fire path reads them. Loaded when the store opens; on a
 * shared store, read again whenever another node announces a change.
 */
import { CalendarInUseError, CalendarNotFoundError } from '../core/errors.js';
import { validateCalendarName, validateCalendarSpec, type CalendarSpec } from '../core/exclusion.js';
import type { JobRecord } from '../core/job.js';
import type { Logger } from '../core/logger.js';
import type { CalendarStore } from '../stores/calendars/calendar-store.js';
import { toErrorLog } from './error-log.js';
import type { Exclusions } from './exclusions.js';

/** A calendar as the API shows it. */
export interface CalendarInfo extends CalendarSpec {
  readonly name: string;
}

export function toCalendarInfo(name: string, spec: CalendarSpec): CalendarInfo {
  return { name, dates: [...spec.dates], ranges: spec.ranges.map((r) => ({ from: r.from, to: r.to })), timezone: spec.timezone };
}

export class Calendars {
  constructor(
    private readonly store: CalendarStore,
    private readonly exclusions: Exclusions,
    private readonly defaultZone: string,
    private readonly logger: Logger,
  ) {}

  /** At store open: every stored calendar, and from then on the changes other nodes announce. */
  async load(): Promise<void> {
    this.exclusions.replaceAll(await this.store.load());
    this.store.watch(() => {
      this.store.load().then(
        (all) => this.exclusions.replaceAll(all),
        (error: unknown) => this.logger.error({ event: 'store_error', error: toErrorLog(error) }, 'reading the exclusion calendars again failed'),
      );
    });
  }

  /** Creates or replaces a calendar; `created` says which. */
  async put(name: unknown, input: unknown): Promise<{ calendar: CalendarInfo; created: boolean }> {
    const checked = validateCalendarName(name);
    const spec = validateCalendarSpec(input, this.defaultZone);
    const created = await this.store.put(checked, spec);
    this.exclusions.set(checked, spec);
    return { calendar: toCalendarInfo(checked, spec), created };
  }

  get(name: unknown): CalendarInfo | undefined {
    const checked = validateCalendarName(name);
    const spec = this.exclusions.get(checked);
    return spec === undefined ? undefined : toCalendarInfo(checked, spec);
  }

  list(): CalendarInfo[] {
    return this.exclusions
      .all()
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, spec]) => toCalendarInfo(name, spec));
  }

  /** Removes a calendar no job names (CALENDAR_IN_USE otherwise: its jobs would silently stop excluding). */
  async remove(name: unknown, jobs: readonly JobRecord[]): Promise<void> {
    const checked = validateCalendarName(name);
    if (!this.exclusions.has(checked)) throw new CalendarNotFoundError(checked);
    const users = jobs.filter((job) => job.policy.exclude?.calendars.includes(checked) === true).map((job) => job.id);
    if (users.length > 0) throw new CalendarInUseError(checked, users);
    await this.store.remove(checked);
    this.exclusions.delete(checked);
  }
}
