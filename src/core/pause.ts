/**
 * Pauses that explain themselves: who paused a job (or the whole scheduler), when, why, and until when.
 * A pause with `until` lifts itself at that instant (see scheduler/pause-plan.ts and docs/semantics.md).
 */
import type { DateInput } from './trigger.js';
import type { Actor } from './actor.js';

// Who paused is the mutation's actor (core/actor.ts): the same value the audit trail records.
export { LIBRARY_ACTOR, SCHEDULER_ACTOR, type Actor } from './actor.js';

/** Most characters of a pause note. */
export const MAX_PAUSE_NOTE_LENGTH = 500;

/** A pause as kept with its job (or the scheduler): times in epoch ms. */
export interface PauseState {
  readonly since: number;
  /** When it lifts itself; null: until resumed. */
  readonly until: number | null;
  readonly note: string | null;
  readonly by: Actor;
}

/** A pause as the API shows it (JobInfo.pause, the scheduler's status). */
export interface PauseInfo {
  since: Date;
  until: Date | null;
  note: string | null;
  by: Actor;
}

/** pauseJob / pause options. */
export interface PauseOptions {
  /** When the pause lifts itself (in the future); absent: until resumed. */
  until?: DateInput;
  /** Why, for whoever looks later: at most 500 characters, no control characters. */
  note?: string;
}

/**
 * What a resume does with the fires that fell in the pause: `none` (default) runs none of them; `latest`
 * runs the latest one if it is still within the job's misfire grace; `all` runs each (the newest
 * `maxCatchUp`), in order. Those not run are recorded as one `paused` record.
 */
export type CatchUp = 'none' | 'latest' | 'all';
export const CATCH_UPS: readonly CatchUp[] = ['none', 'latest', 'all'];

/** resumeJob options. */
export interface ResumeOptions {
  catchUp?: CatchUp;
}

export function toPauseInfo(pause: PauseState): PauseInfo {
  return { since: new Date(pause.since), until: pause.until === null ? null : new Date(pause.until), note: pause.note, by: pause.by };
}

/** Words for who paused: `an admin API caller (key 0)`, `the library`, `the scheduler`. */
export function describeActor(actor: Actor): string {
  if ('by' in actor) return `the ${actor.by}`;
  const key = actor.keyIndex === undefined ? (actor.via === 'loopback' ? ' (loopback)' : '') : ` (key ${actor.keyIndex})`;
  return `${actor.role === 'admin' ? 'an' : 'a'} ${actor.role} API caller${key}`;
}
