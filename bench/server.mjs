// Server benchmark: CPU per fire of the standalone server (`node dist/cli.js serve`: Fastify HTTP API,
// event stream, metrics, SQLite store) against the library (a SchedulerService on the same store kind
// and logger level), for N interval jobs every 1 s. Target: the server without an event-stream client
// costs at most 1.3x the library's CPU per fire.
//
//   npm run bench:server        (builds first)
//   node bench/server.mjs [--n=10000,100000] [--window-s=10] [--warmup-s=5] [--reps=3]
//        [--cases=library,server,server+client] [--task=noop|log] [--add=http|config]
//        [--phases=spread|aligned] [--log-level=warn] [--store=sqlite|memory] [--search-steps=3]
//        [--timeout-s=S] [--cpu-prof]
//
// Cases, each in fresh processes, repetitions interleaved (rep 1 of every case, then rep 2, ...):
//   library         bench/server/library.mjs: SchedulerService from dist/index.js, SqliteJobStore in a
//                   temp dir, pino at --log-level written synchronously (as the CLI does), built-in tasks;
//   server          node dist/cli.js serve on 127.0.0.1, a free port, a temp SQLite file, an admin key,
//                   TICKWORK_CONFIG=bench/server/tickwork.config.mjs (the task `bench-noop`);
//   server+client   the same, with one client reading GET /api/v1/events for the warm-up and the window.
// Jobs (bench/server/jobs.mjs): `bench-<i>`, interval 1 s, an explicit startDate so every case fires on
// the same grid (`spread`: evenly over the second; `aligned`: all at once); added over HTTP (16 requests
// in flight) or as config jobs (--add=config), in-process addJob for the library.
// Measure: --warmup-s after the last job is in, then a --window-s window: the child's user + system CPU
// from /proc/<pid>/stat (all threads, 10 ms ticks), its RSS at the end (and peak) from /proc/<pid>/status.
// Fires and lateness come from the run history the child wrote (bench/server/history.mjs): runs that
// started in the window (CPU per fire = CPU / those), and runs whose ideal time is in the window against
// what the grid owed (missing) with the scheduler's lateness_ms (p50/p99).
// --store=memory: the server gets TICKWORK_STORE=memory and the library the default in-memory store (no
// SQLite writer, so 100 000 fires/s can show the server's own overhead). The fires are then counted the
// same way from the memory store's per-job run history (100 runs kept per job), read after the window and
// before the child is stopped, the scheduler paused first: in-process by the library child, over
// POST /api/v1/scheduler/pause and GET /api/v1/jobs/<id>/runs for the server
// (bench/server/memory-history.mjs); nothing is added to what the process does per fire (no event
// listener). A case fails rather than undercount if a job's kept history no longer reaches back before
// the window.
// A case keeps up when at most 0.5 % of the owed fires are missing and p99 < 1 s. When the largest N
// does not keep up (library or server), --search-steps bisections (1 repetition each) look for the
// largest N that does.
// Results: bench/results/server-<timestamp>.json (raw) and .md (the table, also printed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { CASES, MAX_MISSING_SHARE, MAX_P99_MS, liveDirs, runCase } from './server/cases.mjs';
import { PHASES, TASKS } from './server/jobs.mjs';
import { killAll } from './server/processes.mjs';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const USAGE =
  'usage: node bench/server.mjs [--n=10000,100000] [--window-s=10] [--warmup-s=5] [--reps=3] [--cases=library,server,server+client] [--task=noop|log] [--add=http|config] [--phases=spread|aligned] [--log-level=warn] [--store=sqlite|memory] [--search-steps=3] [--timeout-s=S] [--cpu-prof]';

function parseArgs(argv) {
  const o = {
    n: [10_000, 100_000],
    windowS: 10,
    warmupS: 5,
    reps: 3,
    cases: CASES,
    task: 'noop',
    add: 'http',
    phases: 'spread',
    logLevel: 'warn',
    store: 'sqlite',
    searchSteps: 3,
    timeoutS: null,
    cpuProf: false,
  };
  const number = (text) => {
    const x = Number(text);
    if (!(x >= 0) || !Number.isFinite(x)) throw new Error(`not a number: ${text}; ${USAGE}`);
    return x;
  };
  for (const a of argv) {
    const [name, value] = a.split('=', 2);
    if (value === undefined && a !== '--cpu-prof') throw new Error(`unknown argument ${a}; ${USAGE}`);
    if (name === '--n') o.n = value.split(',').map(number);
    else if (name === '--window-s') o.windowS = number(value);
    else if (name === '--warmup-s') o.warmupS = number(value);
    else if (name === '--reps') o.reps = Math.max(1, Math.round(number(value)));
    else if (name === '--cases') o.cases = value.split(',');
    else if (name === '--task') o.task = value;
    else if (name === '--add') o.add = value;
    else if (name === '--phases') o.phases = value;
    else if (name === '--log-level') o.logLevel = value;
    else if (name === '--store') o.store = value;
    else if (name === '--search-steps') o.searchSteps = Math.round(number(value));
    else if (name === '--timeout-s') o.timeoutS = number(value);
    else if (a === '--cpu-prof') o.cpuProf = true;
    else throw new Error(`unknown argument ${a}; ${USAGE}`);
  }
  const bad = [
    ...o.cases.filter((c) => !CASES.includes(c)).map((c) => `case ${c} (known: ${CASES.join(', ')})`),
    ...(o.task in TASKS ? [] : [`task ${o.task}`]),
    ...(['http', 'config'].includes(o.add) ? [] : [`add ${o.add}`]),
    ...(PHASES.includes(o.phases) ? [] : [`phases ${o.phases}`]),
    ...(['debug', 'info', 'warn', 'error'].includes(o.logLevel) ? [] : [`log level ${o.logLevel}`]),
    ...(['sqlite', 'memory'].includes(o.store) ? [] : [`store ${o.store} (sqlite or memory)`]),
    ...(o.n.every((n) => Number.isInteger(n) && n > 0) ? [] : ['--n: positive integers']),
    ...(o.windowS > 0 ? [] : ['--window-s must be > 0']),
  ];
  if (bad.length > 0) throw new Error(`bad options: ${bad.join('; ')}; ${USAGE}`);
  return o;
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Medians over the repetitions that did not fail. */
function aggregate(runs) {
  const ok = runs.filter((r) => !r.failed);
  if (ok.length === 0) return { failed: runs.map((r) => r.failed).join('; '), reps: 0 };
  const m = (key) => median(ok.map((r) => r[key]));
  const clients = ok.map((r) => r.client).filter(Boolean);
  return {
    reps: ok.length,
    failedReps: runs.length - ok.length,
    keptUp: ok.filter((r) => r.keepsUp).length,
    cpuPerFireUs: m('cpuPerFireUs'),
    firesPerSecond: m('firesPerSecond'),
    cpuCores: m('cpuCores'),
    missing: m('missing'),
    owed: m('owed'),
    latenessP50Ms: m('latenessP50Ms'),
    latenessP99Ms: m('latenessP99Ms'),
    rssMb: m('rssMb'),
    peakRssMb: m('peakRssMb'),
    setupSeconds: m('setupSeconds'),
    ...(clients.length === 0
      ? {}
      : {
          client: {
            framesPerFire: median(clients.map((c) => c.framesPerFire)),
            mbPerSecond: median(clients.map((c) => c.mbPerSecond)),
            drops: clients.reduce((s, c) => s + c.drops, 0),
          },
        }),
  };
}

/** Library and server (without client) kept up in every repetition. */
function keptUp(summary) {
  return ['library', 'server'].every((kind) => summary[kind] === undefined || (summary[kind].reps > 0 && summary[kind].keptUp === summary[kind].reps));
}

function caseTimeoutS(n, o) {
  // Start-up and adding jobs (HTTP adds run at a few thousand per second on a busy machine), then the run;
  // with the memory store, reading every job's runs back (one request per job for the server).
  return o.timeoutS ?? Math.ceil(60 + n / 1000 + (o.store === 'memory' ? n / 1000 : 0) + o.warmupS + o.windowS + 30);
}

async function measure(n, reps, o, report, label, log) {
  const plan = { n, task: o.task, phases: o.phases, add: o.add, baseMs: Math.floor(Date.now() / 1000) * 1000 - 1000 };
  const runs = Object.fromEntries(o.cases.map((kind) => [kind, []]));
  for (let rep = 1; rep <= reps; rep++) {
    for (const kind of o.cases) {
      const profDir = o.cpuProf ? `${RESULTS_DIR}server-${report.stamp}-prof` : null;
      const nodeArgs = profDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${kind}-${n}-rep${rep}.cpuprofile`];
      const t = Date.now();
      const r = await runCase(kind, {
        plan,
        store: o.store,
        warmupS: o.warmupS,
        windowS: o.windowS,
        timeoutS: caseTimeoutS(n, o),
        logLevel: o.logLevel,
        nodeArgs,
      });
      r.rep = rep;
      r.label = label;
      report.runs.push(r);
      const what = r.failed
        ? `FAILED: ${r.failed}`
        : `${r.cpuPerFireUs?.toFixed(2)} µs/fire, ${Math.round(r.firesPerSecond)} fires/s, missing ${r.missing}, p99 ${r.latenessP99Ms} ms${r.keepsUp ? '' : ', DOES NOT KEEP UP'}`;
      log(`  N=${n} ${kind} rep ${rep}: ${what} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
      runs[kind].push(r);
    }
  }
  const summary = Object.fromEntries(Object.entries(runs).map(([kind, rs]) => [kind, aggregate(rs)]));
  report.summary.push({ n, label, cases: summary });
  return summary;
}

/** Bisects between the largest N that kept up and the smallest that did not, in steps of 1 000 jobs. */
async function search(o, report, log) {
  const rows = report.summary.filter((s) => s.label === 'main');
  const failing = rows.filter((s) => !keptUp(s.cases)).map((s) => s.n);
  if (failing.length === 0 || o.searchSteps <= 0) return;
  let hi = Math.min(...failing);
  let lo = Math.max(0, ...rows.filter((s) => s.n < hi && keptUp(s.cases)).map((s) => s.n));
  for (let step = 0; step < o.searchSteps; step++) {
    const mid = Math.round((lo + hi) / 2 / 1000) * 1000;
    if (mid <= lo || mid >= hi) break;
    log(`search: N=${mid} (kept up at ${lo || 'none measured'}, not at ${hi})`);
    if (keptUp(await measure(mid, 1, o, report, 'search', log))) lo = mid;
    else hi = mid;
  }
  report.largestKeptUp = { n: lo, notAt: hi, note: 'library and server (no client) kept up; search steps are 1 repetition each' };
}

const fmt = (x, digits = 0) =>
  x === null || x === undefined ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace(/,/g, ' ');

function markdown(report) {
  const o = report.options;
  const lines = [
    `## Server vs library: CPU per fire (${report.startedAt}, commit ${report.commit})`,
    '',
    `${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, load average at start ${report.machine.loadAverage}. ` +
      `${o.store === 'memory' ? 'Memory store' : 'SQLite store (temp file)'}, logger at \`${o.logLevel}\`, task \`${o.task}\`, jobs added ${o.add === 'http' ? 'over HTTP (library: addJob)' : 'as config jobs (library: addJob before start)'}, ` +
      `phases ${o.phases}; ${o.warmupS} s warm-up, ${o.windowS} s window, median of ${o.reps} repetition(s). ` +
      "CPU: the process's user + system from /proc; fires: runs started in the window, from its run history" +
      (o.store === 'memory' ? " (the memory store's, 100 runs per job, read after the window)." : '.'),
    '',
    '| N | case | CPU µs per fire | ratio to library | fires/s | missing (of owed) | lateness p50 / p99 ms | RSS MB (peak) | CPU cores | notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of report.summary) {
    const lib = row.cases.library?.cpuPerFireUs ?? null;
    for (const [kind, s] of Object.entries(row.cases)) {
      const n = `${fmt(row.n)}${row.label === 'search' ? ' (search)' : ''}`;
      if (s.reps === 0) {
        lines.push(`| ${n} | ${kind} | failed | | | | | | | ${s.failed.replace(/\|/g, '/').slice(0, 300)} |`);
        continue;
      }
      const ratio = lib !== null && kind !== 'library' && s.cpuPerFireUs !== null ? `${(s.cpuPerFireUs / lib).toFixed(2)}×` : kind === 'library' ? '1' : '-';
      const notes = [
        s.keptUp === s.reps ? 'keeps up' : `**does not keep up** (${s.reps - s.keptUp} of ${s.reps})`,
        ...(s.failedReps > 0 ? [`${s.failedReps} rep(s) failed`] : []),
        ...(s.client ? [`client: ${fmt(s.client.framesPerFire, 2)} frames/fire, ${fmt(s.client.mbPerSecond, 1)} MB/s, ${s.client.drops} drop(s)`] : []),
      ];
      lines.push(
        `| ${n} | ${kind} | ${fmt(s.cpuPerFireUs, 2)} | ${ratio} | ${fmt(s.firesPerSecond)} | ${fmt(s.missing)} (${fmt(s.owed)}) | ${fmt(s.latenessP50Ms)} / ${fmt(s.latenessP99Ms)} | ${fmt(s.rssMb)} (${fmt(s.peakRssMb)}) | ${fmt(s.cpuCores, 2)} | ${notes.join('; ')} |`,
      );
    }
  }
  if (report.largestKeptUp) {
    const { n, notAt } = report.largestKeptUp;
    lines.push('', `Largest N measured that keeps up (library and server without client): ${n === 0 ? 'none' : fmt(n)}; not at ${fmt(notAt)}.`);
  }
  lines.push(
    '',
    `Keeps up: at most ${MAX_MISSING_SHARE * 100} % of the fires owed in the window missing and lateness p99 < ${MAX_P99_MS} ms. Target: server ≤ 1.3× the library's CPU per fire.`,
  );
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (s) => process.stderr.write(`${s}\n`);
  const started = new Date();
  const report = {
    startedAt: started.toISOString(),
    stamp: started.toISOString().replace(/[:.]/g, '-'),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '?',
      loadAverage: os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    },
    options: o,
    summary: [],
    runs: [],
  };
  for (const n of o.n) await measure(n, o.reps, o, report, 'main', log);
  await search(o, report, log);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const md = markdown(report);
  writeFileSync(`${RESULTS_DIR}server-${report.stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}server-${report.stamp}.md`, `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`results: bench/results/server-${report.stamp}.json (.md); ${Math.round((Date.now() - started.getTime()) / 1000)} s`);
}

// Children never outlive the harness: killed on SIGINT and at exit (each also stops itself once its
// parent is gone, see bench/server/guard.mjs).
process.on('exit', killAll);
process.on('SIGINT', () => {
  killAll();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  process.exit(130);
});

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
