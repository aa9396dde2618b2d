/**
 * A cluster of real server processes (`node dist/cli.js serve`) on one PostgreSQL schema, with 1 s interval
 * jobs whose `http` task POSTs to a receiver here: each request carries the run's Idempotency-Key
 * (`jobId@scheduledAt`, with `#attempt` for a retry), so an attempt of a fire that started twice shows as a
 * key received twice. Run `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { PG_URL, dropSchema, schemaName, sql } from '../stores/pg-helpers.js';
import { startServerProcess, type ServerProcess } from '../server/json-lines.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Received {
  key: string;
  jobId: string;
  scheduledAt: number;
  at: number;
}

export class Cluster {
  readonly children: ChildProcess[] = [];
  readonly nodes: ServerProcess[] = [];
  readonly received: Received[] = [];
  readonly schema = schemaName('tw_fault');
  private receiver: Server | null = null;
  private target = '';

  /** A receiver answering after `responseMs` (so runs are in flight at any moment). */
  async listen(responseMs: number): Promise<void> {
    const receiver = createServer((request, response) => {
      const key = String(request.headers['idempotency-key']);
      // jobId@scheduledAt, with #attempt for a retry: the key of one start of one fire.
      const at = key.lastIndexOf('@');
      const hash = key.indexOf('#', at);
      this.received.push({ key, jobId: key.slice(0, at), scheduledAt: Date.parse(key.slice(at + 1, hash < 0 ? undefined : hash)), at: Date.now() });
      request.resume();
      setTimeout(() => response.end('ok'), responseMs);
    });
    this.receiver = receiver;
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    this.target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  }

  async start(count: number): Promise<void> {
    const store = `${PG_URL}?schema=${this.schema}`;
    for (let i = 0; i < count; i++) this.nodes.push(await startServerProcess(this.children, [], { TICKWORK_STORE: store }));
  }

  /** `count` 1 s interval jobs, created through the nodes in turn; answers their ids. */
  async addJobs(count: number, options: Record<string, unknown> = {}): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `job-${i}`;
      const response = await fetch(`${(this.nodes[i % this.nodes.length] as ServerProcess).url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, task: 'http', args: { url: this.target, method: 'POST' }, trigger: { type: 'interval', seconds: 1 }, ...options }),
      });
      expect(response.status, await response.text()).toBe(201);
      ids.push(id);
    }
    return ids;
  }

  /** Keys received more than once. */
  duplicates(): string[] {
    const seen = new Set<string>();
    const twice: string[] = [];
    for (const { key } of this.received) {
      if (seen.has(key)) twice.push(key);
      seen.add(key);
    }
    return twice;
  }

  /** Per job, the largest gap (ms) between the scheduled times of consecutive fires that reached the receiver in [from, to]. */
  largestGaps(ids: string[], from: number, to: number): Map<string, number> {
    const byJob = new Map<string, number[]>();
    for (const r of this.received) {
      const list = byJob.get(r.jobId) ?? [];
      list.push(r.scheduledAt);
      byJob.set(r.jobId, list);
    }
    const gaps = new Map<string, number>();
    for (const id of ids) {
      const times = [...new Set(byJob.get(id) ?? [])].sort((a, b) => a - b);
      // The window's edges count as fires: a job silent through the whole window has a gap as long as it.
      const inside = [from, ...times.filter((t) => t > from && t < to), to];
      let largest = 0;
      for (let i = 1; i < inside.length; i++) largest = Math.max(largest, (inside[i] as number) - (inside[i - 1] as number));
      gaps.set(id, largest);
    }
    return gaps;
  }

  /** Stops the processes (SIGTERM, then SIGKILL after 10 s), the receiver, and drops the schema. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.receiver?.close();
    this.receiver = null;
    await dropSchema(this.schema).catch(() => undefined);
  }

  async rows<R extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<R[]> {
    return sql<R>(text.replaceAll('{schema}', `"${this.schema}"`), params);
  }
}
