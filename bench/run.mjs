// The benchmark: Tickwork side by side with the floor (bench/floor.mjs) and peer schedulers.
//
//   node bench/run.mjs [--quick] [--only=workload,..] [--schedulers=a,b] [--reps=N] [--budget-min=M]
//
// Workloads: interval-1s, idle-1m, idle-1m-together (the idle-1m registration with the promises of
// every add awaited together: floor and Tickwork), churn, distinct-cron, cron-next. In the idle-1m
// workloads `floor-async` (the floor, each add answering a resolved promise) shows what an async add
// API costs by itself.
//
// Every (scheduler, workload, repetition) runs in a child process of its own (bench/worker.mjs,
// node --expose-gc), with a hard timeout. Figures are medians of the repetitions that succeeded;
// a case whose first repetition fails is not repeated. Results: bench/results/<timestamp>.json
// and .md; the Markdown tables are also printed.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { URL, fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const ALL = ['floor', 'tickwork', 'toad-scheduler', 'croner', 'node-schedule', 'node-cron'];
/** Child heap limit; the worker stops registering (and reports) at a lower budget first. */
const CHILD_MAX_OLD_SPACE_MB = 6144;

/**
 * Cases per workload: each entry is a variant (workload id as the worker takes it, N, options),
 * run for each of `schedulers`. timeoutS is the child's hard limit.
 */
function plan(quick) {
  return {
    'interval-1s': {
      schedulers: ALL,
      cases: (quick ? [10_000] : [10_000, 100_000]).map((n) => ({ id: 'interval-1s', n, args: [], timeoutS: 100 })),
    },
    'idle-1m': {
      schedulers: ['floor', 'floor-async', ...ALL.slice(1)],
      cases: ['cron', 'interval'].map((v) => ({ id: `idle-1m:${v}`, n: quick ? 100_000 : 1_000_000, args: [], timeoutS: 150 })),
    },
    // The same registration the way a bulk loader does it: every add called, then their promises awaited
    // together (issue #22). Only Tickwork's adds return promises; the floor is run the same way for its ratio.
    'idle-1m-together': {
      schedulers: ['floor', 'floor-async', 'tickwork'],
      cases: ['cron', 'interval'].map((v) => ({
        id: `idle-1m:${v}`,
        n: quick ? 100_000 : 1_000_000,
        args: ['--together=1'],
        timeoutS: 150,
        label: 'together',
      })),
    },
    // The same jobs through the bulk API (issue #22): addJobs, 1000 specs per call, the calls awaited together.
    'idle-1m-bulk': {
      schedulers: ['tickwork'],
      cases: ['cron', 'interval'].map((v) => ({
        id: `idle-1m:${v}`,
        n: quick ? 100_000 : 1_000_000,
        args: ['--bulk=1000'],
        timeoutS: 150,
        label: 'bulk',
      })),
    },
    churn: {
      schedulers: ALL,
      cases: ['cron', 'interval'].map((v) => ({ id: `churn:${v}`, n: 10_000, args: quick ? ['--churn-s=1'] : [], timeoutS: 90 })),
    },
    'distinct-cron': {
      // Croner keeps ~83 KB per pattern: measured on a capped number of jobs and extrapolated.
      schedulers: ['tickwork', 'croner'],
      cases: [{ id: 'distinct-cron', n: quick ? 10_000 : 100_000, args: [], timeoutS: 120, capFor: { croner: quick ? 2_000 : 10_000 } }],
    },
    'cron-next': {
      schedulers: ['tickwork', 'croner'],
      cases: [{ id: 'cron-next', n: 1, args: quick ? ['--duration-s=2'] : [], timeoutS: 60 }],
    },
  };
}

function parseArgs(argv) {
  const o = { quick: false, only: null, schedulers: null, reps: null, budgetMin: 25 };
  for (const a of argv) {
    let m;
    if (a === '--quick') o.quick = true;
    else if ((m = /^--only=(.+)$/.exec(a))) o.only = m[1].split(',');
    else if ((m = /^--schedulers=(.+)$/.exec(a))) o.schedulers = m[1].split(',');
    else if ((m = /^--reps=(\d+)$/.exec(a))) o.reps = Number(m[1]);
    else if ((m = /^--budget-min=(\d+(?:\.\d+)?)$/.exec(a))) o.budgetMin = Number(m[1]);
    else throw new Error(`unknown argument ${a}; usage: node bench/run.mjs [--quick] [--only=workload,..] [--schedulers=a,b] [--reps=N] [--budget-min=M]`);
  }
  o.reps ??= o.quick ? 1 : 3;
  return o;
}

/** Runs one worker; resolves with its result, or { failed } on timeout, crash or no result. */
function runWorker(scheduler, kase, extraArgs) {
  return new Promise((resolve) => {
    const args = [scheduler, kase.id, String(kase.n), ...kase.args, ...extraArgs];
    const child = fork(WORKER, args, {
      execArgv: ['--expose-gc', `--max-old-space-size=${CHILD_MAX_OLD_SPACE_MB}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let result = null;
    let lastProgress = '';
    let stderrTail = '';
    let stdoutBytes = 0;
    let timedOut = false;
    child.stdout.on('data', (b) => {
      stdoutBytes += b.length;
    });
    child.stderr.on('data', (b) => {
      stderrTail = (stderrTail + b.toString()).slice(-4000);
    });
    child.on('message', (msg) => {
      if (msg && msg.type === 'result') result = msg.result;
      else if (msg && msg.type === 'progress') lastProgress = msg.message;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, kase.timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result !== null) {
        // Library log output (Tickwork logs at warn) is worth knowing about, not parsing.
        if (stdoutBytes > 0) result.childStdoutBytes = stdoutBytes;
        resolve(result);
        return;
      }
      let reason;
      if (timedOut) reason = `timeout after ${kase.timeoutS} s${lastProgress ? ` (${lastProgress})` : ''}`;
      else if (/heap out of memory|Allocation failed/i.test(stderrTail)) reason = `out of memory${lastProgress ? ` (${lastProgress})` : ''}`;
      else reason = `worker exited (${signal ?? `code ${code}`}): ${stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
      resolve({ scheduler, workload: kase.id, n: kase.n, failed: reason });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Aggregation

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median of every numeric field (one level of nesting) over the successful runs. */
function aggregate(runs) {
  const ok = runs.filter((r) => !r.failed);
  const failed = runs.filter((r) => r.failed);
  const out = { reps: runs.length, succeeded: ok.length };
  if (failed.length) out.failed = failed[0].failed;
  if (ok.length === 0) {
    // Keep the partial figures of the failure (e.g. bytes/job before the heap budget was hit).
    Object.assign(out, { partial: failed[0] });
    return out;
  }
  const first = ok[0];
  for (const [k, v] of Object.entries(first)) {
    if (typeof v === 'number') out[k] = median(ok.map((r) => r[k]));
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v.map((_, i) => median(ok.map((r) => r[k]?.[i])));
    else if (v && typeof v === 'object' && !Array.isArray(v) && k !== 'mismatchesVsCroner' && k !== 'perExpression') {
      out[k] = {};
      for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number') out[k][k2] = median(ok.map((r) => r[k]?.[k2]));
    } else {
      out[k] = v;
    }
  }
  if (first.perExpression) {
    out.perExpression = {};
    for (const e of Object.keys(first.perExpression)) out.perExpression[e] = median(ok.map((r) => r.perExpression?.[e]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const fmt = (v, digits = 0) =>
  v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (v, base) => (typeof v === 'number' && typeof base === 'number' && base > 0 ? `${(v / base).toFixed(2)}×` : '–');
const check = (ok) => (ok ? 'yes' : '**no**');

function failedRow(name, agg, columns) {
  const p = agg.partial ?? {};
  const extra = p.approxBytesPerJob && !/bytes\/job/.test(agg.failed) ? ` (~${fmt(p.approxBytesPerJob)} B/job before stopping, not gc'd)` : '';
  return `| ${name} | failed: ${agg.failed}${extra} |${' |'.repeat(columns - 2)}`;
}

function tableInterval(rows, n) {
  const floor = rows.floor;
  const lines = [
    `#### interval-1s, N = ${fmt(n)} (jobs every 1 s, 8 s window)`,
    '',
    '| scheduler | fires (owed) | missing | lateness p50 ms | p99 ms | p99 ÷ floor | CPU/fire µs | ÷ floor | after 1st s µs | ÷ floor | registration ms | bytes/job after window | ideal time from |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, a] of Object.entries(rows)) {
    if (a.succeeded === 0) {
      lines.push(failedRow(name, a, 13));
      continue;
    }
    const expected = Array.isArray(a.expected) ? `${fmt(a.expected[0])}–${fmt(a.expected[1])}` : fmt(a.expected);
    const note = a.failed ? ` (${a.reps - a.succeeded}/${a.reps} reps failed: ${a.failed})` : '';
    const ideal = `${a.idealSource ?? ''}${a.emulation ? `; ${a.emulation}` : ''}`;
    lines.push(
      `| ${name} | ${fmt(a.counted)} (${expected}) | ${fmt(a.missing)}${note} | ${fmt(a.latenessMs?.p50, 2)} | ${fmt(a.latenessMs?.p99, 2)} | ${name === 'floor' ? '1.00×' : ratio(a.latenessMs?.p99, floor?.latenessMs?.p99)} | ${fmt(a.cpuPerFireUs, 2)} | ${name === 'floor' ? '1.00×' : ratio(a.cpuPerFireUs, floor?.cpuPerFireUs)} | ${fmt(a.cpuPerFireAfterFirstSecondUs, 2)} | ${name === 'floor' ? '1.00×' : ratio(a.cpuPerFireAfterFirstSecondUs, floor?.cpuPerFireAfterFirstSecondUs)} | ${fmt(a.registrationMs)} | ${fmt(a.bytesPerJobAfterWindow)} | ${ideal} |`,
    );
  }
  return lines;
}

function tableIdle(rows, variant, n, label) {
  const floor = rows.floor;
  const what = variant === 'cron' ? 'daily cron `0 0 * * *` in America/New_York' : '24 h interval';
  const how =
    label === 'together'
      ? 'every add called, then the promises awaited together'
      : label === 'bulk'
        ? 'addJobs, 1000 specs per call, the calls awaited together'
        : 'each add awaited';
  const lines = [
    `#### idle-1m, ${what}, N = ${fmt(n)}, ${how}`,
    '',
    '| scheduler | registration s | ÷ floor | bytes/job | ÷ floor | idle CPU ms / 5 s | Tickwork targets (≤ 2× time, ≤ 4× bytes, CPU ≤ 1.5× floor + 20 ms) | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, a] of Object.entries(rows)) {
    if (a.succeeded === 0) {
      lines.push(failedRow(name, a, 8));
      continue;
    }
    let targets = '';
    if (name === 'tickwork' && floor && floor.succeeded > 0) {
      const t = a.registrationMs <= 2 * floor.registrationMs;
      const b = a.bytesPerJob <= 4 * floor.bytesPerJob;
      const c = a.idleCpuMs <= 1.5 * floor.idleCpuMs + 20;
      targets = `time ${check(t)}, bytes ${check(b)}, CPU ${check(c)}`;
    }
    const async = rows['floor-async'];
    const note = [
      a.emulation,
      a.firesDuringIdle ? `${a.firesDuringIdle} fires during idle` : '',
      name === 'floor-async' ? 'the floor behind an async API: each add answers a resolved promise of its job' : '',
      name === 'tickwork' && async?.succeeded > 0 ? `${ratio(a.registrationMs, async.registrationMs)} floor-async's time` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(
      `| ${name} | ${fmt(a.registrationMs / 1000, 2)} | ${name === 'floor' ? '1.00×' : ratio(a.registrationMs, floor?.registrationMs)} | ${fmt(a.bytesPerJob)} | ${name === 'floor' ? '1.00×' : ratio(a.bytesPerJob, floor?.bytesPerJob)} | ${fmt(a.idleCpuMs, 1)} | ${targets} | ${note} |`,
    );
  }
  return lines;
}

function tableChurn(rows, variant, n) {
  const floor = rows.floor;
  const what = variant === 'cron' ? 'daily cron' : '24 h interval';
  const lines = [
    `#### churn, ${what}, ${fmt(n)} live jobs (one op = remove a random job + add a new one)`,
    '',
    '| scheduler | ops/s | ÷ floor | heap after − before churn (gc’d) | per op | Tickwork target ≥ 400 000 ops/s | note |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, a] of Object.entries(rows)) {
    if (a.succeeded === 0) {
      lines.push(failedRow(name, a, 7));
      continue;
    }
    lines.push(
      `| ${name} | ${fmt(a.opsPerSec)} | ${name === 'floor' ? '1.00×' : ratio(a.opsPerSec, floor?.opsPerSec)} | ${fmt(a.heapDeltaBytes)} B | ${fmt(a.heapDeltaPerOp, 2)} B | ${name === 'tickwork' ? check(a.opsPerSec >= 400_000) : ''} | ${a.emulation ?? ''} |`,
    );
  }
  return lines;
}

function tableDistinct(rows, n) {
  const lines = [
    `#### distinct-cron, ${fmt(n)} jobs with distinct expressions (half America/New_York, half Europe/Berlin)`,
    '',
    '| scheduler | jobs measured | registration s (at N) | bytes/job | Tickwork targets (≤ 1 KB/job, < 5 s) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, a] of Object.entries(rows)) {
    if (a.succeeded === 0) {
      lines.push(failedRow(name, a, 5));
      continue;
    }
    const reg = a.extrapolated ? `${fmt(a.registrationMsAtN / 1000, 2)} (extrapolated from ${fmt(a.measuredN)})` : fmt(a.registrationMs / 1000, 2);
    const targets = name === 'tickwork' ? `bytes ${check(a.bytesPerJob <= 1024)}, time ${check(a.registrationMsAtN < 5000)}` : '';
    lines.push(`| ${name} | ${fmt(a.measuredN)} | ${reg} | ${fmt(a.bytesPerJob)} | ${targets} |`);
  }
  return lines;
}

function tableCronNext(rows) {
  const croner = rows.croner;
  const exprs = Object.keys(Object.values(rows).find((a) => a.perExpression)?.perExpression ?? {});
  const lines = [
    '#### cron-next: next fire times per second (1000 per call, America/New_York, parse included)',
    '',
    `| scheduler | all | ÷ croner | slowest expression ÷ croner | ${exprs.map((e) => `\`${e}\``).join(' | ')} | disagrees with croner |`,
    `| --- | --- | --- | --- | ${exprs.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const [name, a] of Object.entries(rows)) {
    if (a.succeeded === 0) {
      lines.push(failedRow(name, a, 5 + exprs.length));
      continue;
    }
    const mism = Object.keys(a.mismatchesVsCroner ?? {});
    // The overall rate is dominated by the fast expressions: the worst one says more.
    let worst = null;
    for (const e of exprs) {
      const r = a.perExpression?.[e] / croner?.perExpression?.[e];
      if (Number.isFinite(r) && (worst === null || r < worst.r)) worst = { r, e };
    }
    const worstCell = name === 'croner' ? '1.00×' : worst ? `${worst.r.toFixed(2)}× (\`${worst.e}\`)` : '–';
    lines.push(
      `| ${name} | ${fmt(a.nextPerSec)} | ${name === 'croner' ? '1.00×' : ratio(a.nextPerSec, croner?.nextPerSec)} | ${worstCell} | ${exprs.map((e) => fmt(a.perExpression?.[e])).join(' | ')} | ${mism.length ? mism.map((e) => `\`${e}\``).join(', ') : 'none'} |`,
    );
  }
  return lines;
}

function markdown(report) {
  const out = [
    `### Benchmark results (${report.startedAt})`,
    '',
    `Node ${report.machine.node}, ${report.machine.cpus} × ${report.machine.cpuModel}, ${fmt(report.machine.memGB, 0)} GB RAM. ` +
      `Each scheduler runs in its own process; medians of ${report.options.reps} repetition(s)${report.options.quick ? ' (--quick)' : ''}. ` +
      'Lateness = fire time − ideal time. Peers that give no ideal time: the k-th fire of a job is taken as due at its registration time (or the next whole second, for `* * * * * *`) + k × period. ' +
      'bytes/job = (V8 heap + external) after gc, divided by jobs (interval-1s: what is still held after the window, run history included). CPU = user + system, whole process.',
    '',
  ];
  for (const [key, rows] of Object.entries(report.summary)) {
    const [workload, variant, n, label] = key.split('|');
    let lines;
    if (workload === 'interval-1s') lines = tableInterval(rows, Number(n));
    else if (workload === 'idle-1m') lines = tableIdle(rows, variant, Number(n), label);
    else if (workload === 'churn') lines = tableChurn(rows, variant, Number(n));
    else if (workload === 'distinct-cron') lines = tableDistinct(rows, Number(n));
    else lines = tableCronNext(rows);
    out.push(...lines, '');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const deadline = started + opts.budgetMin * 60_000;
  const workloads = plan(opts.quick);
  const selected = opts.only ?? Object.keys(workloads);
  for (const w of selected) if (!(w in workloads)) throw new Error(`unknown workload ${w}; known: ${Object.keys(workloads).join(', ')}`);
  const known = [...ALL, 'floor-async'];
  if (opts.schedulers) for (const s of opts.schedulers) if (!known.includes(s)) throw new Error(`unknown scheduler ${s}; known: ${known.join(', ')}`);

  const report = {
    startedAt: new Date(started).toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '?',
      memGB: os.totalmem() / 2 ** 30,
    },
    options: opts,
    summary: {},
    runs: [],
  };
  const log = (s) => process.stderr.write(`${s}\n`);

  for (const w of selected) {
    const { schedulers, cases } = workloads[w];
    for (const kase of cases) {
      const [workload, variant = ''] = kase.id.split(':');
      const key = `${workload}|${variant}|${kase.n}|${kase.label ?? ''}`;
      report.summary[key] = {};
      for (const scheduler of schedulers) {
        if (opts.schedulers && !opts.schedulers.includes(scheduler)) continue;
        const extra = kase.capFor?.[scheduler] ? [`--cap=${kase.capFor[scheduler]}`] : [];
        const runs = [];
        for (let rep = 1; rep <= opts.reps; rep++) {
          if (Date.now() > deadline) {
            log(`  ${scheduler} ${kase.id} N=${kase.n}: skipped (time budget of ${opts.budgetMin} min used)`);
            if (runs.length === 0) runs.push({ failed: `skipped: time budget of ${opts.budgetMin} min used` });
            break;
          }
          const t0 = Date.now();
          const r = await runWorker(scheduler, kase, extra);
          r.rep = rep;
          runs.push(r);
          report.runs.push(r);
          log(`  ${scheduler} ${kase.id} N=${kase.n} rep ${rep}: ${r.failed ? `FAILED: ${r.failed}` : 'ok'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
          // Failures (cannot register, cannot keep up, not built) repeat: do not spend the budget on them.
          if (r.failed) break;
        }
        report.summary[key][scheduler] = aggregate(runs);
      }
    }
  }
  report.totalSeconds = Math.round((Date.now() - started) / 1000);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const md = markdown(report);
  writeFileSync(`${RESULTS_DIR}${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}${stamp}.md`, `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`results: bench/results/${stamp}.json (.md); ${report.totalSeconds} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
