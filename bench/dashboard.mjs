// Dashboard benchmark (issue #6: "first view < 1 s with 10 000 jobs; the page stays responsive at 100
// events/s"). Starts the server in this process (memory store, 10 000 jobs), opens the dashboard in
// headless Chromium and measures:
//   - first view: the page's own performance mark 'jobs-rendered' (ms since navigation start), median of
//     several fresh loads, sorted by id and by next run time;
//   - under load: 100 interval jobs every 1 s on the visible page (about 200 SSE events/s: job_submitted
//     and job_executed per fire) for 10 s: long tasks (PerformanceObserver 'longtask'), the largest gap
//     between animation frames and between 10 ms timer beats, main-thread busy time (CDP metrics), and how
//     far a visible row's "last run" lags the server.
//
//   npm run bench:dashboard      (builds first)    node bench/dashboard.mjs [--loads=5] [--seconds=10]
/* global document, window, requestAnimationFrame, PerformanceObserver -- used inside page.evaluate() callbacks, which run in the browser */
import { mkdirSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { EVENT_NAMES } from '../dist/core/events.js';
import { SchedulerService } from '../dist/scheduler/service.js';
import { buildServer } from '../dist/server/app.js';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const LOADS = arg('loads', 5);
const SECONDS = arg('seconds', 10);
const JOBS = 10_000;
const FIRING = 100;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 0) => Number(x.toFixed(digits));

async function main() {
  const logger = pino({ level: 'warn' });
  const scheduler = new SchedulerService({ logger, timezone: 'UTC' });
  scheduler.registerTask('noop', () => undefined);
  // What the SSE stream carries: every scheduler event, counted for the events/s figure.
  const countEvents = { count: 0 };
  for (const name of EVENT_NAMES) scheduler.on(name, () => countEvents.count++);
  const app = await buildServer({ scheduler, logger, adminKeys: [], monitorKeys: [] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${app.server.address().port}/`;

  // 10 000 jobs: hourly crons spread over the hour and long intervals, as an installation might have;
  // the 100 that will fire every second sort first by id, so they are the visible page.
  const addStart = performance.now();
  for (let i = 0; i < JOBS - FIRING; i++) {
    const id = `job-${String(i).padStart(5, '0')}`;
    await scheduler.addJob(
      i % 2 === 0
        ? { id, task: 'noop', trigger: { type: 'cron', expression: `${i % 60} * * * *` } }
        : { id, task: 'noop', trigger: { type: 'interval', seconds: 3600 + i } },
    );
  }
  for (let i = 0; i < FIRING; i++) {
    await scheduler.addJob({ id: `a-tick-${String(i).padStart(3, '0')}`, task: 'noop', trigger: { type: 'interval', seconds: 1 }, paused: true });
  }
  console.log(`${JOBS} jobs added in ${round((performance.now() - addStart) / 1000, 2)} s`);

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const results = { jobs: JOBS, firstView: {}, underLoad: {} };
  try {
    for (const [label, query] of [
      ['sort by id', ''],
      ['sort by next run', '?sort=nextRunTime'],
    ]) {
      const times = [];
      for (let i = 0; i < LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await context.newPage();
        await page.goto(url + query);
        await page.waitForFunction(() => performance.getEntriesByName('jobs-rendered').length > 0, null, { timeout: 10_000 });
        times.push(await page.evaluate(() => performance.getEntriesByName('jobs-rendered')[0].startTime));
        if (i === 0)
          console.log(`  page shows: "${await page.locator('#page-info').textContent()}", ${await page.locator('#jobs-table tbody tr').count()} rows`);
        await context.close();
      }
      results.firstView[label] = { medianMs: round(median(times)), maxMs: round(Math.max(...times)) };
      console.log(`first view (${label}): median ${round(median(times))} ms, max ${round(Math.max(...times))} ms over ${LOADS} loads`);
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.locator('#live[data-state="open"]').waitFor();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');

    for (let i = 0; i < FIRING; i++) await scheduler.resumeJob(`a-tick-${String(i).padStart(3, '0')}`);
    // Let the first fires start, then measure a steady window.
    await page.waitForFunction(() => document.querySelector('tr[data-id="a-tick-000"] .last-run')?.dataset.scheduledAt !== undefined, null, { timeout: 5000 });
    await page.evaluate(() => {
      const b = { longTasks: [], maxFrameGap: 0, maxTimerDelay: 0, frames: 0, events0: Number(document.getElementById('live').dataset.events) };
      window.benchProbe = b;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) b.longTasks.push(entry.duration);
      }).observe({ type: 'longtask' });
      let lastFrame = performance.now();
      const frame = () => {
        const now = performance.now();
        b.maxFrameGap = Math.max(b.maxFrameGap, now - lastFrame);
        lastFrame = now;
        b.frames++;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
      let expected = performance.now() + 10;
      const beat = () => {
        const now = performance.now();
        b.maxTimerDelay = Math.max(b.maxTimerDelay, now - expected);
        expected = now + 10;
        setTimeout(beat, 10);
      };
      setTimeout(beat, 10);
    });
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const before = await metrics();
    const serverEvents0 = countEvents.count;
    const lags = [];
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const shown = await page.evaluate(() => document.querySelector('tr[data-id="a-tick-000"] .last-run')?.dataset.scheduledAt);
      const actual = (await scheduler.getJob('a-tick-000'))?.lastRun?.scheduledAt;
      if (shown !== undefined && actual !== undefined) lags.push(actual.getTime() - Date.parse(shown));
    }
    const after = await metrics();
    const probe = await page.evaluate(() => ({ ...window.benchProbe, events1: Number(document.getElementById('live').dataset.events) }));
    const busy = (key) => (after[key] - before[key]) / SECONDS;
    results.underLoad = {
      seconds: SECONDS,
      serverEventsPerSecond: round((countEvents.count - serverEvents0) / SECONDS),
      pageEventsPerSecond: round((probe.events1 - probe.events0) / SECONDS),
      longTasks: probe.longTasks.length,
      longestTaskMs: round(Math.max(0, ...probe.longTasks)),
      maxFrameGapMs: round(probe.maxFrameGap),
      framesPerSecond: round(probe.frames / SECONDS),
      maxTimerDelayMs: round(probe.maxTimerDelay),
      mainThreadBusy: `${round(100 * busy('TaskDuration'))} %`,
      scriptPerSecondMs: round(1000 * busy('ScriptDuration')),
      layoutPerSecondMs: round(1000 * (busy('LayoutDuration') + busy('RecalcStyleDuration'))),
      rowLagMs: { median: round(median(lags)), max: round(Math.max(...lags)), samples: lags.length },
    };
    console.log('under load:', results.underLoad);
    await context.close();
  } finally {
    await browser.close();
    await app.close();
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/dashboard.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
