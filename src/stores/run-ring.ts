/**
 * A job's newest run records in the memory store, packed: six numbers per run in one plain array of
 * doubles, which V8 stores unboxed and the garbage collector does not trace. 100 records per job for
 * 100 000 jobs are then 100 000 arrays, instead of ten million objects (each with five boxed doubles)
 * promoted and marked. The array grows by appending (V8's own amortised growth), so a job that rarely
 * fires stays small; typed arrays were tried and cost 0.3-1 µs each to create, which showed as a lateness
 * spike when 100 000 jobs fired for the first time. Rare parts (an error, output, a coalesced count) sit
 * in a side array only for the records that have them.
 *
 * A record still running is kept as the object itself ("pinned"): the executor mutates it until it
 * settles and then calls `settle`, which packs it.
 */
import type { RunOutcome } from '../scheduler/events.js';
import type { RunError, RunRecord } from '../scheduler/run.js';
import type { RunQuery } from './store.js';

const OUTCOMES: readonly RunOutcome[] = ['running', 'succeeded', 'failed', 'missed', 'skipped', 'lost', 'timed_out', 'cancelled'];
const OUTCOME_CODE = new Map<RunOutcome, number>(OUTCOMES.map((o, i) => [o, i]));

/** Numbers per slot: scheduledAt, startedAt, finishedAt, latenessMs, durationMs (NaN = null), outcome | attempt << 8. */
const WIDTH = 6;

interface RareFields {
  error: RunError | null;
  output?: string;
  coalesced?: number;
  lastScheduledAt?: number;
  node?: string;
}

const orNaN = (v: number | null): number => (v === null ? Number.NaN : v);
const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

export class RunRing {
  /** Only numbers ever go in (NaN for null), so that V8 keeps its elements unboxed. */
  private readonly data: number[] = [];
  /** Created at the first record that has rare fields. */
  private rare: (RareFields | undefined)[] | null = null;
  /** Running records by slot, until they settle or are overwritten. */
  private pinned: (RunRecord | undefined)[] | null = null;
  /** Next slot to write once the ring is full; before that, slots fill in order. */
  private head = 0;
  private count = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.count;
  }

  push(run: RunRecord): void {
    let slot: number;
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
      const run = this.pinned?.[slot] ?? this.unpack(jobId, slot);
      if (query.before === undefined || run.scheduledAt < query.before) out.push(run);
    }
    return out;
  }

  /** The slot of the i-th newest record. */
  private slotOf(i: number): number {
    return this.count < this.capacity ? this.count - 1 - i : (this.head - 1 - i + this.capacity) % this.capacity;
  }

  private pack(slot: number, run: RunRecord): void {
    // A new slot is appended in order (at === data.length), so the array stays packed.
    const t = this.data;
    const at = slot * WIDTH;
    t[at] = run.scheduledAt;
    t[at + 1] = orNaN(run.startedAt);
    t[at + 2] = orNaN(run.finishedAt);
    t[at + 3] = orNaN(run.latenessMs);
    t[at + 4] = orNaN(run.durationMs);
    t[at + 5] = (OUTCOME_CODE.get(run.outcome) as number) | (run.attempt << 8);
    if (run.error === null && run.output === undefined && run.coalesced === undefined && run.lastScheduledAt === undefined && run.node === undefined) {
      if (this.rare !== null) this.rare[slot] = undefined;
      return;
    }
    const rare: RareFields = { error: run.error };
    if (run.output !== undefined) rare.output = run.output;
    if (run.coalesced !== undefined) rare.coalesced = run.coalesced;
    if (run.lastScheduledAt !== undefined) rare.lastScheduledAt = run.lastScheduledAt;
    if (run.node !== undefined) rare.node = run.node;
    this.rare ??= [];
    this.rare[slot] = rare;
  }

  private unpack(jobId: string, slot: number): RunRecord {
    const t = this.data;
    const at = slot * WIDTH;
    const meta = t[at + 5] as number;
    const rare = this.rare?.[slot];
    const run: RunRecord = {
      jobId,
      scheduledAt: t[at] as number,
      attempt: meta >>> 8,
      startedAt: orNull(t[at + 1] as number),
      finishedAt: orNull(t[at + 2] as number),
      outcome: OUTCOMES[meta & 0xff] as RunOutcome,
      latenessMs: orNull(t[at + 3] as number),
      durationMs: orNull(t[at + 4] as number),
      error: rare === undefined || rare.error === null ? null : { ...rare.error },
    };
    if (rare !== undefined) {
      if (rare.output !== undefined) run.output = rare.output;
      if (rare.coalesced !== undefined) run.coalesced = rare.coalesced;
      if (rare.lastScheduledAt !== undefined) run.lastScheduledAt = rare.lastScheduledAt;
      if (rare.node !== undefined) run.node = rare.node;
    }
    return run;
  }
}
