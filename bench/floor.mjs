// The floor: the smallest correct in-process scheduler, the baseline every other scheduler in
// the benchmark is divided by. It does only what a scheduler cannot skip:
//   - one binary min-heap of jobs keyed by their next fire time (O(log n) add / remove / fire),
//   - ONE setTimeout, armed for the earliest job and capped (clock jumps, the 2^31-1 ms limit),
//   - drift-free intervals: the k-th fire is at start + k * period, never "now + period"; a
//     backlog (the process was blocked for more than a period) is coalesced into one fire,
//   - daily cron (`M H * * *` in an IANA zone) whose next time is computed once per
//     (expression, zone, second) and shared by every job with that expression.
// A job function is called as fn(scheduledAtMs, jobId). It has no misfire grace, no run
// history, no events, no async accounting: everything Tickwork adds costs more than this.

/** Longest single sleep: every wake re-reads the clock (survives clock jumps, 2^31-1 ms limit). */
const MAX_SLEEP_MS = 60_000;
/** Work done in one timer turn before yielding to I/O with setImmediate. */
const TURN_BUDGET_MS = 10;
const DAY_MS = 86_400_000;

const formatters = new Map();
function formatterFor(zone) {
  let fmt = formatters.get(zone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, fmt);
  }
  return fmt;
}

/** Wall-clock fields of an instant in a zone, as a UTC timestamp ("local time as if UTC"). */
function wallOf(fmt, ms) {
  const f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of fmt.formatToParts(ms)) if (p.type in f) f[p.type] = Number(p.value);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

/** Zone offset (local - UTC) in ms at an instant. */
function offsetAt(fmt, ms) {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallOf(fmt, whole) - whole;
}

/**
 * The instant of a local wall time (ms, "as if UTC") in a zone. Ambiguous (fall-back): the first
 * occurrence. In a gap (spring-forward): the first instant after the gap. Both as cronie does for
 * fixed-time jobs.
 */
function instantOfWall(fmt, wall) {
  // Offsets a day either side: DST transitions are months apart, so these are the two candidates.
  const oBefore = offsetAt(fmt, wall - DAY_MS);
  const oAfter = offsetAt(fmt, wall + DAY_MS);
  const a = wall - oBefore;
  const b = wall - oAfter;
  const aOk = offsetAt(fmt, a) === oBefore;
  const bOk = offsetAt(fmt, b) === oAfter;
  if (aOk && bOk) return Math.min(a, b);
  if (aOk) return a;
  if (bOk) return b;
  // Gap: bisect for the transition instant between the two candidates (to the second).
  let lo = Math.min(a, b);
  let hi = Math.max(a, b);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(fmt, mid) === oBefore) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** A parsed daily cron expression in a zone, with its shared next-time cache. */
class DailyCron {
  constructor(expression, zone) {
    const m = /^\s*(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*\s*$/.exec(expression);
    if (m === null) throw new Error(`floor supports only daily cron "M H * * *", got "${expression}"`);
    this.minute = Number(m[1]);
    this.hour = Number(m[2]);
    if (this.minute > 59 || this.hour > 23) throw new Error(`floor: minute or hour out of range in "${expression}"`);
    this.fmt = formatterFor(zone);
    this.cachedSecond = -1;
    this.cachedNext = 0;
  }

  /** First fire strictly after `afterMs`; computed once per second and shared by all its jobs. */
  next(afterMs) {
    const second = Math.floor(afterMs / 1000);
    if (second === this.cachedSecond) return this.cachedNext;
    const today = wallOf(this.fmt, afterMs);
    const dayStart = today - (today % DAY_MS);
    let next = NaN;
    for (let d = 0; d < 3; d++) {
      const at = instantOfWall(this.fmt, dayStart + d * DAY_MS + this.hour * 3_600_000 + this.minute * 60_000);
      // Strictly after the whole second: every job asking within this second gets the same answer.
      if (at > second * 1000 + 999) {
        next = at;
        break;
      }
    }
    this.cachedSecond = second;
    this.cachedNext = next;
    return next;
  }
}

class FloorJob {
  constructor(id, fn, start, periodMs, cron, next) {
    this.id = id;
    this.fn = fn;
    this.start = start;
    this.period = periodMs;
    this.k = 1;
    this.cron = cron;
    this.next = next;
    this.index = -1;
  }
}

export class FloorScheduler {
  constructor() {
    this.heap = [];
    this.jobs = new Map();
    this.crons = new Map();
    this.timer = undefined;
    this.armedFor = Infinity;
    this.running = false;
    this.onError = (err) => {
      console.error('floor: job failed', err);
    };
    this.tick = () => this.fireDue();
  }

  start() {
    this.running = true;
    this.arm();
  }

  shutdown() {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  get size() {
    return this.heap.length;
  }

  /** Fires every `seconds` at start + k * period (first fire one period after now). */
  addInterval(id, seconds, fn) {
    const period = seconds * 1000;
    if (!(period > 0)) throw new Error(`floor: interval must be > 0 seconds, got ${seconds}`);
    const start = Date.now();
    return this.insert(new FloorJob(id, fn, start, period, null, start + period));
  }

  /** Daily cron `M H * * *` in an IANA zone. */
  addDailyCron(id, expression, zone, fn) {
    const key = `${expression}|${zone}`;
    let cron = this.crons.get(key);
    if (cron === undefined) {
      cron = new DailyCron(expression, zone);
      this.crons.set(key, cron);
    }
    return this.insert(new FloorJob(id, fn, 0, 0, cron, cron.next(Date.now())));
  }

  remove(id) {
    const job = this.jobs.get(id);
    if (job === undefined) return false;
    this.jobs.delete(id);
    const heap = this.heap;
    const i = job.index;
    const last = heap.pop();
    if (last !== job) {
      heap[i] = last;
      last.index = i;
      this.siftDown(i);
      this.siftUp(last.index);
    }
    job.index = -1;
    return true;
  }

  insert(job) {
    if (this.jobs.has(job.id)) throw new Error(`floor: job id "${job.id}" already exists`);
    this.jobs.set(job.id, job);
    job.index = this.heap.length;
    this.heap.push(job);
    this.siftUp(job.index);
    if (this.running && job.next < this.armedFor) this.arm();
    return job;
  }

  arm() {
    if (!this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    if (this.heap.length === 0) return;
    const at = this.heap[0].next;
    const delay = Math.min(Math.max(at - Date.now(), 0), MAX_SLEEP_MS);
    this.armedFor = at;
    this.timer = setTimeout(this.tick, delay);
  }

  fireDue() {
    this.timer = undefined;
    this.armedFor = Infinity;
    if (!this.running) return;
    const heap = this.heap;
    const turnStart = Date.now();
    let now = turnStart;
    let n = 0;
    while (heap.length > 0) {
      // Re-read the clock now and then: a long batch also fires what fell due meanwhile,
      // and yields to I/O instead of starving it.
      if ((++n & 1023) === 0) {
        now = Date.now();
        if (now - turnStart > TURN_BUDGET_MS) {
          setImmediate(this.tick);
          return;
        }
      }
      const job = heap[0];
      const at = job.next;
      if (at > now) break;
      if (job.cron === null) {
        let next = job.start + ++job.k * job.period;
        if (next <= now) {
          // Behind by more than a period: coalesce the backlog into this one fire.
          job.k = Math.floor((now - job.start) / job.period) + 1;
          next = job.start + job.k * job.period;
        }
        job.next = next;
      } else {
        job.next = job.cron.next(now);
      }
      this.siftDown(0);
      try {
        job.fn(at, job.id);
      } catch (err) {
        this.onError(err, job);
      }
    }
    this.arm();
  }

  siftUp(i) {
    const heap = this.heap;
    const job = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p];
      if (parent.next <= job.next) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = job;
    job.index = i;
  }

  siftDown(i) {
    const heap = this.heap;
    const len = heap.length;
    const job = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= len) break;
      const r = l + 1;
      const c = r < len && heap[r].next < heap[l].next ? r : l;
      const child = heap[c];
      if (child.next >= job.next) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = job;
    job.index = i;
  }
}
