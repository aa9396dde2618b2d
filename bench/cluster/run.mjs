// The cluster benchmark: 3 worker processes per system on one machine, sharing one store.
//
//   node bench/cluster/run.mjs [--quick] [--systems=bullmq,bullmq-lock5s,pgboss,tickwork] [--ramp=1000,2000,..]
//                              [--reps=N] [--kill-observe-s=S] [--faults=kill,stop] [--stop-s=S] [--db-restart]
//                              [--no-kill] [--no-ramp] [--no-create] [--create-jobs=N] [--create-s=S] [--create-batch=N] [--create-concurrency=N]
//
// Per system: a ramp of steady runs (jobs every 1 s; 5 s warm-up, 10 s window (--window-s), 3 s grace), stopping at
// the first job count it cannot keep up with (p99 lateness > 1 s or > 0.5 % of the fires missing); a
// creation run (--create-jobs steady jobs firing, and over the window new jobs created 24 requests at a
// time: jobs created per second; --create-batch=N: N jobs per request, Tickwork's POST /api/v1/jobs/batch,
// a system without a batch route fails that run); then the fault runs (1 000 jobs; 10 s in, worker 1 SIGKILLed, or SIGSTOPped for
// --stop-s seconds, or, only with --db-restart, the local PostgreSQL restarted in immediate mode;
// observed for a while). Each run starts from clean state (fresh queue / schema). Results:
// bench/results/cluster-<timestamp>.json and .md; the tables are printed on stdout, progress on stderr.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { keptUp, runScenario } from './harness.mjs';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

const SYSTEMS = {
  bullmq: async () => (await import('./bullmq.mjs')).default,
  'bullmq-lock5s': async () => (await import('./bullmq.mjs')).variant({ name: 'bullmq-lock5s', lockMs: 5000 }),
  pgboss: async () => (await import('./pgboss.mjs')).default,
  tickwork: async () => (await import('./tickwork.mjs')).default,
};
/** Variants measured only in the kill scenario (their steady behaviour is their base system's). */
const KILL_ONLY = new Set(['bullmq-lock5s']);

function parseArgs(argv) {
  const o = {
    quick: false,
    systems: null,
    ramp: null,
    killObserveS: null,
    faults: ['kill', 'stop'],
    stopS: 10,
    doRamp: true,
    reps: 1,
    create: true,
    createJobs: 2000,
    createS: null,
    windowS: null,
    createBatch: 1,
    createConcurrency: 24,
  };
  for (const a of argv) {
    let m;
    if (a === '--quick') o.quick = true;
    else if (a === '--no-kill' || a === '--no-faults') o.faults = [];
    else if (a === '--db-restart') o.faults = [...new Set([...o.faults, 'restart'])];
    else if (a === '--no-create') o.create = false;
    else if ((m = /^--faults=([a-z,]*)$/.exec(a))) o.faults = m[1].split(',').filter(Boolean);
    else if ((m = /^--stop-s=(\d+)$/.exec(a))) o.stopS = Number(m[1]);
    else if ((m = /^--create-jobs=(\d+)$/.exec(a))) o.createJobs = Number(m[1]);
    else if ((m = /^--create-s=(\d+)$/.exec(a))) o.createS = Number(m[1]);
    else if ((m = /^--window-s=(\d+)$/.exec(a))) o.windowS = Number(m[1]);
    else if ((m = /^--create-batch=(\d+)$/.exec(a))) o.createBatch = Math.max(1, Number(m[1]));
    else if ((m = /^--create-concurrency=(\d+)$/.exec(a))) o.createConcurrency = Math.max(1, Number(m[1]));
    else if (a === '--no-ramp') o.doRamp = false;
    else if ((m = /^--systems=(.+)$/.exec(a))) o.systems = m[1].split(',');
    else if ((m = /^--ramp=([\d,]+)$/.exec(a))) o.ramp = m[1].split(',').map(Number);
    else if ((m = /^--kill-observe-s=(\d+)$/.exec(a))) o.killObserveS = Number(m[1]);
    else if ((m = /^--reps=(\d+)$/.exec(a))) o.reps = Math.max(1, Number(m[1]));
    else
      throw new Error(
        `unknown argument ${a}; usage: node bench/cluster/run.mjs [--quick] [--systems=${Object.keys(SYSTEMS).join(',')}] [--ramp=1000,2000] [--reps=N] [--kill-observe-s=S] [--faults=kill,stop] [--stop-s=S] [--db-restart] [--no-kill] [--no-ramp] [--no-create] [--create-jobs=N] [--create-s=S] [--window-s=S] [--create-batch=N] [--create-concurrency=N]`,
      );
  }
  o.systems ??= o.quick ? ['bullmq', 'pgboss', 'tickwork'] : Object.keys(SYSTEMS);
  for (const s of o.systems) if (!(s in SYSTEMS)) throw new Error(`unknown system ${s}; known: ${Object.keys(SYSTEMS).join(', ')}`);
  o.ramp ??= o.quick ? [1000] : [1000, 2000, 3000, 5000, 8000];
  o.createS ??= o.quick ? 8 : 10;
  for (const f of o.faults)
    if (!['kill', 'stop', 'restart'].includes(f)) throw new Error(`unknown fault ${f}; known: kill, stop, restart (restart: --db-restart)`);
  // The database restart disturbs everything else using that PostgreSQL: never by default.
  if (o.faults.includes('restart') && !process.argv.includes('--db-restart'))
    throw new Error('the restart fault needs --db-restart (it restarts the local PostgreSQL)');
  return o;
}

/** BullMQ's default locks need lockDuration + up to 2 × stalledInterval (30–90 s) to re-run a killed worker's jobs. */
function observeS(name, o) {
  if (o.killObserveS) return o.killObserveS;
  if (o.quick) return 20;
  return name === 'bullmq' ? 90 : 30;
}

const fmt = (v, d = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const med = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** The median, field by field, of the repetitions of one steady step (one repetition: itself). */
function medianRun(runs) {
  const ok = runs.filter((r) => !r.failed);
  if (ok.length === 0) return runs[0];
  if (ok.length === 1) return { ...ok[0], reps: runs.length };
  const w = (f) => med(ok.map(f));
  return {
    ...ok[0],
    reps: runs.length,
    repetitions: runs,
    cpu: { workerCores: w((r) => r.cpu.workerCores), storeCores: w((r) => r.cpu.storeCores) },
    window: {
      ...ok[0].window,
      expected: w((r) => r.window.expected),
      got: w((r) => r.window.got),
      missing: w((r) => r.window.missing),
      offGrid: w((r) => r.window.offGrid),
      duplicates: w((r) => r.window.duplicates),
      firesPerSec: w((r) => r.window.firesPerSec),
      latenessMs: {
        p50: w((r) => r.window.latenessMs.p50),
        p99: w((r) => r.window.latenessMs.p99),
        max: w((r) => r.window.latenessMs.max),
        min: w((r) => r.window.latenessMs.min),
      },
    },
  };
}

function steadyTable(rows) {
  const lines = [
    '| system | jobs | fires/s | missing (of owed) | duplicates | lateness p50 ms | p99 ms | max ms | workers CPU (cores) | store CPU (cores) | kept up |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.failed) {
      lines.push(`| ${r.system} | ${fmt(r.jobs)} | failed: ${r.failed.replace(/\|/g, '/').slice(0, 400)} | | | | | | | | no |`);
      continue;
    }
    const w = r.window;
    lines.push(
      `| ${r.system} | ${fmt(r.jobs)} | ${fmt(w.firesPerSec)} | ${fmt(w.missing)} (${fmt(w.expected)})${w.offGrid ? `, ${fmt(w.offGrid)} off-grid` : ''} | ${fmt(w.duplicates)} | ${fmt(w.latenessMs.p50)} | ${fmt(w.latenessMs.p99)} | ${fmt(w.latenessMs.max)} | ${fmt(r.cpu.workerCores, 2)} | ${fmt(r.cpu.storeCores, 2)} | ${keptUp(r) ? 'yes' : '**no**'} |`,
    );
  }
  return lines;
}

/**
 * The store's cost per fire of the steady runs that report it (Tickwork: PostgreSQL CPU, WAL, rows
 * written per table; a non-HOT insert or update writes an entry in every index whose predicate holds).
 */
function dbTable(rows) {
  const withDb = rows.filter((r) => !r.failed && r.db);
  if (withDb.length === 0) return [];
  const lines = [
    '',
    'Store writes per fire (PostgreSQL CPU = store cores ÷ fires/s; WAL from pg_current_wal_lsn; rows from pg_stat_user_tables: inserted / updated (of which HOT) / deleted):',
    '',
    '| system | jobs | PostgreSQL CPU µs/fire | WAL bytes/fire | rows per fire by table |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of withDb) {
    const tables = Object.entries(r.db.tables)
      .filter(([, t]) => (t.ins ?? 0) + (t.upd ?? 0) + (t.del ?? 0) > 0.001)
      .map(([name, t]) => `${name} ${fmt(t.ins, 2)} / ${fmt(t.upd, 2)} (${fmt(t.hot, 2)}) / ${fmt(t.del, 2)}`)
      .join('; ');
    lines.push(`| ${r.system} | ${fmt(r.jobs)} | ${fmt((r.cpu.storeCores * 1e6) / r.window.firesPerSec)} | ${fmt(r.db.walBytesPerFire)} | ${tables} |`);
  }
  return lines;
}

function createTable(rows) {
  const lines = [
    '| system | steady jobs | jobs created/s | create latency p50 / p99 ms | failed creates | steady fires/s | lateness p50 / p99 ms | missing (of owed) | duplicates | workers CPU (cores) | store CPU (cores) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.failed || !r.create || r.create.failed) {
      lines.push(
        `| ${r.system} | ${fmt(r.jobs)} | failed: ${String(r.failed ?? r.create?.failed)
          .replace(/\|/g, '/')
          .slice(0, 400)} | | | | | | | | |`,
      );
      continue;
    }
    const c = r.create;
    const w = r.window;
    lines.push(
      `| ${r.system} | ${fmt(r.jobs)} | **${fmt(c.jobsPerSec)}** | ${fmt(c.latencyMs.p50)} / ${fmt(c.latencyMs.p99)} | ${fmt(c.failedCount)} | ${fmt(w.firesPerSec)} | ${fmt(w.latenessMs.p50)} / ${fmt(w.latenessMs.p99)} | ${fmt(w.missing)} (${fmt(w.expected)}) | ${fmt(w.duplicates)} | ${fmt(r.cpu.workerCores, 2)} | ${fmt(r.cpu.storeCores, 2)} |`,
    );
  }
  return lines;
}

const FAULT_NAMES = { kill: 'SIGKILL of worker 1', stop: 'SIGSTOP of worker 1', restart: 'PostgreSQL restart (immediate)' };

function killTable(rows) {
  const lines = [
    '| system | fault | jobs | observed after the fault | jobs on killed worker (last 2 s) | takeover p50 ms | takeover max ms | taken over > 1 s late | never fired again | any job: max delay ms | any job: delayed > 1 s / never again | duplicates | lost (of owed) | silent at end | fires > 1 s late | lateness p99 / max ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.failed) {
      lines.push(
        `| ${r.system} | ${FAULT_NAMES[r.kind] ?? r.kind} | ${fmt(r.jobs)} | failed: ${r.failed.replace(/\|/g, '/').slice(0, 400)} | | | | | | | | | | | | |`,
      );
      continue;
    }
    const t = r.takeover;
    const w = r.window;
    lines.push(
      `| ${r.system} | ${FAULT_NAMES[r.kind] ?? r.kind} | ${fmt(r.jobs)} | ${fmt(r.observeS)} s | ${fmt(t.jobsOnKilled)} | ${fmt(t.takeoverMs.p50)} | ${fmt(t.takeoverMs.max)} | ${fmt(t.takenOverOver1s)} | ${fmt(t.never)} | ${fmt(t.anyJob.maxMs)} | ${fmt(t.anyJob.over1s)} / ${fmt(t.anyJob.never)} | ${fmt(w.duplicates)} | ${fmt(w.missing)} (${fmt(w.expected)}) | ${fmt(t.silentAtEnd)} | ${fmt(w.lateOver1s)} | ${fmt(w.latenessMs.p99)} / ${fmt(w.latenessMs.max)} |`,
    );
  }
  return lines;
}

function markdown(report) {
  const m = report.machine;
  const out = [
    `### Cluster benchmark (${report.startedAt}${report.options.quick ? ', --quick' : ''})`,
    '',
    `Node ${m.node}, ${m.cpus} × ${m.cpuModel}, load average ${m.loadavg.map((x) => x.toFixed(2)).join(' ')} at start. ` +
      'Everything on this one machine: 3 worker processes per system, the store (Redis or PostgreSQL) and the harness. ' +
      'Lateness = actual start − ideal scheduled time. Duplicates = runs of a (job, ideal time) beyond the first; missing = fires owed in the window (jobs × seconds) that never started. ' +
      'CPU = user + system over the window (workers: sum over the processes; store: the redis-server or all postgres processes).',
    '',
    '#### Systems',
    '',
    ...report.systems.map((s) => `- **${s.name}**: ${s.description}`),
    '',
    // A section only for what ran (--no-ramp, --no-create, --no-kill leave theirs out).
    ...(report.steady.length === 0
      ? []
      : [
          `#### Steady load: jobs every 1 s (5 s warm-up, ${report.options.windowS ?? (report.options.quick ? 8 : 10)} s window${report.options.reps > 1 ? `; medians of ${report.options.reps} repetitions` : '; one repetition each'})`,
          '',
          ...steadyTable(report.steady),
          ...dbTable(report.steady),
          '',
          ...Object.entries(report.sustained).map(
            ([s, v]) =>
              `- ${s}: highest job count kept up with: ${v.jobs ? `${fmt(v.jobs)} (${fmt(v.firesPerSec)} fires/s)` : 'none'}${v.fellBehindAt ? `; fell behind at ${fmt(v.fellBehindAt)}` : v.jobs ? ' (the largest tried)' : ''}`,
          ),
          '',
        ]),
    ...(report.create.length === 0
      ? []
      : [
          `#### Job creation while the cluster fires (${fmt(report.options.createJobs)} jobs every 1 s; over a ${report.options.createS} s window new jobs are created ${report.options.createConcurrency} requests at a time${report.options.createBatch > 1 ? `, ${report.options.createBatch} jobs per request (POST /api/v1/jobs/batch; jobs/s counts jobs, latency is per request)` : ''}${report.options.reps > 1 ? `; medians of ${report.options.reps} repetitions` : '; one repetition each'})`,
          '',
          (report.options.createBatch > 1
            ? 'Tickwork: `POST /api/v1/jobs/batch` (a 24 h interval) round robin over the 3 nodes, 200 only after the commit; '
            : 'Tickwork: `POST /api/v1/jobs` (a 24 h interval) round robin over the 3 nodes, 201 only after the commit; ') +
            'BullMQ: `upsertJobScheduler` (every 24 h, starting in 24 h) from the harness; ' +
            'pg-boss: `send` with `startAfter` in 24 h from the harness (pool of 4). The created jobs do not fire during the run; the fire figures are those of the steady jobs.',
          '',
          ...createTable(report.create),
          '',
        ]),
    ...(report.kill.length === 0
      ? []
      : [
          `#### Faults (1 000 jobs every 1 s; 10 s in: worker 1 SIGKILLed, or SIGSTOPped for ${report.options.stopS} s and then continued, or the PostgreSQL server restarted in immediate mode)`,
          '',
          "Takeover: for each job that fired on the killed (or stopped) worker in its last 2 s, the time from that fire to the job's next fire on another worker, minus the 1 s period. " +
            'Any job: for every job, from its last fire before the kill to its first fire after it, minus 1 s (this also sees a job whose next fire the killed worker had taken but not started). ' +
            'Duplicates, lost and lateness count the fires whose ideal time lies from 5 s before the kill to the end of the observation. Silent at end: jobs with no fire at all in the last 5 s observed. ' +
            'Fires > 1 s late: fires in that window whose first run started over 1 s after their ideal time (e.g. a job the killed worker had taken but not started, re-run once its lock expired). ' +
            'A stopped worker comes back after the pause: duplicates show a fire it ran although another worker took it over. A database restart hits no one worker: only the "any job" columns apply.',
          '',
          ...killTable(report.kill),
          '',
        ]),
  ];
  const notes = [...report.steady, ...report.kill].filter((r) => r.notes);
  if (notes.length) {
    const r = notes[0];
    out.push(`Ideal-time check (${r.system}, N=${r.jobs}): ${JSON.stringify(r.notes)}`, '');
  }
  return out.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (s) => process.stderr.write(`${s}\n`);
  const report = {
    startedAt: new Date(started).toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', loadavg: os.loadavg() },
    options: o,
    systems: [],
    steady: [],
    sustained: {},
    create: [],
    kill: [],
  };
  for (const name of o.systems) {
    const system = await SYSTEMS[name]();
    report.systems.push({ name: system.name, description: system.description });
    if (o.doRamp && !KILL_ONLY.has(name)) {
      const sustained = { jobs: null, firesPerSec: null, fellBehindAt: null };
      for (const jobs of o.ramp) {
        const t = Date.now();
        const reps = [];
        for (let k = 0; k < o.reps; k++) {
          const one = await runScenario(system, { jobs, warmupS: 5, windowS: o.windowS ?? (o.quick ? 8 : 10), graceS: 3, log });
          reps.push(one);
          if (one.failed) break;
        }
        const r = medianRun(reps);
        report.steady.push(r);
        log(
          `  ${system.name} N=${jobs}: ${r.failed ? `FAILED: ${r.failed}` : `p99 ${r.window.latenessMs.p99} ms (by 10 s: ${r.window.p99BySliceMs?.join(', ')}), missing ${r.window.missing}/${r.window.expected}, dups ${r.window.duplicates}`} (${((Date.now() - t) / 1000).toFixed(0)} s)`,
        );
        if (r.failed && /not built|no PostgreSQL store|needs a Redis client/.test(r.failed)) break;
        if (keptUp(r)) {
          sustained.jobs = jobs;
          sustained.firesPerSec = r.window.firesPerSec;
        } else {
          sustained.fellBehindAt = jobs;
          break;
        }
      }
      report.sustained[system.name] = sustained;
    }
    if (o.create && !KILL_ONLY.has(name)) {
      const t = Date.now();
      const reps = [];
      for (let k = 0; k < o.reps; k++) {
        const one = await runScenario(system, {
          jobs: o.createJobs,
          warmupS: 5,
          windowS: o.createS,
          graceS: 3,
          create: { concurrency: o.createConcurrency, batch: o.createBatch },
          log,
        });
        reps.push(one);
        if (one.failed) break;
      }
      const r = medianRun(reps);
      const ok = reps.filter((x) => !x.failed && x.create && !x.create.failed);
      if (ok.length > 1) r.create = { ...ok[0].create, jobsPerSec: med(ok.map((x) => x.create.jobsPerSec)), perRep: ok.map((x) => x.create.jobsPerSec) };
      report.create.push(r);
      log(
        `  ${system.name} create: ${r.failed ? `FAILED: ${r.failed}` : `${Math.round(r.create?.jobsPerSec ?? 0)} jobs/s created (${r.create?.failedCount ?? '?'} failed), fires p99 ${r.window.latenessMs.p99} ms`} (${((Date.now() - t) / 1000).toFixed(0)} s)`,
      );
    }
    for (const fault of o.faults) {
      if (fault === 'restart' && !system.restartable) continue;
      const obs = observeS(name, o);
      const t = Date.now();
      const r = await runScenario(system, {
        jobs: 1000,
        warmupS: 5,
        graceS: 3,
        kill: { worker: 1, afterS: 5, observeS: obs, beforeS: 5, fault, stopS: o.stopS },
        log,
      });
      r.observeS = obs;
      report.kill.push(r);
      log(
        `  ${system.name} ${fault}: ${r.failed ? `FAILED: ${r.failed}` : `takeover max ${r.takeover.takeoverMs.max} ms, any job max ${r.takeover.anyJob.maxMs} ms, never ${r.takeover.never}, dups ${r.window.duplicates}, lost ${r.window.missing}`} (${((Date.now() - t) / 1000).toFixed(0)} s)`,
      );
    }
  }
  report.totalSeconds = Math.round((Date.now() - started) / 1000);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const md = markdown(report);
  writeFileSync(`${RESULTS_DIR}cluster-${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}cluster-${stamp}.md`, `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`results: bench/results/cluster-${stamp}.json (.md); ${report.totalSeconds} s`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
