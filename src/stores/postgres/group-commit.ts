/**
 * Group commit: writes that arrive while one is in flight go into the next statement together, so many
 * concurrent callers pay one round trip, one commit (and one NOTIFY) per batch instead of one each. A
 * lone write starts at once (no timer, no added latency); only writes that would have queued behind a
 * commit anyway are batched. Each caller's promise settles only after its batch's statement ended: a
 * resolved write is committed.
 */

/** What a batch writer answers: per item, nothing (written) or the error of that item alone. */
export type ItemOutcomes = readonly (Error | undefined)[];

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private writing = false;

  /**
   * `write` writes a batch in one statement or transaction: a throw fails every item of the batch (nothing
   * of it was written), an outcome fails that item alone. `key` (optional) keeps two items with the same
   * key out of one batch: the later one goes into the next, so it sees the earlier one committed.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<ItemOutcomes>,
    private readonly maxBatch: number,
    private readonly key?: (item: T) => string,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        let outcomes: ItemOutcomes;
        try {
          outcomes = await this.write(batch.map((pending) => pending.item));
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          continue;
        }
        batch.forEach((pending, i) => {
          const error = outcomes[i];
          if (error === undefined) pending.resolve();
          else pending.reject(error);
        });
      }
    } finally {
      this.writing = false;
    }
  }

  /** The next batch: queued items in order, at most maxBatch, no key twice (the repeats wait). */
  private take(): Pending<T>[] {
    const key = this.key;
    if (key === undefined || this.queue.length === 1) return this.queue.splice(0, this.maxBatch);
    const batch: Pending<T>[] = [];
    const rest: Pending<T>[] = [];
    const keys = new Set<string>();
    for (const pending of this.queue) {
      const k = key(pending.item);
      if (batch.length < this.maxBatch && !keys.has(k)) {
        keys.add(k);
        batch.push(pending);
      } else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }
}
