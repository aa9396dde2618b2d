// What the first fires of jobs cost on cold code (V8 has not compiled the fire path yet) against the
// first fires of new jobs once the code is warm:
//
//   npm run build && node bench/warmup.mjs [N=10000]
//
// A process warms up once: run it again for another cold start.
//
// Adds N interval jobs (1 s), reports the lateness of their first fires, lets them run 3 s, adds N more
// and reports the lateness of those first fires. Lateness = Date.now() at the fire - ctx.scheduledAtMs.
import { importTickwork } from './adapters.mjs';

const N = Number(process.argv[2] ?? 10_000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return `fires ${sorted.length}, lateness p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted[sorted.length - 1]} ms`;
}

async function batch(scheduler, prefix) {
  const late = [];
  const record = (ctx) => {
    late.push(Date.now() - ctx.scheduledAtMs);
  };
  for (let i = 0; i < N; i++) await scheduler.addIntervalJob(record, 1, `${prefix}-${i}`);
  await sleep(1_100); // every job of the batch fires once
  return late.splice(0);
}

async function once() {
  const { SchedulerService } = await importTickwork();
  const { pino } = await import('pino');
  const scheduler = new SchedulerService({ logger: pino({ level: 'warn' }) });
  await scheduler.start();
  const cold = await batch(scheduler, 'cold');
  await sleep(3_000);
  const warm = await batch(scheduler, 'warm');
  await scheduler.shutdown({ wait: false });
  return { cold, warm };
}

const { cold, warm } = await once();
console.log(`${N} jobs, first fires on cold code: ${summary(cold)}`);
console.log(`${N} more jobs, first fires on warm code: ${summary(warm)}`);
