/**
 * Calendars of a store that keeps them in this process (the memory store, or one of your own): kept per
 * store object, so a scheduler restarted on the same store finds them, as it finds its jobs.
 */
import type { CalendarSpec } from '../../core/exclusion.js';
import type { JobStore } from '../store.js';
import type { CalendarStore } from './calendar-store.js';

const byStore = new WeakMap<JobStore, Map<string, CalendarSpec>>();

export class MemoryCalendarStore implements CalendarStore {
  private readonly calendars: Map<string, CalendarSpec>;

  constructor(store: JobStore) {
    let calendars = byStore.get(store);
    if (calendars === undefined) byStore.set(store, (calendars = new Map()));
    this.calendars = calendars;
  }

  async load(): Promise<Map<string, CalendarSpec>> {
    return new Map(this.calendars);
  }

  async put(name: string, spec: CalendarSpec): Promise<boolean> {
    const created = !this.calendars.has(name);
    this.calendars.set(name, spec);
    return created;
  }

  async remove(name: string): Promise<boolean> {
    return this.calendars.delete(name);
  }

  watch(): void {
    // One process: nobody else changes them.
  }
}
