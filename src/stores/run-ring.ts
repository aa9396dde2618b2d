/**
 * A job's newest run records in the memory store, packed: six numbers per run in the chunks of a shared
 * off-heap slab (see RunSlab), instead of an object per run with five boxed doubles that the collector
 * promotes and marks: 100 records per job for 100 000 jobs were ten million objects. A job that rarely
 * fires holds only the slots it used. Rare parts (an error, output, a coalesced count) sit in a side
 * array only for the records that have them.
 *
 * A record still running is kept as the object itself ("pinned"): the executor mutates it until it
 * settles and then calls `settle`, which packs it.
 */
import type { RunOutcome } from '../core/events.js';
import { SCHEDULER_ACTOR, type Actor } from '../core/actor.js';
import { defaultTrigger, LiveRunRecord, RUN_TRIGGERS, triggerOf, type RunError, type RunRecord, type RunTrigger } from '../core/run.js';
import { WIDTH, type RunSlab } from './run-slab.js';
import type { HealthVisitor } from './health-facts.js';
import type { RunQuery } from './store.js';

// Append only: the index is what a packed record holds.
const OUTCOMES: readonly RunOutcome[] = ['running', 'succeeded', 'failed', 'missed', 'skipped', 'lost', 'timed_out', 'cancelled', 'excluded', 'paused'];

/** An outcome's index in OUTCOMES; the common one first, without the Map lookup it was (2 % of a fire). */
function outcomeCode(outcome: RunOutcome): number {
  return outcome === 'succeeded' ? 1 : OUTCOMES.indexOf(outcome);
}

/**
 * The packed meta number: outcome in bits 0-3 (OUTCOMES has fewer than 16), the trigger's index in
 * RUN_TRIGGERS (append only) in bits 4-7, the attempt from bit 8.
 */
const OUTCOME_MASK = 0x0f;
const TRIGGER_SHIFT = 4;

/** A record's trigger's index in RUN_TRIGGERS; the scheduled fire's without a lookup. */
function triggerCode(run: RunRecord): number {
  const trigger = triggerOf(run);
  return trigger === 'schedule' ? 0 : RUN_TRIGGERS.indexOf(trigger);
}

function triggerOfMeta(meta: number): RunTrigger {
  return RUN_TRIGGERS[(meta >>> TRIGGER_SHIFT) & 0x0f] as RunTrigger;
}

/** A record's actor when it is not the scheduler (the common case, kept as no field at all). */
function ownActor(run: Pick<RunRecord, 'actor'>): Actor | undefined {
  const actor = run.actor;
  return actor === undefined || actor === SCHEDULER_ACTOR ? undefined : actor;
}

/** The optional fields of a record: set only on the records that have them. */
type OptionalFields = Pick<RunRecord, 'output' | 'coalesced' | 'lastScheduledAt' | 'node' | 'traceId' | 'actor' | 'note'>;

interface RareFields extends OptionalFields {
  error: RunError | null;
}

/** Copies the optional fields `from` has onto `to` (a field `from` lacks stays unset on `to`). */
function copyOptional(from: OptionalFields, to: OptionalFields): void {
  if (from.output !== undefined) to.output = from.output;
  if (from.coalesced !== undefined) to.coalesced = from.coalesced;
  if (from.lastScheduledAt !== undefined) to.lastScheduledAt = from.lastScheduledAt;
  if (from.node !== undefined) to.node = from.node;
  if (from.traceId !== undefined) to.traceId = from.traceId;
  if (from.note !== undefined) to.note = from.note;
  const actor = ownActor(from);
  if (actor !== undefined) to.actor = actor;
}

const orNaN = (v: number | null): number => (v === null ? Number.NaN : v);
const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** A plain copy of a record (the executor's may be a LiveRunRecord with accessors). */
function copyOf(run: RunRecord): RunRecord {
  const copy: RunRecord = {
    jobId: run.jobId,
    scheduledAt: run.scheduledAt,
    attempt: run.attempt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    outcome: run.outcome,
    latenessMs: run.latenessMs,
    durationMs: run.durationMs,
    error: run.error === null ? null : { ...run.error },
  };
  if (run.trigger !== undefined && run.trigger !== defaultTrigger(run.attempt)) copy.trigger = run.trigger;
  copyOptional(run, copy);
  return copy;
}

/**
 * Also a read-only RunRecord: its getters read the newest record, so the memory store hands the ring out
 * as the job's `lastRun` (see Executor's scratch record) instead of keeping a record object per job.
 */
export class RunRing implements RunRecord {
  /** This ring's index in the slab (claimed at the first record, -1 before and after release). */
  private index = -1;
  /** Created at the first record that has rare fields. */
  private rare: (RareFields | undefined)[] | null = null;
  /** Running records by slot, until they settle or are overwritten. */
  private pinned: (RunRecord | undefined)[] | null = null;
  /** Next slot to write once the ring is full; before that, slots fill in order. */
  private head = 0;
  private count = 0;

  constructor(
    readonly jobId: string,
    private readonly capacity: number,
    private readonly slab: RunSlab,
  ) {}

  get size(): number {
    return this.count;
  }

  // RunRecord: the newest record, read in place (a running one from its pinned object).
  get scheduledAt(): number {
    return this.newestPinned()?.scheduledAt ?? (this.newestColumn()[this.newestAt()] as number);
  }

  get attempt(): number {
    return this.newestPinned()?.attempt ?? (this.newestColumn()[this.newestAt() + 5] as number) >>> 8;
  }

  get startedAt(): number | null {
    return this.newestTime(1, 'startedAt');
  }

  get finishedAt(): number | null {
    return this.newestTime(2, 'finishedAt');
  }

  get latenessMs(): number | null {
    return this.newestTime(3, 'latenessMs');
  }

  get durationMs(): number | null {
    return this.newestTime(4, 'durationMs');
  }

  get outcome(): RunOutcome {
    return this.newestPinned()?.outcome ?? (OUTCOMES[(this.newestColumn()[this.newestAt() + 5] as number) & OUTCOME_MASK] as RunOutcome);
  }

  get trigger(): RunTrigger {
    const pinned = this.newestPinned();
    return pinned === undefined ? triggerOfMeta(this.newestColumn()[this.newestAt() + 5] as number) : triggerOf(pinned);
  }

  get actor(): Actor | undefined {
    return this.newestRareField('actor');
  }

  get note(): string | undefined {
    return this.newestRareField('note');
  }

  get error(): RunError | null {
    const pinned = this.newestPinned();
    return pinned === undefined ? (this.newestRare()?.error ?? null) : pinned.error;
  }

  get output(): string | undefined {
    return this.newestRareField('output');
  }

  get coalesced(): number | undefined {
    return this.newestRareField('coalesced');
  }

  get lastScheduledAt(): number | undefined {
    return this.newestRareField('lastScheduledAt');
  }

  get node(): string | undefined {
    return this.newestRareField('node');
  }

  get traceId(): string | undefined {
    return this.newestRareField('traceId');
  }

  /** A nullable time of the newest record: packed at `offset` in its slot, or on its pinned object. */
  private newestTime(offset: number, key: 'startedAt' | 'finishedAt' | 'latenessMs' | 'durationMs'): number | null {
    const pinned = this.newestPinned();
    return pinned === undefined ? orNull(this.newestColumn()[this.newestAt() + offset] as number) : pinned[key];
  }

  private newestRareField<K extends keyof OptionalFields>(key: K): RunRecord[K] {
    const pinned = this.newestPinned();
    return pinned === undefined ? (this.newestRare()?.[key] as RunRecord[K]) : pinned[key];
  }

  private newestPinned(): RunRecord | undefined {
    return this.pinned?.[this.slotOf(0)];
  }

  private newestRare(): RareFields | undefined {
    return this.rare?.[this.slotOf(0)];
  }

  private newestColumn(): Float64Array {
    return this.slab.column(this.slotOf(0), this.index);
  }

  /** Where the newest record starts in its column. */
  private newestAt(): number {
    return this.index * WIDTH;
  }

  push(run: RunRecord): void {
    let slot: number;
    if (this.index < 0) this.index = this.slab.claim();
    if (this.count < this.capacity) {
      slot = this.count++;
    } else {
      slot = this.head;
      this.head = (slot + 1) % this.capacity;
    }
    if (run.outcome === 'running') {
      this.pinned ??= [];
      this.pinned[slot] = run;
    } else {
      if (this.pinned !== null) this.pinned[slot] = undefined;
      this.pack(slot, run);
    }
  }

  /** A pinned record has settled: pack it (nothing if newer runs have pushed it out meanwhile). */
  settle(run: RunRecord): void {
    const pinned = this.pinned;
    if (pinned === null) return;
    for (let i = 0; i < this.count; i++) {
      const slot = this.slotOf(i);
      if (pinned[slot] === run) {
        pinned[slot] = undefined;
        this.pack(slot, run);
        return;
      }
    }
  }

  /** Newest first, as fresh objects (a caller may keep or change them). */
  newest(jobId: string, query: RunQuery): RunRecord[] {
    const out: RunRecord[] = [];
    for (let i = 0; i < this.count && out.length < query.limit; i++) {
      const slot = this.slotOf(i);
      // A running record is the executor's object, which it reuses for the job's next run: copy it.
      const pinned = this.pinned?.[slot];
      const run = pinned === undefined ? this.unpack(jobId, slot) : copyOf(pinned);
      if (query.before === undefined || run.scheduledAt < query.before) out.push(run);
    }
    return out;
  }

  /** Hands every kept record to `visit` without building it (the health fold reads every record of a job). */
  visit(visit: HealthVisitor): void {
    for (let i = 0; i < this.count; i++) {
      const slot = this.slotOf(i);
      const pinned = this.pinned?.[slot];
      if (pinned !== undefined) {
        visit(pinned.outcome, pinned.scheduledAt, pinned.finishedAt, pinned.coalesced ?? 1, pinned.error);
        continue;
      }
      const t = this.slab.column(slot, this.index);
      const at = this.index * WIDTH;
      const rare = this.rare?.[slot];
      visit(
        OUTCOMES[(t[at + 5] as number) & OUTCOME_MASK] as RunOutcome,
        t[at] as number,
        orNull(t[at + 2] as number),
        rare?.coalesced ?? 1,
        rare?.error ?? null,
      );
    }
  }

  /** The slot of the i-th newest record. */
  private slotOf(i: number): number {
    return this.count < this.capacity ? this.count - 1 - i : (this.head - 1 - i + this.capacity) % this.capacity;
  }

  private pack(slot: number, run: RunRecord): void {
    const t = this.slab.column(slot, this.index);
    const at = this.index * WIDTH;
    t[at] = run.scheduledAt;
    if (run instanceof LiveRunRecord) {
      run.timesInto(t, at + 1);
    } else {
      t[at + 1] = orNaN(run.startedAt);
      t[at + 2] = orNaN(run.finishedAt);
      t[at + 3] = orNaN(run.latenessMs);
      t[at + 4] = orNaN(run.durationMs);
    }
    t[at + 5] = outcomeCode(run.outcome) | (triggerCode(run) << TRIGGER_SHIFT) | (run.attempt << 8);
    if (
      run.error === null &&
      run.output === undefined &&
      run.coalesced === undefined &&
      run.lastScheduledAt === undefined &&
      run.node === undefined &&
      run.traceId === undefined &&
      run.note === undefined &&
      ownActor(run) === undefined
    ) {
      if (this.rare !== null) this.rare[slot] = undefined;
      return;
    }
    const rare: RareFields = { error: run.error };
    copyOptional(run, rare);
    this.rare ??= [];
    this.rare[slot] = rare;
  }

  private unpack(jobId: string, slot: number): RunRecord {
    const t = this.slab.column(slot, this.index);
    const at = this.index * WIDTH;
    const meta = t[at + 5] as number;
    const rare = this.rare?.[slot];
    const run: RunRecord = {
      jobId,
      scheduledAt: t[at] as number,
      attempt: meta >>> 8,
      startedAt: orNull(t[at + 1] as number),
      finishedAt: orNull(t[at + 2] as number),
      outcome: OUTCOMES[meta & OUTCOME_MASK] as RunOutcome,
      latenessMs: orNull(t[at + 3] as number),
      durationMs: orNull(t[at + 4] as number),
      error: rare === undefined || rare.error === null ? null : { ...rare.error },
    };
    const trigger = triggerOfMeta(meta);
    if (trigger !== defaultTrigger(run.attempt)) run.trigger = trigger;
    if (rare !== undefined) copyOptional(rare, run);
    return run;
  }

  /** Gives the ring's index back to the slab (the job was removed); the ring must not be used after. */
  release(): void {
    if (this.index < 0) return;
    this.slab.release(this.index);
    this.index = -1;
    this.count = 0;
    this.head = 0;
  }
}
