/**
 * A Date that cannot be changed: every setter throws. JobInfo's nextRunTime is one, shared by the JobInfos
 * built one after another for the same instant: a Date costs about 90 bytes and a collector copy while it
 * lives, and a bulk loader holding the answers of a million adds held a million equal Dates (half a second
 * of a million adds awaited together). Shared and mutable, one caller's setHours would have changed what
 * others read; shared and read-only, the change fails at once with a message saying how to copy it.
 * It is a Date in every other way (instanceof, getTime, toISOString, JSON, comparison, structuredClone).
 */

/** The Date methods that change a Date in place (setYear is Annex B, not in TypeScript's lib). */
const SETTERS = Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set'));

export class ReadonlyDate extends Date {}

for (const name of SETTERS) {
  Object.defineProperty(ReadonlyDate.prototype, name, {
    value: function refuse(): never {
      throw new TypeError(
        `this Date is read-only (JobInfo dates are shared between JobInfos of the same time); copy it before changing it: new Date(date).${name}(...)`,
      );
    },
    writable: false,
    enumerable: false,
    configurable: false,
  });
}

let last: ReadonlyDate | null = null;

/** A read-only Date of `ms`: the one made last when it is of the same instant, else a new one (remembered). */
export function readonlyDate(ms: number): ReadonlyDate {
  if (last === null || last.getTime() !== ms) last = new ReadonlyDate(ms);
  return last;
}
