/**
 * Where the memory store's packed run rings live, off the JS heap, laid out by column: each ring has an
 * index, and record slot k of every ring sits in column k, one Float64Array (six numbers per ring). A
 * column is created when the first ring writes that slot, sized for the rings there are, and grows (by a
 * quarter) when a newer ring writes it.
 *
 * Why columns, not a block per ring: jobs added together fire together, and a ring's records are written
 * slot after slot. With a block per ring (8 slots, doubled up to the capacity) 100 000 jobs firing every
 * second copied their histories into larger blocks together at their 9th, 17th, 33rd ... fire (20 ms of
 * lateness at the 9th, 28-37 ms at the 17th, more at each step) and kept the outgrown blocks: 3.2 KB per
 * job after 20 fires. By column a fire writes one slot of each ring, side by side in firing order; nothing
 * is copied after registration, new memory is taken one column per fire, and a job that rarely fires
 * holds only the slots it used (a column is as long as the rings that reached it).
 */

/** Numbers per record: scheduledAt, startedAt, finishedAt, latenessMs, durationMs (NaN = null), outcome | trigger << 4 | attempt << 8. */
export const WIDTH = 6;
const EMPTY = new Float64Array(0);

export class RunSlab {
  /** columns[slot]: record `slot` of every ring, ring i at i * WIDTH. */
  private readonly columns: Float64Array[] = [];
  private nextIndex = 0;
  private readonly freeIndexes: number[] = [];

  /** An index for a new ring; a released ring's index is reused (its records are overwritten). */
  claim(): number {
    return this.freeIndexes.pop() ?? this.nextIndex++;
  }

  release(index: number): void {
    this.freeIndexes.push(index);
  }

  /** Column `slot`, long enough for ring `index` (created or grown on first use). */
  column(slot: number, index: number): Float64Array {
    // Bounds checked first: a read past the end of the array would deoptimize the fire path the first
    // time a ring reaches a new slot.
    const column = slot < this.columns.length ? (this.columns[slot] as Float64Array) : EMPTY;
    return (index + 1) * WIDTH <= column.length ? column : this.grow(slot, index, column);
  }

  private grow(slot: number, index: number, old: Float64Array): Float64Array {
    // A new column: room for every ring there is and a quarter more (most will reach this slot). A column
    // outgrown by newer rings (jobs that first fire after it was made): doubled, so copying stays linear.
    const rings = old.length === 0 ? Math.max(index + 1, Math.ceil(this.nextIndex * 1.25), 16) : Math.max(index + 1, (old.length / WIDTH) * 2);
    const column = new Float64Array(rings * WIDTH);
    column.set(old);
    while (this.columns.length < slot) this.columns.push(EMPTY);
    this.columns[slot] = column;
    return column;
  }
}
