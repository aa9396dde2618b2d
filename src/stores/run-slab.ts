/**
 * Where the memory store's packed run rings live: large Float64Array pages, carved into blocks of
 * 2, 4, 8, ... slots (a ring doubles as its job's history grows, up to its capacity), with a free list
 * per block size so that blocks of removed jobs and outgrown blocks are reused.
 *
 * Why not one array per job: 100 000 jobs that start together also grow their histories together, and
 * per-job arrays on the JS heap made each growth step a burst of scavenges (50-80 ms of lateness) while
 * per-job typed arrays cost 0.3-1 µs each to create. Pages are off the JS heap, so the collector neither
 * copies nor scans the history, and a block is handed out in a few instructions.
 */

/** Doubles in a page once the store is busy; the first pages are smaller, so a store with few jobs stays small. */
const MAX_PAGE_DOUBLES = 1 << 16;
const FIRST_PAGE_DOUBLES = 1 << 12;

/** A block: `size` doubles of `page` from `base`. */
export interface Block {
  page: Float64Array;
  base: number;
}

export class RunSlab {
  private page: Float64Array = new Float64Array(0);
  /** Doubles used of the current page. */
  private used = 0;
  private nextPageDoubles = FIRST_PAGE_DOUBLES;
  /** Free blocks by size in doubles: pages and bases side by side. */
  private readonly freePages = new Map<number, Float64Array[]>();
  private readonly freeBases = new Map<number, number[]>();

  /** A block of `size` doubles; its contents are whatever the last owner left (callers overwrite). */
  alloc(size: number, into: Block): void {
    const pages = this.freePages.get(size);
    if (pages !== undefined && pages.length > 0) {
      into.page = pages.pop() as Float64Array;
      into.base = (this.freeBases.get(size) as number[]).pop() as number;
      return;
    }
    if (this.used + size > this.page.length) {
      if (size > MAX_PAGE_DOUBLES) {
        // A history longer than a page (maxRunsPerJob in the tens of thousands) gets a page of its own.
        into.page = new Float64Array(size);
        into.base = 0;
        return;
      }
      this.page = new Float64Array(Math.max(this.nextPageDoubles, size));
      this.nextPageDoubles = Math.min(MAX_PAGE_DOUBLES, this.nextPageDoubles * 2);
      this.used = 0;
    }
    into.page = this.page;
    into.base = this.used;
    this.used += size;
  }

  /** Returns a block for reuse by a later alloc of the same size. */
  release(size: number, page: Float64Array, base: number): void {
    let pages = this.freePages.get(size);
    if (pages === undefined) {
      pages = [];
      this.freePages.set(size, pages);
      this.freeBases.set(size, []);
    }
    pages.push(page);
    (this.freeBases.get(size) as number[]).push(base);
  }
}
