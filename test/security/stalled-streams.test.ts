/**
 * Many event streams that never read, through the real server: the per-caller and total limits answer
 * 503 TOO_MANY_STREAMS, and a stalled stream is dropped (what it held released) once its unsent events
 * pass maxBufferedBytes, so the limits have room again; the API keeps answering meanwhile. (The buffer
 * bound itself is measured per client in test/server/event-stream.test.ts.)
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';

const ADMIN = 'admin-key-0123456789abcdef';
const MONITOR = 'monitor-key-0123456789abcdef';

let app: FastifyInstance | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await app?.close();
  app = undefined;
});

/** Opens an event stream and never reads it (the socket is paused at once). Resolves with the status line. */
function stalledStream(port: number, key: string): Promise<{ socket: Socket; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.setNoDelay(true);
    socket.write(`GET /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${key}\r\n\r\n`);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve({ socket, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0) });
    });
    socket.once('error', reject);
  });
}

describe('stalled event streams', () => {
  it('are limited per caller and in all, dropped past their buffer, and leave the API answering', async () => {
    const logger = pino({ level: 'silent' });
    const scheduler = new SchedulerService({ logger, timezone: 'UTC' });
    scheduler.registerTask('noop', () => undefined);
    app = await buildServer({
      scheduler,
      logger,
      adminKeys: [ADMIN],
      monitorKeys: [MONITOR],
      events: { maxStreams: 12, maxStreamsPerCaller: 8, maxBufferedBytes: 64 * 1024 },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;

    const monitorStreams = await Promise.all(Array.from({ length: 8 }, () => stalledStream(port, MONITOR)));
    expect(monitorStreams.map((s) => s.status)).toEqual(Array(8).fill(200));
    const ninth = await stalledStream(port, MONITOR);
    expect(ninth.status).toBe(503);
    const adminStreams = await Promise.all(Array.from({ length: 4 }, () => stalledStream(port, ADMIN)));
    expect(adminStreams.map((s) => s.status)).toEqual(Array(4).fill(200));
    expect((await stalledStream(port, ADMIN)).status).toBe(503); // 12 in all

    // Events keep coming (job_added with 190-character ids: ~230 bytes a frame), nobody reads.
    const prefix = 'j'.repeat(185);
    for (let i = 0; i < 8000; i++) {
      await scheduler.addJob({ id: `${prefix}${i}`, task: 'noop', trigger: { type: 'interval', seconds: 3600 } });
      if (i % 500 === 0) {
        const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
        expect(health.status).toBe(200);
      }
    }
    // Every stalled stream was dropped (each had ~1.8 MB of events for it): the limits have room again.
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      again = (await stalledStream(port, MONITOR)).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).toBe(200);
    const list = await fetch(`http://127.0.0.1:${port}/api/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${MONITOR}` } });
    expect(list.status).toBe(200);
  });
});
