/**
 * Who changed a job, and who a job belongs to. An `Actor` is the caller of a mutation: an API caller
 * (its role, how it was admitted and its key's index; never the key), or the library, the config
 * reconcile or the scheduler itself (an automatic change). A job's `JobOwner` is the kind of actor that
 * created it: an import or a config reconcile with `prune` removes only the jobs its own kind owns.
 */
import { InvalidArgumentError } from './errors.js';
import { describeType } from './format.js';

/** A caller of the HTTP API, as the server authenticated it. */
export interface ApiActor {
  role: 'admin' | 'monitor';
  via: 'key' | 'loopback';
  keyIndex?: number;
}

/** A change made in-process: a library call, the config reconcile, or the scheduler itself (automatic). */
export interface SystemActor {
  by: 'library' | 'config' | 'scheduler';
}

export type Actor = ApiActor | SystemActor;

/** Who created a job: persisted with it; not part of its definition (see export/import). */
export type JobOwner = 'config' | 'api' | 'library';

export const JOB_OWNERS: readonly JobOwner[] = ['config', 'api', 'library'];

/**
 * The optional last argument of the scheduler's mutating methods: who makes the change. Without it the
 * change is the library's. The server passes its caller; the config reconcile passes `{ by: 'config' }`.
 */
export interface MutationContext {
  actor: Actor;
}

export const LIBRARY_ACTOR: SystemActor = Object.freeze({ by: 'library' });
/** The scheduler itself: an automatic change (a pause after failures, a timed pause's lift, a finished job's removal). */
export const SCHEDULER_ACTOR: SystemActor = Object.freeze({ by: 'scheduler' });

/** The owner a job created by this actor gets. */
export function ownerOf(actor: Actor): JobOwner {
  if ('by' in actor) return actor.by === 'config' ? 'config' : 'library';
  return 'api';
}

/** The actor of a context given to a public method, checked (a missing context is the library). */
export function actorOf(context: MutationContext | undefined): Actor {
  if (context === undefined) return LIBRARY_ACTOR;
  const actor = (context as { actor?: unknown } | null)?.actor;
  if (typeof actor === 'object' && actor !== null) {
    const a = actor as Record<string, unknown>;
    if (a.by === 'library' || a.by === 'config' || a.by === 'scheduler') return actor as SystemActor;
    if ((a.role === 'admin' || a.role === 'monitor') && (a.via === 'key' || a.via === 'loopback')) {
      return a.keyIndex === undefined ? { role: a.role, via: a.via } : { role: a.role, via: a.via, keyIndex: Number(a.keyIndex) };
    }
  }
  throw InvalidArgumentError.field(
    'context.actor',
    `must be { by: 'library' | 'config' | 'scheduler' } or an API caller { role, via, keyIndex? }, got ${describeType(actor)}.`,
  );
}
