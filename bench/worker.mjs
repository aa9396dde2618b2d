// One scheduler, one workload, one repetition, in a process of its own:
//
//   node --expose-gc bench/worker.mjs <scheduler> <workload>[:<variant>] <N> [--option=value ...]
//
// Workloads: interval-1s, idle-1m:cron, idle-1m:interval, churn:cron, churn:interval,
// distinct-cron, cron-next. Options (defaults in OPTION_DEFAULTS): --window-s, --settle-s,
// --idle-s, --churn-s, --duration-s, --reg-limit-s, --heap-budget-mb, --cap, --together, --bulk.
// The result goes to the parent over IPC ({ type: 'result' }) when forked by run.mjs, else to
// stdout as JSON. A case that cannot run reports { failed: '<reason>' }.

import { SCHEDULERS, UnsupportedError, importTickwork } from './adapters.mjs';

const OPTION_DEFAULTS = {
  'window-s': 8, // interval-1s: how long jobs fire after registration
  'settle-s': 2, // interval-1s: how long late fires of the window are waited for
  'idle-s': 5, // idle-1m: idle CPU window
  'churn-s': 2, // churn: remove+add loop duration
  'duration-s': 6, // cron-next: total measuring time
  'reg-limit-s': 60, // any workload: registration longer than this fails the case
  'heap-budget-mb': 4096, // any workload: registration stops (fails) past this heap
  cap: 0, // distinct-cron: most jobs to register (0 = N); the figures are extrapolated to N
  together: 0, // idle-1m: 1 = call every add first and await the promises together (a bulk loader), 0 = await each
  bulk: 0, // idle-1m, Tickwork only: N = register through addJobs, N specs per call, the calls awaited together; 0 = one add per job
};

const ZONE_NY = 'America/New_York';
const ZONE_BERLIN = 'Europe/Berlin';
const DAILY = '0 0 * * *';
const DAY_S = 86_400;
/** A fixed, documented start for next-time computations (STYLE: time from a named constant). */
const CRON_NEXT_FROM = new Date(Date.UTC(2026, 0, 1));
const CRON_NEXT_EXPRESSIONS = ['0 0 * * *', '*/15 * * * *', '30 2 * * 1-5', '0 9,17 * * 1-5', '0 0 1 * *', '*/10 * * * * *'];

/** A reason to stop the case, reported as "failed: <message>" with whatever was measured. */
class CaseFailure extends Error {
  constructor(message, partial = {}) {
    super(message);
    this.partial = partial;
  }
}

// ---------------------------------------------------------------------------------------------
// Clock, memory, randomness: none of them allocate per call on the hot paths.

// Date.now() has 1 ms resolution; performance.now() is finer but on its own origin. Align the
// fine clock to a millisecond edge of Date.now() once, so that lateness is sub-millisecond and
// comparable with the wall-clock ideal times the schedulers compute.
const perfOffset = (() => {
  // The read after an edge can only be late, so the largest of a few offsets is the closest;
  // the first calls are slow (lazy initialisation) and are made before measuring.
  performance.now();
  Date.now();
  let best = -Infinity;
  for (let k = 0; k < 5; k++) {
    const first = Date.now();
    let now = first;
    while (now === first) now = Date.now();
    best = Math.max(best, now - performance.now());
  }
  return best;
})();
const nowMs = () => performance.now() + perfOffset;

function gcFull() {
  if (typeof globalThis.gc !== 'function') throw new UnsupportedError('run the worker with node --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

/** Heap plus memory held outside it (typed arrays, buffers): a scheduler may keep either. */
function memBytes() {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, total: m.heapUsed + m.external };
}

function cpuMs(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function makeRandom(seed) {
  let x = seed | 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

function progress(message) {
  if (process.send) process.send({ type: 'progress', message });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Fixed-size lateness reservoir (Algorithm R): no allocation per recorded value. */
class Reservoir {
  constructor(capacity) {
    this.values = new Float64Array(capacity);
    this.seen = 0;
    this.random = makeRandom(12345);
  }

  record(v) {
    const n = this.seen++;
    if (n < this.values.length) {
      this.values[n] = v;
    } else {
      const j = Math.floor(this.random() * (n + 1));
      if (j < this.values.length) this.values[j] = v;
    }
  }

  summary() {
    const n = Math.min(this.seen, this.values.length);
    const sorted = this.values.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i];
    const r = (v) => (v === null ? null : Math.round(v * 1000) / 1000);
    return {
      samples: this.seen,
      kept: n,
      p50: r(percentile(sorted, 50)),
      p90: r(percentile(sorted, 90)),
      p99: r(percentile(sorted, 99)),
      max: r(n ? sorted[n - 1] : null),
      min: r(n ? sorted[0] : null),
      mean: r(n ? sum / n : null),
    };
  }
}

/**
 * Registers `n` jobs with `addOne(i)` (sync or async), yielding to the event loop every ~50 ms
 * so that fires already due are not held up by the harness, and failing the case if it takes
 * longer than the registration limit or grows the heap past the budget.
 */
async function registerAll(n, addOne, opts, baseline, label = 'registration') {
  const limitMs = opts['reg-limit-s'] * 1000;
  const budget = opts['heap-budget-mb'] * 1024 * 1024;
  const t0 = nowMs();
  let lastYield = t0;
  let lastReport = t0;
  for (let i = 0; i < n; i++) {
    const r = addOne(i);
    if (r !== undefined && r !== null && typeof r.then === 'function') await r;
    if ((i & 255) === 255) {
      const t = nowMs();
      if (t - lastYield < 50) continue;
      const heap = process.memoryUsage().heapUsed;
      const partial = { registered: i + 1, elapsedMs: Math.round(t - t0), approxBytesPerJob: Math.round((heap - baseline.heapUsed) / (i + 1)) };
      if (t - t0 > limitMs) throw new CaseFailure(`${label} exceeded ${opts['reg-limit-s']} s (${i + 1} of ${n} jobs)`, partial);
      if (heap > budget)
        throw new CaseFailure(
          `heap exceeded ${opts['heap-budget-mb']} MB after ${i + 1} of ${n} jobs (~${partial.approxBytesPerJob} bytes/job, not gc'd)`,
          partial,
        );
      if (t - lastReport > 2000) {
        progress(`${label}: ${i + 1}/${n}`);
        lastReport = t;
      }
      await yieldToLoop();
      lastYield = nowMs();
    }
  }
  return nowMs() - t0;
}

/**
 * Registers `n` jobs the way a bulk loader does: every `addOne(i)` called in one synchronous loop, the
 * promises they return kept and awaited together at the end (no yield to the event loop in between).
 * The time runs until the last promise settled. A synchronous library (the floor) is measured the same.
 */
async function registerTogether(n, addOne, opts, baseline, label = 'registration') {
  const limitMs = opts['reg-limit-s'] * 1000;
  const budget = opts['heap-budget-mb'] * 1024 * 1024;
  const t0 = nowMs();
  let pending = new Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = addOne(i);
    if (r !== undefined && r !== null && typeof r.then === 'function') pending[count++] = r;
    if ((i & 65535) === 65535) {
      const t = nowMs();
      const heap = process.memoryUsage().heapUsed;
      const partial = { registered: i + 1, elapsedMs: Math.round(t - t0), approxBytesPerJob: Math.round((heap - baseline.heapUsed) / (i + 1)) };
      if (t - t0 > limitMs) throw new CaseFailure(`${label} exceeded ${opts['reg-limit-s']} s (${i + 1} of ${n} jobs called)`, partial);
      if (heap > budget)
        throw new CaseFailure(
          `heap exceeded ${opts['heap-budget-mb']} MB after ${i + 1} of ${n} calls (~${partial.approxBytesPerJob} bytes/job, not gc'd)`,
          partial,
        );
    }
  }
  pending.length = count;
  await Promise.all(pending);
  const ms = nowMs() - t0;
  // The harness's array of a million promises must not count in the memory figures.
  pending = null;
  return ms;
}

/**
 * Registers `n` jobs through a bulk API (Tickwork's addJobs): the specs in chunks of `chunk`, one call per
 * chunk, every call made in one synchronous loop and the promises awaited together, as registerTogether
 * does with single adds. The time runs until the last call settled; an item that failed fails the case.
 */
async function registerBulk(n, specOf, addMany, chunk, opts, baseline, label = 'registration') {
  const limitMs = opts['reg-limit-s'] * 1000;
  const budget = opts['heap-budget-mb'] * 1024 * 1024;
  const t0 = nowMs();
  let pending = [];
  for (let i = 0; i < n; i += chunk) {
    const specs = new Array(Math.min(chunk, n - i));
    for (let k = 0; k < specs.length; k++) specs[k] = specOf(i + k);
    pending.push(addMany(specs));
    if (pending.length % 64 === 0) {
      const t = nowMs();
      const heap = process.memoryUsage().heapUsed;
      const called = i + specs.length;
      const partial = { registered: called, elapsedMs: Math.round(t - t0), approxBytesPerJob: Math.round((heap - baseline.heapUsed) / called) };
      if (t - t0 > limitMs) throw new CaseFailure(`${label} exceeded ${opts['reg-limit-s']} s (${called} of ${n} jobs called)`, partial);
      if (heap > budget)
        throw new CaseFailure(
          `heap exceeded ${opts['heap-budget-mb']} MB after ${called} of ${n} jobs (~${partial.approxBytesPerJob} bytes/job, not gc'd)`,
          partial,
        );
    }
  }
  let answers = await Promise.all(pending);
  const ms = nowMs() - t0;
  let failed = 0;
  let first = null;
  for (const results of answers)
    for (const r of results)
      if (!r.ok) {
        failed++;
        first ??= r.error;
      }
  if (failed > 0) throw new CaseFailure(`${failed} of ${n} bulk adds failed (first: ${first?.code} ${first?.message})`, { elapsedMs: Math.round(ms) });
  // The harness's arrays of results must not count in the memory figures.
  pending = null;
  answers = null;
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Workloads

/** CPU per fire (µs) over the whole seconds of the window after its first, or null with fewer than two. */
function steadyCpuPerFireUs(cpuBySecond, firesBySecond) {
  let cpu = 0;
  let count = 0;
  for (let s = 1; s < cpuBySecond.length; s++) {
    cpu += cpuBySecond[s];
    count += firesBySecond[s];
  }
  return count > 0 ? Math.round(((cpu * 1000) / count) * 1000) / 1000 : null;
}

async function intervalOneSecond(adapter, n, opts) {
  const windowMs = opts['window-s'] * 1000;
  const settleMs = opts['settle-s'] * 1000;
  const wholeSeconds = adapter.emulation['interval-1s'] !== undefined;
  const lateness = new Reservoir(Math.min(n * 10, 4_000_000));
  // Registration brackets: the library reads the clock somewhere in [lo, hi].
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  let windowEnd = Infinity;
  let fires = 0;
  let counted = 0;
  // Worst lateness per second since registration began: shows warm-up or a slowing scheduler.
  const regStart = Date.now();
  const worstBySecond = new Float64Array(Math.ceil(opts['window-s'] + opts['settle-s'] + opts['reg-limit-s']) + 2);
  const onFire = (ideal) => {
    fires++;
    if (ideal <= windowEnd) {
      counted++;
      const late = nowMs() - ideal;
      lateness.record(late);
      const s = Math.floor((ideal - regStart) / 1000);
      if (s >= 0 && s < worstBySecond.length && late > worstBySecond[s]) worstBySecond[s] = late;
    }
  };
  const ids = (i) => `j-${i}`;
  gcFull();
  const baseline = memBytes();
  const regMs = await registerAll(
    n,
    (i) => {
      lo[i] = Date.now();
      const r = adapter.add.interval(ids(i), 1, onFire, false);
      if (r && typeof r.then === 'function')
        return r.then(() => {
          hi[i] = Date.now();
        });
      hi[i] = Date.now();
      return undefined;
    },
    opts,
    baseline,
  );
  const regEnd = nowMs();
  const cpu0 = process.cpuUsage();
  const firesBefore = fires;
  windowEnd = Math.floor(regEnd) + windowMs;
  // CPU per second of the window: shows what the first fires cost (JIT, first-run allocations) apart
  // from the steady state.
  const cpuBySecond = [];
  const firesBySecond = [];
  let cpuMark = process.cpuUsage();
  let firesMark = fires;
  const cpuTicker = setInterval(() => {
    cpuBySecond.push(Math.round(cpuMs(cpuMark)));
    cpuMark = process.cpuUsage();
    firesBySecond.push(fires - firesMark);
    firesMark = fires;
  }, 1000);

  // Fires each job owes with an ideal time <= windowEnd; a later clock read means fewer.
  const owed = (anchor) => (wholeSeconds ? Math.floor(windowEnd / 1000) - Math.floor(anchor / 1000) : Math.floor((windowEnd - anchor) / 1000));
  let expectedLo = 0;
  let expectedHi = 0;
  for (let i = 0; i < n; i++) {
    expectedLo += owed(hi[i]);
    expectedHi += owed(lo[i]);
  }

  await sleep(windowEnd - nowMs());
  while (counted < expectedLo && nowMs() < windowEnd + settleMs) await sleep(20);
  const stop = nowMs();
  const cpu = cpuMs(cpu0);
  clearInterval(cpuTicker);
  const windowFires = fires - firesBefore;
  // What the scheduler keeps after the fires (run history, per-job state), outside the CPU window.
  gcFull();
  const retained = memBytes();
  const missing = Math.max(0, expectedLo - counted);
  const result = {
    registrationMs: Math.round(regMs),
    expected: expectedLo === expectedHi ? expectedLo : [expectedLo, expectedHi],
    counted,
    missing,
    extra: Math.max(0, counted - expectedHi),
    missingPct: expectedLo ? Math.round((missing / expectedLo) * 1e5) / 1e3 : 0,
    firesInWindow: windowFires,
    windowMs: Math.round(stop - regEnd),
    cpuMs: Math.round(cpu),
    cpuPerFireUs: windowFires ? Math.round(((cpu * 1000) / windowFires) * 1000) / 1000 : null,
    cpuMsBySecond: cpuBySecond,
    firesBySecond,
    // The same without the first second of the window (JIT warm-up, first records): the steady state.
    cpuPerFireAfterFirstSecondUs: steadyCpuPerFireUs(cpuBySecond, firesBySecond),
    bytesPerJobAfterWindow: Math.round((retained.total - baseline.total) / n),
    latenessMs: lateness.summary(),
    worstLatenessMsBySecond: Array.from(worstBySecond.subarray(0, Math.ceil((windowEnd - regStart) / 1000) + 1), (v) => Math.round(v * 10) / 10),
  };
  if (missing > expectedLo * 0.01) result.failed = `fell behind: ${missing} of ${expectedLo} fires missing (${result.missingPct}%)`;
  return result;
}

function registerVariant(adapter, variant, onFire, keep) {
  if (variant === 'cron') return (id) => adapter.add.cron(id, DAILY, ZONE_NY, onFire, keep);
  if (variant === 'interval') return (id) => adapter.add.interval(id, DAY_S, onFire, keep);
  throw new UnsupportedError(`unknown variant "${variant}" (cron or interval)`);
}

/** The variant's job as a bulk API's spec, and the call that adds a chunk of them (--bulk). */
function bulkVariant(adapter, variant, onFire) {
  if (adapter.bulk === undefined) throw new UnsupportedError('--bulk: this scheduler has no bulk add (Tickwork only, with addJobs)');
  if (variant === 'cron') return { spec: (id) => adapter.bulk.cron(id, DAILY, ZONE_NY, onFire), add: adapter.bulk.add };
  if (variant === 'interval') return { spec: (id) => adapter.bulk.interval(id, DAY_S, onFire), add: adapter.bulk.add };
  throw new UnsupportedError(`unknown variant "${variant}" (cron or interval)`);
}

async function idle(adapter, n, variant, opts) {
  let fires = 0;
  const onFire = () => {
    fires++;
  };
  const add = registerVariant(adapter, variant, onFire, false);
  if (!Number.isInteger(opts.bulk) || opts.bulk < 0) throw new UnsupportedError(`--bulk must be a whole number of specs per call, got ${opts.bulk}`);
  const bulk = opts.bulk > 0 ? bulkVariant(adapter, variant, onFire) : null;
  gcFull();
  const m0 = memBytes();
  const rss0 = process.memoryUsage().rss;
  const register = opts.together ? registerTogether : registerAll;
  const regCpu0 = process.cpuUsage();
  const regMs =
    bulk === null ? await register(n, (i) => add(`j-${i}`), opts, m0) : await registerBulk(n, (i) => bulk.spec(`j-${i}`), bulk.add, opts.bulk, opts, m0);
  // CPU of the whole process (collector threads included): on a loaded machine a steadier figure than time.
  const regCpuMs = cpuMs(regCpu0);
  gcFull();
  const m1 = memBytes();
  const cpu0 = process.cpuUsage();
  await sleep(opts['idle-s'] * 1000);
  const idleCpu = cpuMs(cpu0);
  // The process's resident memory after the idle window (the collector has given back what it will by
  // then): what a bulk caller's garbage leaves in RSS beyond the heap figures.
  const rss1 = process.memoryUsage().rss;
  return {
    registrationMs: Math.round(regMs),
    registrationCpuMs: Math.round(regCpuMs),
    jobsPerSec: Math.round(n / (regMs / 1000)),
    bytesPerJob: Math.round((m1.total - m0.total) / n),
    heapBytesPerJob: Math.round((m1.heapUsed - m0.heapUsed) / n),
    externalBytesPerJob: Math.round((m1.external - m0.external) / n),
    rssBytesPerJob: Math.round((rss1 - rss0) / n),
    idleCpuMs: Math.round(idleCpu * 10) / 10,
    idleSeconds: opts['idle-s'],
    firesDuringIdle: fires,
    awaited: bulk !== null ? `addJobs, ${opts.bulk} per call, together` : opts.together ? 'together' : 'one by one',
  };
}

async function churn(adapter, n, variant, opts) {
  let fires = 0;
  const onFire = () => {
    fires++;
  };
  const add = registerVariant(adapter, variant, onFire, true);
  const ids = new Array(n);
  const base = memBytes();
  const regMs = await registerAll(n, (i) => add((ids[i] = `j-${i}`)), opts, base);
  gcFull();
  const m0 = memBytes();
  const random = makeRandom(424242);
  const durationMs = opts['churn-s'] * 1000;
  let ops = 0;
  let next = 0;
  const t0 = nowMs();
  let lastYield = t0;
  for (;;) {
    const j = Math.floor(random() * n);
    const r1 = adapter.remove(ids[j]);
    if (r1 && typeof r1.then === 'function') await r1;
    const id = `c-${next++}`;
    const r2 = add(id);
    if (r2 && typeof r2.then === 'function') await r2;
    ids[j] = id;
    ops++;
    if ((ops & 255) === 0) {
      const t = nowMs();
      if (t - t0 >= durationMs) break;
      if (t - lastYield > 50) {
        await yieldToLoop();
        lastYield = nowMs();
      }
    }
  }
  const elapsed = nowMs() - t0;
  gcFull();
  const m1 = memBytes();
  return {
    registrationMs: Math.round(regMs),
    ops,
    opsPerSec: Math.round(ops / (elapsed / 1000)),
    heapBefore: m0.total,
    heapAfter: m1.total,
    heapDeltaBytes: m1.total - m0.total,
    heapDeltaPerOp: Math.round(((m1.total - m0.total) / ops) * 100) / 100,
    firesDuringChurn: fires,
  };
}

// 21 unordered pairs of distinct weekdays.
const DOW_PAIRS = [];
for (let a = 0; a < 7; a++) for (let b = a + 1; b < 7; b++) DOW_PAIRS.push(`${a},${b}`);
const COMBOS = 60 * 24 * DOW_PAIRS.length; // 30 240 five-field expressions

/**
 * The i-th of 120 960 distinct expressions: 30 240 five-field `m h * * d1,d2`, then the same
 * with a seconds field of 15, 30 or 45. Even i in New York, odd i in Berlin.
 */
export function distinctExpression(i) {
  const combo = i % COMBOS;
  const sec = Math.floor(i / COMBOS) * 15;
  const m = combo % 60;
  const h = Math.floor(combo / 60) % 24;
  const dow = DOW_PAIRS[Math.floor(combo / 1440)];
  return sec === 0 ? `${m} ${h} * * ${dow}` : `${sec} ${m} ${h} * * ${dow}`;
}

async function distinctCron(adapter, n, opts) {
  if (n > COMBOS * 4) throw new UnsupportedError(`at most ${COMBOS * 4} distinct expressions`);
  const measured = opts.cap > 0 ? Math.min(n, opts.cap) : n;
  let fires = 0;
  const onFire = () => {
    fires++;
  };
  gcFull();
  const m0 = memBytes();
  const regMs = await registerAll(measured, (i) => adapter.add.cron(`j-${i}`, distinctExpression(i), i % 2 ? ZONE_BERLIN : ZONE_NY, onFire, false), opts, m0);
  gcFull();
  const m1 = memBytes();
  return {
    measuredN: measured,
    extrapolated: measured < n,
    registrationMs: Math.round(regMs),
    registrationMsAtN: Math.round((regMs * n) / measured),
    bytesPerJob: Math.round((m1.total - m0.total) / measured),
    heapBytesPerJob: Math.round((m1.heapUsed - m0.heapUsed) / measured),
    firesDuringRun: fires,
  };
}

async function cronNext(scheduler, opts) {
  const { Cron } = await import('croner');
  let next;
  if (scheduler === 'croner') {
    next = (expression, timezone) => new Cron(expression, { timezone }).nextRuns(1000, CRON_NEXT_FROM);
  } else if (scheduler === 'tickwork') {
    const tw = await importTickwork();
    if (typeof tw.previewSchedule !== 'function') throw new UnsupportedError('tickwork: dist/index.js exports no previewSchedule');
    next = (expression, timezone) => tw.previewSchedule({ type: 'cron', expression, timezone }, { from: CRON_NEXT_FROM, count: 1000 });
  } else {
    throw new UnsupportedError('cron-next compares tickwork (previewSchedule) with croner (nextRuns) only');
  }
  // Croner is the oracle: a scheduler that disagrees with it is reported, not failed (DST
  // policies may legitimately differ).
  const mismatches = {};
  for (const expr of CRON_NEXT_EXPRESSIONS) {
    const got = next(expr, ZONE_NY).map((d) => d.getTime());
    const want = new Cron(expr, { timezone: ZONE_NY }).nextRuns(1000, CRON_NEXT_FROM).map((d) => d.getTime());
    let diff = Math.abs(got.length - want.length);
    for (let i = 0; i < Math.min(got.length, want.length); i++) if (got[i] !== want[i]) diff++;
    if (diff > 0) {
      const first = got.findIndex((t, i) => t !== want[i]);
      mismatches[expr] = {
        differing: diff,
        firstAt: first,
        got: first >= 0 ? new Date(got[first]).toISOString() : null,
        croner: first >= 0 && want[first] !== undefined ? new Date(want[first]).toISOString() : null,
      };
    }
  }
  const perExprMs = (opts['duration-s'] * 1000) / CRON_NEXT_EXPRESSIONS.length;
  const perExpression = {};
  let totalDates = 0;
  let totalMs = 0;
  for (const expr of CRON_NEXT_EXPRESSIONS) {
    let dates = 0;
    const t0 = nowMs();
    let t = t0;
    while (t - t0 < perExprMs) {
      dates += next(expr, ZONE_NY).length;
      t = nowMs();
    }
    perExpression[expr] = Math.round(dates / ((t - t0) / 1000));
    totalDates += dates;
    totalMs += t - t0;
  }
  return {
    nextPerSec: Math.round(totalDates / (totalMs / 1000)),
    perExpression,
    timezone: ZONE_NY,
    from: CRON_NEXT_FROM.toISOString(),
    mismatchesVsCroner: mismatches,
  };
}

// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const [scheduler, workloadArg, nArg, ...rest] = argv;
  const opts = { ...OPTION_DEFAULTS };
  for (const a of rest) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (m === null || !(m[1] in opts)) throw new Error(`unknown option ${a}; known: ${Object.keys(opts).join(', ')}`);
    opts[m[1]] = Number(m[2]);
  }
  const [workload, variant] = (workloadArg ?? '').split(':');
  return { scheduler, workload, variant, n: Number(nArg), opts };
}

async function main() {
  const { scheduler, workload, variant, n, opts } = parseArgs(process.argv.slice(2));
  const create = SCHEDULERS[scheduler];
  if (create === undefined) throw new Error(`unknown scheduler "${scheduler}"; known: ${Object.keys(SCHEDULERS).join(', ')}`);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`N must be a positive integer, got ${process.argv[4]}`);
  const started = Date.now();
  const meta = { scheduler, workload: variant ? `${workload}:${variant}` : workload, n };
  let result;
  let adapter;
  try {
    if (workload === 'cron-next') {
      result = await cronNext(scheduler, opts);
    } else {
      adapter = await create();
      if (workload === 'interval-1s') meta.idealSource = adapter.idealSource;
      const emulation = adapter.emulation[workload === 'interval-1s' ? 'interval-1s' : variant];
      if (emulation) meta.emulation = emulation;
      if (workload === 'interval-1s') result = await intervalOneSecond(adapter, n, opts);
      else if (workload === 'idle-1m') result = await idle(adapter, n, variant, opts);
      else if (workload === 'churn') result = await churn(adapter, n, variant, opts);
      else if (workload === 'distinct-cron') result = await distinctCron(adapter, n, opts);
      else throw new UnsupportedError(`unknown workload "${workload}"`);
    }
  } catch (err) {
    if (err instanceof CaseFailure) result = { failed: err.message, ...err.partial };
    else if (err instanceof UnsupportedError) result = { failed: err.message };
    else result = { failed: `error: ${err && err.message ? err.message : String(err)}`, stack: err && err.stack };
  }
  result = { ...meta, ...result, wallMs: Date.now() - started };
  // Report before shutting down: a library that hangs in shutdown must not lose the figures.
  if (process.send) await new Promise((resolve) => process.send({ type: 'result', result }, resolve));
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (adapter) {
    try {
      await Promise.race([adapter.shutdown(), sleep(2000)]);
    } catch {
      // Shutdown errors do not change figures already reported; the process exits next.
    }
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
