// Child processes of the server benchmark: every child started is tracked until it exits, so that the
// harness can kill what is left on any failure, on SIGINT or at exit; and the readings of a child's CPU
// time and memory from /proc, from outside (nothing in the measured process reports on itself).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set();

/** Ticks per second of /proc/<pid>/stat's utime and stime. */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Tracks a child until it exits, and keeps the last 4 KB of its stdout and stderr for error messages. */
export function track(child) {
  live.add(child);
  child.outputTail = '';
  const keep = (chunk) => {
    child.outputTail = (child.outputTail + chunk.toString()).slice(-4096);
  };
  // Read the pipes whatever they carry: the server writes its log synchronously, so a full pipe would block it.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      child.exitStatus = signal ?? `code ${code}`;
      resolve(child.exitStatus);
    });
  });
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited after graceMs; resolves once it has exited. */
export async function stop(child, graceMs = 10_000) {
  if (child.exitStatus !== undefined) return child.exitStatus;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await child.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every child still running, at once (a failure, SIGINT or the harness exiting). */
export function killAll() {
  for (const child of live) child.kill('SIGKILL');
}

/** User + system CPU time of the process (all its threads), in ms; 1000 / CLK_TCK ms resolution. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (in parentheses, which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Resident memory now and at its peak, in MB. */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
