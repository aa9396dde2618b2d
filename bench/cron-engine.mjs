// Our cron engine (src/cron) against croner: next-time throughput and heap bytes per parsed pattern.
//
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/cron-engine.mjs
//
// Throughput: next fire times in America/New_York, each query independent (the after-instants are spread
// over 2026-2027, as a scheduler's jobs are), and as a chain (each result fed back in, as one job fires).
// Memory: 100 000 distinct expressions (`m h * * d1,d2`, then the same with a seconds field), heap after
// gc() minus heap before, divided by the count; the expression strings exist before the baseline (a job
// holds its expression anyway), so the figure is what parsing adds. Croner is measured on 2 000 patterns.
// The day rules (L, L-n, nW, LW, nL, n#k) are measured the same way on 100 000 distinct expressions of
// those forms, and H on 100 000 job ids sharing one expression (a pattern per job). Last, whole jobs:
// 100 000 cron jobs on a started SchedulerService (memory store), each with its own expression mixing
// the day rules and H, heap per job.
import { Cron } from 'croner';
import { pino } from 'pino';
import { CronCompiler } from '../dist/cron/compiler.js';
import { SchedulerService } from '../dist/index.js';
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

/**
 * `chainLength`: fires per chain before it starts over, so a chain spans about two years of the pattern
 * (1 000 daily fires; 24 monthly ones): longer chains of a monthly pattern would run decades ahead,
 * measuring the zone's year tables rather than the search.
 */
function throughput(expression, chainLength = 1_000) {
  const zone = new TimeZone(ZONE);
  const pattern = parseCron(expression);
  // fixedTimeRule 'no-wildcard' is cronie's (and our) fixed-time rule; it changes nothing for these expressions' speed.
  const cron = new Cron(expression, { timezone: ZONE, fixedTimeRule: 'no-wildcard' });
  // Same answers first: a fast wrong engine is no use.
  for (let i = 0; i < 2_000; i += 1) {
    const ours = nextCronTime(pattern, zone, afters[i]);
    const theirs = cron.nextRun(new Date(afters[i]))?.getTime() ?? null;
    const nearDst = Math.abs((zone.nextTransition(afters[i] - 10_800_000) ?? Infinity) - afters[i]) < 10_800_000;
    if (ours !== theirs && !nearDst) throw new Error(`${expression} after ${new Date(afters[i]).toISOString()}: ours ${ours}, croner ${theirs}`);
  }
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

/** 100 000 distinct expressions with a day rule: `m h <rule> * *` and `m h * * <rule>` over the rules below. */
function ruleExpressions(count) {
  const rules = [];
  for (let n = 0; n <= 27; n++) rules.push([`L-${n}`, '*']);
  for (let d = 1; d <= 28; d++) rules.push([`${d}W`, '*']);
  rules.push(['LW', '*'], ['L', '*'], ['1,15,L', '*']);
  for (let w = 0; w < 7; w++) {
    rules.push(['?', `${w}L`]);
    for (let k = 1; k <= 5; k++) rules.push(['?', `${w}#${k}`]);
  }
  const out = [];
  for (let s = 0; out.length < count; s++) {
    for (const [dom, dow] of rules) {
      for (let i = 0; i < 1440 && out.length < count; i++) {
        const base = `${i % 60} ${Math.floor(i / 60)} ${dom} * ${dow}`;
        out.push(s === 0 ? base : `${s} ${base}`);
      }
      if (out.length >= count) break;
    }
  }
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
for (const [expression, chainLength] of [
  ['0 0 * * *', 1_000],
  ['*/5 * * * *', 1_000],
  ['0 0 L * *', 24],
  ['0 9 * * MON#1', 24],
  ['0 0 15W * *', 24],
  ['30 2 * * 0L', 24],
]) {
  const r = throughput(expression, chainLength);
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

const ruleList = ruleExpressions(N);
if (new Set(ruleList).size !== N) throw new Error('rule expressions are not distinct');
const ruleParsed = heapPerItem(ruleList, (e) => parseCron(e));
// Croner refuses L-n: it is measured on the rule expressions it accepts.
const ruleCroner = heapPerItem(ruleList.filter((e) => !e.includes('L-')).slice(0, 2_000), (e) => new Cron(e, { timezone: ZONE, paused: true }));
rows.push([`heap bytes per pattern with a day rule, parseCron (${N} distinct)`, fmt(ruleParsed), fmt(ruleCroner), ratio(ruleCroner, ruleParsed)]);
const hashCompiler = new CronCompiler();
const ids = Array.from({ length: N }, (_, i) => `job-${i}`);
const hashed = heapPerItem(ids, (id) => hashCompiler.acquire('H H(0-5) * * *', id));
rows.push([`heap bytes per pattern, "H H(0-5) * * *" for ${N} job ids (CronCompiler)`, fmt(hashed), '', '']);

const t0 = process.hrtime.bigint();
for (const e of list) parseCron(e);
const parseRate = N / (Number(process.hrtime.bigint() - t0) / 1e9);
rows.push(['parseCron (/s)', fmt(parseRate), '', '']);
const t1 = process.hrtime.bigint();
for (const e of ruleList) parseCron(e);
rows.push(['parseCron, day rules (/s)', fmt(N / (Number(process.hrtime.bigint() - t1) / 1e9)), '', '']);

// Whole jobs: each of 100 000 has its own expression, a third with H (a pattern per job id), the rest day rules.
{
  const scheduler = new SchedulerService({ logger: pino({ level: 'warn' }), timezone: ZONE });
  await scheduler.start();
  const noop = () => undefined;
  const jobExpressions = ruleList.map((e, i) => (i % 3 === 0 ? `H H(0-5) * * ${i % 7}` : e));
  const jobIds = Array.from({ length: N }, (_, i) => `job-${i}`);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) await scheduler.addCronJob(noop, jobExpressions[i], jobIds[i]);
  gc();
  gc();
  const perJob = (process.memoryUsage().heapUsed - before) / N;
  rows.push([`heap bytes per job, ${N} cron jobs with distinct day-rule or H expressions (SchedulerService)`, fmt(perJob), '', '']);
  await scheduler.shutdown({ wait: false });
}

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
