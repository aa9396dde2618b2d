// The worker side of the cluster harness: what a worker process (a BullMQ or pg-boss worker script, or a
// Tickwork server through its config module) calls to tell the parent about each fire and its CPU.
//
// Fires go to the parent over the IPC channel of child_process.fork, batched per event-loop turn (a
// setImmediate flush: a fire is on the wire before the handler's own work has gone far, so a SIGKILL loses
// at most the reports of the last few hundred microseconds). Every 500 ms the worker also sends its
// process.cpuUsage(). A worker exits when the parent goes away (IPC disconnect) or at BENCH_DEADLINE_MS.

import { setInterval } from 'node:timers';

const index = Number(process.env.BENCH_WORKER_INDEX ?? -1);
let batch = [];
let flushQueued = false;
let started = false;

function flush() {
  flushQueued = false;
  if (batch.length === 0) return;
  const d = batch;
  batch = [];
  if (process.connected) process.send({ t: 'f', w: index, d });
}

/** One fire: job id, the ideal (scheduled) time and the actual start time, both epoch ms. */
export function reportFire(jobId, scheduledAtMs, startedAtMs = Date.now()) {
  batch.push(jobId, scheduledAtMs, startedAtMs);
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flush);
  }
}

/** Anything else worth knowing (e.g. how the ideal time was derived); shown in the run's notes. */
export function reportNote(key, value) {
  if (process.connected) process.send({ t: 'note', w: index, key, value });
}

export function reportReady(extra = {}) {
  if (process.connected) process.send({ t: 'ready', w: index, pid: process.pid, ...extra });
}

/** CPU samples, exit on disconnect, and a hard deadline. Idempotent. */
export function startWorkerRuntime({ onStop, handleSignals = true } = {}) {
  if (started) return;
  started = true;
  if (!process.send) throw new Error('bench/cluster workers must be started by the harness (child_process.fork with an IPC channel)');
  const sample = () => {
    const u = process.cpuUsage();
    if (process.connected) process.send({ t: 'cpu', w: index, at: Date.now(), us: u.user + u.system });
  };
  sample();
  setInterval(sample, 500).unref();
  let stopping = false;
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(0), 4000);
    hard.unref();
    Promise.resolve(onStop ? onStop(why) : undefined)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('disconnect', () => stop('disconnect'));
  if (handleSignals) {
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  }
  const deadline = Number(process.env.BENCH_DEADLINE_MS ?? 0);
  if (deadline > 0) setTimeout(() => stop('deadline'), Math.max(0, deadline - Date.now())).unref();
}

export const workerIndex = index;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
