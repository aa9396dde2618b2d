// Our cron engine (src/cron) against croner: next-time throughput and heap bytes per parsed pattern.
//
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/cron-engine.mjs
//
// Throughput: next fire times in America/New_York, each query independent (the after-instants are spread
// over 2026-2027, as a scheduler's jobs are), and as a chain (each result fed back in, as one job fires).
// Memory: 100 000 distinct expressions (`m h * * d1,d2`, then the same with a seconds field), heap after
// gc() minus heap before, divided by the count; the expression strings exist before the baseline (a job
// holds its expression anyway), so the figure is what parsing adds. Croner is measured on 2 000 patterns.
import { Cron } from 'croner';
import { CronCompiler } from '../dist/cron/compiler.js';
import { nextCronTime } from '../dist/cron/next.js';
import { parseCron } from '../dist/cron/pattern.js';
import { TimeZone } from '../dist/cron/zone.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc bench/cron-engine.mjs');
  process.exit(1);
}
const gc = globalThis.gc;

const ZONE = 'America/New_York';
const START = Date.UTC(2026, 0, 1);
const SPAN = 2 * 365 * 86_400_000;
const QUERIES = 200_000;
/** After-instants spread over two years (a fixed stride, so every run asks the same questions). */
const afters = Array.from({ length: QUERIES }, (_, i) => START + ((i * 7_919_113_337) % SPAN));

/** Calls per second of `fn(i)` over `count` calls, best of 3 (after a warm-up run). */
function rate(count, fn) {
  let best = 0;
  for (let round = 0; round < 4; round++) {
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (let i = 0; i < count; i++) sink += fn(i) ?? 0;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (round > 0) best = Math.max(best, count / seconds);
    if (Number.isNaN(sink)) console.log('unreachable');
  }
  return best;
}

function throughput(expression) {
  const zone = new TimeZone(ZONE);
  const pattern = parseCron(expression);
  const cron = new Cron(expression, { timezone: ZONE });
  // Same answers first: a fast wrong engine is no use.
  for (let i = 0; i < 2_000; i += 1) {
    const ours = nextCronTime(pattern, zone, afters[i]);
    const theirs = cron.nextRun(new Date(afters[i]))?.getTime() ?? null;
    const nearDst = Math.abs((zone.nextTransition(afters[i] - 10_800_000) ?? Infinity) - afters[i]) < 10_800_000;
    if (ours !== theirs && !nearDst) throw new Error(`${expression} after ${new Date(afters[i]).toISOString()}: ours ${ours}, croner ${theirs}`);
  }
  const chainLength = 1_000;
  const ours = rate(QUERIES, (i) => nextCronTime(pattern, zone, afters[i]));
  const theirs = rate(QUERIES / 10, (i) => cron.nextRun(new Date(afters[i])).getTime());
  let t = START;
  const oursChain = rate(QUERIES, (i) => {
    if (i % chainLength === 0) t = START;
    t = nextCronTime(pattern, zone, t);
    return t;
  });
  let d = new Date(START);
  const theirsChain = rate(QUERIES / 10, (i) => {
    if (i % chainLength === 0) d = new Date(START);
    d = cron.nextRun(d);
    return d.getTime();
  });
  return { expression, ours, theirs, oursChain, theirsChain };
}

function expressions(count, withSeconds) {
  const out = [];
  for (let s = 0; out.length < count; s += 15) {
    for (let m = 0; m < 60 && out.length < count; m++) {
      for (let h = 0; h < 24 && out.length < count; h++) {
        for (let a = 0; a < 7 && out.length < count; a++) {
          for (let b = a + 1; b < 7 && out.length < count; b++) {
            const base = `${m} ${h} * * ${a},${b}`;
            if (s === 0) out.push(base);
            else if (withSeconds) out.push(`${s} ${base}`);
          }
        }
      }
    }
    if (!withSeconds) break;
  }
  // Flat copies, so the baseline holds the final strings (template literals may leave cons strings).
  return out.map((e) => JSON.parse(JSON.stringify(e)));
}

function heapPerItem(list, build) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = new Array(list.length);
  for (let i = 0; i < list.length; i++) kept[i] = build(list[i]);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  // The array of results (4 bytes a slot with pointer compression, 8 without) is the bench's, not the engine's.
  const arrayBytes = list.length * 8;
  if (kept.length !== list.length) console.log('unreachable');
  return (after - before - arrayBytes) / list.length;
}

const N = 100_000;
const list = expressions(N, true);
if (new Set(list).size !== N) throw new Error('expressions are not distinct');

const rows = [];
for (const expression of ['0 0 * * *', '*/5 * * * *']) {
  const r = throughput(expression);
  rows.push([`next time "${expression}" ${ZONE}, independent (/s)`, fmt(r.ours), fmt(r.theirs), ratio(r.ours, r.theirs)]);
  rows.push([`next time "${expression}" ${ZONE}, chained (/s)`, fmt(r.oursChain), fmt(r.theirsChain), ratio(r.oursChain, r.theirsChain)]);
}

const parsed = heapPerItem(list, (e) => parseCron(e));
const compiler = new CronCompiler();
const acquired = heapPerItem(list, (e) => compiler.acquire(e));
const cronerList = list.slice(0, 2_000);
const croner = heapPerItem(cronerList, (e) => new Cron(e, { timezone: ZONE, paused: true }));
rows.push([`heap bytes per pattern, parseCron (${N} distinct)`, fmt(parsed), fmt(croner), ratio(croner, parsed)]);
rows.push([`heap bytes per pattern, CronCompiler.acquire (${N} distinct)`, fmt(acquired), '', '']);

const t0 = process.hrtime.bigint();
for (const e of list) parseCron(e);
const parseRate = N / (Number(process.hrtime.bigint() - t0) / 1e9);
rows.push(['parseCron (/s)', fmt(parseRate), '', '']);

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}
function ratio(a, b) {
  return `${(a / b).toFixed(1)}x`;
}

const header = ['measure', 'tickwork', 'croner', 'ours / croner'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(`node ${process.version}, ${ZONE}`);
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));
