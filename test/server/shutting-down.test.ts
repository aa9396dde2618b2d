/**
 * While the server closes (running jobs finish first), a request still arriving on an open connection is
 * answered 503 SHUTTING_DOWN with the Error body the OpenAPI document declares, not Fastify's own body.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { json, testServer } from './server-helpers.js';

describe('a request during shutdown', () => {
  it('gets 503 SHUTTING_DOWN with the Error body and Connection: close', async () => {
    const s = await testServer();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    s.scheduler.registerTask('held', () => held);
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: json,
      payload: { id: 'held', task: 'held', trigger: { type: 'interval', seconds: 3600 } },
    });
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs/held/run', headers: json });
    const port = Number(new URL(await s.app.listen({ port: 0, host: '127.0.0.1' })).port);

    // A request whose headers are not finished yet: its connection is not idle, so closing keeps it.
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => void (answer += chunk.toString()));
    const ended = new Promise((resolve) => socket.once('close', resolve));

    const closed = s.app.close(); // waits for the held run
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write('\r\n');
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'SHUTTING_DOWN', message: expect.stringContaining('shutting down') },
    });
    release();
    await closed;
  });
});
