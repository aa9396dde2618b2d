/**
 * Three real server processes on one PostgreSQL schema. 200 interval jobs (1 s) and 20 cron jobs (every
 * second) are created over the HTTP API of different nodes; each fire POSTs to a receiver here with its
 * Idempotency-Key (`jobId@scheduledAt`); the receiver answers after 300 ms, so runs are in flight when
 * one node is SIGKILLed halfway. From the receiver and the run
 * history: no fire ran twice, every fire outside the takeover window ran, the other nodes took over.
 * The 5 s takeover target is measured by the benchmark; the bound here is a generous 15 s.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from '../stores/pg-helpers.js';
import { startServerProcess, type ServerProcess as Node } from './json-lines.js';

const RUN_MS = 20_000;
const KILL_AT_MS = 10_000;
const TAKEOVER_BOUND_MS = 15_000;

const children: ChildProcess[] = [];
let receiver: Server | null = null;
let schema = '';

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  receiver?.close();
  receiver = null;
  if (schema !== '') await dropSchema(schema);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function startNode(store: string): Promise<Node> {
  return startServerProcess(children, [], { TICKWORK_STORE: store });
}

describe.skipIf(!pgAvailable)('a cluster of three servers on one PostgreSQL schema', () => {
  it('runs each fire once, keeps firing through a SIGKILL of one node, and takes over its jobs', async () => {
    schema = schemaName('tw_cluster');
    const received: { key: string; at: number }[] = [];
    receiver = createServer((request, response) => {
      received.push({ key: String(request.headers['idempotency-key']), at: Date.now() });
      request.resume();
      // Each run lasts 300 ms, so the killed node has runs in flight: they must be recorded lost.
      setTimeout(() => response.end('ok'), 300);
    });
    await new Promise<void>((resolve) => (receiver as Server).listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const store = `${PG_URL}?schema=${schema}`;
    const nodes = [await startNode(store), await startNode(store), await startNode(store)];
    const ids: string[] = [];
    for (let i = 0; i < 220; i++) {
      const id = i < 200 ? `interval-${i}` : `cron-${i}`;
      const trigger = i < 200 ? { type: 'interval', seconds: 1 } : { type: 'cron', expression: '* * * * * *', timezone: 'Europe/Berlin' };
      const response = await fetch(`${(nodes[i % 3] as Node).url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // maxInstances 3: a run that starts late under a loaded CI machine and overlaps the next second is
        // not a reason to skip a fire; the killed node's lost runs still hold one slot until its lease ends.
        body: JSON.stringify({ id, task: 'http', args: { url: target, method: 'POST' }, trigger, maxInstances: 3 }),
      });
      expect(response.status).toBe(201);
      ids.push(id);
    }
    const begin = Date.now();
    await sleep(KILL_AT_MS);
    const victim = nodes[1] as Node;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await sleep(RUN_MS - KILL_AT_MS);
    const end = Date.now();
    for (const node of [nodes[0], nodes[2]] as Node[]) node.child.kill('SIGTERM');
    await Promise.all([nodes[0], nodes[2]].map((node) => new Promise((resolve) => (node as Node).child.once('exit', resolve))));

    // No fire ran twice.
    const keys = received.map((r) => r.key);
    const duplicates = keys.filter((key, i) => keys.indexOf(key) !== i);
    expect(duplicates).toEqual([]);

    // Per job, the fires that reached the receiver, by scheduled time.
    const firesOf = new Map<string, number[]>();
    for (const { key } of received) {
      const at = key.lastIndexOf('@');
      const id = key.slice(0, at);
      const list = firesOf.get(id) ?? [];
      list.push(Date.parse(key.slice(at + 1)));
      firesOf.set(id, list);
    }
    // Every fire from 1 s after the start to 2 s before the end ran, except at most one gap inside the
    // takeover window (the fire in flight on the killed node, and fires skipped while its lease ran).
    const from = begin + 1000;
    const to = end - 2000;
    const gaps: { id: string; first: number; last: number }[] = [];
    for (const id of ids) {
      const fires = (firesOf.get(id) ?? []).sort((a, b) => a - b);
      expect(fires.length, `fires of ${id}`).toBeGreaterThan(10);
      const grid = fires[0] as number;
      const seen = new Set(fires);
      const missing: number[] = [];
      for (let t = grid + Math.ceil((from - grid) / 1000) * 1000; t <= to; t += 1000) if (!seen.has(t)) missing.push(t);
      if (missing.length === 0) continue;
      const first = missing[0] as number;
      const last = missing[missing.length - 1] as number;
      gaps.push({ id, first, last });
      // The killed node's fires of the last seconds may be claimed but not yet sent when a loaded CI machine
      // starves it (one was 1.8 s before the kill): they are lost, not run twice (checked above).
      expect(first, `${id} missed a fire before the kill`).toBeGreaterThanOrEqual(killedAt - 3000);
      expect(last, `${id} missed a fire after the takeover bound`).toBeLessThanOrEqual(killedAt + TAKEOVER_BOUND_MS);
      expect(missing.length, `${id}: missed fires are one contiguous gap`).toBe((last - first) / 1000 + 1);
    }
    // Takeover happened: every job fired in the last 2 s, on the surviving nodes.
    for (const id of ids) expect(Math.max(...(firesOf.get(id) ?? [0])), `${id} fires after the kill`).toBeGreaterThan(killedAt + 1000);

    // The run history agrees: one row per fire (the key), the killed node's unsettled runs recorded lost.
    const rows = await sql<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM "${schema}".runs GROUP BY status`);
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    expect(byStatus.lost, 'runs in flight on the killed node are recorded lost').toBeGreaterThan(0);
    expect(byStatus.claimed ?? 0).toBe(0);
    expect(byStatus.running ?? 0).toBe(0);
    expect(byStatus.succeeded).toBeGreaterThanOrEqual(received.length - (byStatus.lost ?? 0));
    const lateness = received.map((r) => r.at - Date.parse(r.key.slice(r.key.lastIndexOf('@') + 1))).sort((a, b) => a - b);
    console.log(
      `[cluster test] ${received.length} fires, ${gaps.length} jobs with a gap (${gaps.reduce((n, g) => n + (g.last - g.first) / 1000 + 1, 0)} fires) around the kill, ` +
        `runs by status ${JSON.stringify(byStatus)}, lateness p50 ${lateness[Math.floor(lateness.length / 2)]} ms, p99 ${lateness[Math.floor(lateness.length * 0.99)]} ms`,
    );
  }, 90_000);
});
