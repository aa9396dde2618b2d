/**
 * Slow and idle clients cannot hold the server's sockets: a connection that never finishes its headers
 * is closed within the 10 s header timeout (checked every second, not Node's default 30 s), and an idle
 * keep-alive connection after a request within 5 s. Real time: generous bounds.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from '../../src/server/app.js';

let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  app = await buildServer({ scheduler: new SchedulerService({ logger }), logger, adminKeys: [], monitorKeys: [] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => app.close());

/** Milliseconds until the server closes the socket. */
async function closedAfter(socket: Socket): Promise<number> {
  const started = Date.now();
  socket.resume();
  await once(socket, 'close');
  return Date.now() - started;
}

describe('socket timeouts', () => {
  it('closes a connection whose headers never end (trickled a byte a second) within the header timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /api/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('x');
    }, 1000);
    socket.on('error', () => undefined);
    const ms = await closedAfter(socket);
    clearInterval(trickle);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 3_000);
  });

  it('closes an idle keep-alive connection after its request within the keep-alive timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('error', () => undefined);
    socket.write('GET /api/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await once(socket, 'data');
    const ms = await closedAfter(socket);
    expect(ms).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 3_000);
  });
});
