/**
 * The SSE stream's limits and resumption against real sockets (app.inject cannot stream): streams per
 * caller and in all, a client that never reads is dropped once its unsent buffer passes maxBufferedBytes,
 * reconnecting with Last-Event-ID replays exactly what was missed, and an id from another stream (a server
 * restart), one that fell out of the buffer or one from before a time without clients gets a `missed` event
 * first; the stream listens to the scheduler only while a client is connected. Every wait has a deadline.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { HttpError } from '../../src/core/errors.js';
import { EVENT_NAMES } from '../../src/core/events.js';
import { EventBus } from '../../src/scheduler/event-bus.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { EVENT_BUFFER_SIZE, EventStream, type EventStreamOptions } from '../../src/server/event-stream.js';
import { REFERENCE } from '../helpers.js';

const silent = pino({ level: 'silent' });

interface Frame {
  event: string;
  id: string | null;
  data: string;
}

/** One open SSE response, parsed as it arrives. */
interface Reader {
  status: number;
  /** The error body of a refused stream. */
  body: string;
  frames: Frame[];
  comments: string[];
  ended: boolean;
  close(): void;
}

interface Served {
  port: number;
  /** Each attached response by caller, to check what the server holds. */
  responses: http.ServerResponse[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A bare HTTP server whose every request is an event stream; the caller is the x-caller header. */
async function serve(stream: EventStream): Promise<Served> {
  const responses: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const lastId = req.headers['last-event-id'];
    const caller = req.headers['x-caller'];
    try {
      stream.attach(res, typeof lastId === 'string' ? lastId : undefined, typeof caller === 'string' ? caller : 'caller-x');
      responses.push(res);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      res.writeHead(error.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error.toJSON() }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const served: Served = {
    port: (server.address() as net.AddressInfo).port,
    responses,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  cleanups.push(() => served.close());
  return served;
}

/** Opens a stream and resolves once the status is known (and, for a 200, the first comment arrived). */
async function connect(port: number, headers: Record<string, string> = {}): Promise<Reader> {
  const reader: Reader = { status: 0, body: '', frames: [], comments: [], ended: false, close: () => undefined };
  const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { accept: 'text/event-stream', ...headers } });
  reader.close = () => request.destroy();
  cleanups.push(() => reader.close());
  const response = (await once(request, 'response'))[0] as http.IncomingMessage;
  reader.status = response.statusCode ?? 0;
  response.setEncoding('utf8');
  let pending = '';
  response.on('data', (chunk: string) => {
    if (reader.status !== 200) {
      reader.body += chunk;
      return;
    }
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\n\n')) !== -1) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (block.startsWith(':')) {
        reader.comments.push(block.slice(1).trim());
        continue;
      }
      const frame: Frame = { event: 'message', id: null, data: '' };
      for (const line of block.split('\n')) {
        const colon = line.indexOf(': ');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 2);
        if (field === 'event') frame.event = value;
        else if (field === 'id') frame.id = value;
        else if (field === 'data') frame.data = value;
      }
      reader.frames.push(frame);
    }
  });
  response.on('end', () => void (reader.ended = true));
  response.on('error', () => void (reader.ended = true));
  request.on('error', () => void (reader.ended = true));
  if (reader.status === 200) await until(() => reader.comments.length > 0, 'the opening comment');
  else await until(() => reader.ended, 'the error body');
  return reader;
}

/** Waits for a condition, checking every few milliseconds, failing after the deadline. */
async function until(condition: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function scheduler(): SchedulerService {
  const s = new SchedulerService({ clock: new ManualClock(REFERENCE), logger: silent, timezone: 'UTC', store: new MemoryJobStore() });
  s.registerTask('noop', () => undefined);
  return s;
}

function eventStream(source: Pick<SchedulerService, 'on'>, options?: EventStreamOptions): EventStream {
  const stream = new EventStream(source, options);
  cleanups.push(() => stream.close());
  return stream;
}

const addJob = (s: SchedulerService, id: string): Promise<unknown> => s.addJob({ id, task: 'noop', trigger: { type: 'interval', seconds: 60 } });
const jobIds = (frames: Frame[]): string[] => frames.filter((f) => f.event === 'job_added').map((f) => (JSON.parse(f.data) as { jobId: string }).jobId);

describe('EventStream', () => {
  it('validates its options, naming the field', () => {
    const bus = new EventBus(silent);
    expect(() => new EventStream(bus, { maxStreams: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'events.maxStreams: must be an integer from 1 to 1000000, got 0.' }),
    );
    expect(() => new EventStream(bus, { maxStreamsPerCaller: 1.5 })).toThrow(/^events\.maxStreamsPerCaller: /);
    expect(() => new EventStream(bus, { maxBufferedBytes: '1mb' as never })).toThrow(/^events\.maxBufferedBytes: .*got string/);
    expect(() => new EventStream(bus, { heartbeatMs: 2 ** 31 })).toThrow(/^events\.heartbeatMs: /);
    new EventStream(bus, {}).close();
  });

  it('refuses the 11th stream of one caller with TOO_MANY_STREAMS 503 while another caller still gets one', async () => {
    const stream = eventStream(new EventBus(silent));
    const { port } = await serve(stream);
    const mine: Reader[] = [];
    for (let i = 0; i < 10; i++) mine.push(await connect(port, { 'x-caller': 'key:monitor:0' }));
    expect(mine.map((r) => r.status)).toEqual(Array(10).fill(200));
    const refused = await connect(port, { 'x-caller': 'key:monitor:0' });
    expect(refused.status).toBe(503);
    const error = (JSON.parse(refused.body) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('TOO_MANY_STREAMS');
    expect(error.message).toMatch(/already has 10 open event streams.*events\.maxStreamsPerCaller/);
    expect((await connect(port, { 'x-caller': 'addr:127.0.0.1' })).status).toBe(200);
    expect(stream.countFor('key:monitor:0')).toBe(10);
    expect(stream.clientCount).toBe(11);
    // A closed stream frees its place.
    mine[0]?.close();
    await until(() => stream.countFor('key:monitor:0') === 9, 'the closed stream to be released');
    expect((await connect(port, { 'x-caller': 'key:monitor:0' })).status).toBe(200);
  });

  it('refuses streams beyond maxStreams in all', async () => {
    const stream = eventStream(new EventBus(silent), { maxStreams: 3 });
    const { port } = await serve(stream);
    for (const caller of ['a', 'b', 'c']) expect((await connect(port, { 'x-caller': caller })).status).toBe(200);
    const refused = await connect(port, { 'x-caller': 'd' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/"code":"TOO_MANY_STREAMS".*3 open event streams.*raise events\.maxStreams in the config/);
    expect(stream.clientCount).toBe(3);
    expect(stream.countFor('d')).toBe(0);
  });

  it('drops a client that never reads once its unsent buffer passes maxBufferedBytes; a reading client keeps up', async () => {
    const bus = new EventBus(silent);
    const maxBufferedBytes = 64 * 1024;
    const stream = eventStream(bus, { maxBufferedBytes });
    const served = await serve(stream);
    const reader = await connect(served.port, { 'x-caller': 'reader' });

    const stuck = net.connect(served.port, '127.0.0.1');
    cleanups.push(() => void stuck.destroy());
    await once(stuck, 'connect');
    stuck.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-caller: stuck\r\n\r\n');
    stuck.pause(); // never reads again: the kernel buffers fill, then the server's
    await until(() => stream.countFor('stuck') === 1, 'the stuck client to attach');
    const stuckResponse = served.responses.at(-1) as http.ServerResponse;

    const payload = 'x'.repeat(4096);
    let published = 0;
    while (stream.countFor('stuck') === 1) {
      if (published * payload.length > 256 * 1024 * 1024) throw new Error('the stuck client was never dropped');
      bus.emit('job_added', { jobId: `${published}:${payload}` });
      published++;
      await nextTurn(); // lets the reading client read
    }
    expect(stuckResponse.destroyed).toBe(true);
    expect(stuckResponse.socket === null || stuckResponse.socket.destroyed).toBe(true);
    expect(stream.clientCount).toBe(1);
    expect(stream.countFor('reader')).toBe(1);

    bus.emit('job_added', { jobId: 'after' });
    await until(() => reader.frames.length === published + 1, 'the reading client to receive every event');
    expect(jobIds(reader.frames).map((id) => id.split(':')[0])).toEqual([...Array.from({ length: published }, (_, i) => String(i)), 'after']);
    expect(reader.ended).toBe(false);
  });

  it('replays exactly the missed events to a client that reconnects with a Last-Event-ID', async () => {
    const s = scheduler();
    const stream = eventStream(s);
    const { port } = await serve(stream);
    await connect(port, { 'x-caller': 'another tab' }); // stays connected: no gap while the first is away
    const first = await connect(port);
    await addJob(s, 'a');
    await addJob(s, 'b');
    await until(() => first.frames.length === 2, 'a and b');
    expect(first.frames.map((f) => f.id)).toEqual([`${stream.epoch}-1`, `${stream.epoch}-2`]);
    expect(stream.epoch).toMatch(/^[0-9a-z]+$/);
    first.close();
    await until(() => stream.clientCount === 1, 'the first client to go');

    await addJob(s, 'c');
    await addJob(s, 'd');
    const again = await connect(port, { 'last-event-id': first.frames[1]?.id ?? '' });
    await until(() => again.frames.length === 2, 'the replay');
    await addJob(s, 'e');
    await until(() => again.frames.length === 3, 'the live event');
    expect(jobIds(again.frames)).toEqual(['c', 'd', 'e']);
    expect(again.frames.map((f) => f.id)).toEqual([3, 4, 5].map((n) => `${stream.epoch}-${n}`));

    // Up to date: nothing replayed, no `missed`.
    const current = await connect(port, { 'last-event-id': `${stream.epoch}-5` });
    await addJob(s, 'f');
    await until(() => current.frames.length === 1, 'f');
    expect(jobIds(current.frames)).toEqual(['f']);
  });

  it('sends `missed` (reason restart) first for an id of another stream, then live events', async () => {
    const s = scheduler();
    const before = eventStream(s);
    const old = await connect((await serve(before)).port);
    await addJob(s, 'a');
    await until(() => old.frames.length === 1, 'a');
    const oldId = old.frames[0]?.id as string;

    const after = eventStream(s); // the server restarted
    expect(after.epoch).not.toBe(before.epoch);
    const { port } = await serve(after);
    await addJob(s, 'b'); // before any client of the new server: not numbered
    const client = await connect(port, { 'last-event-id': oldId });
    await until(() => client.frames.length === 1, 'missed');
    expect(client.frames[0]).toEqual({ event: 'missed', id: `${after.epoch}-0`, data: JSON.stringify({ reason: 'restart', lastEventId: oldId }) });
    await addJob(s, 'c');
    await until(() => client.frames.length === 2, 'c');
    expect(client.frames[1]).toMatchObject({ event: 'job_added', id: `${after.epoch}-1` });
    expect(jobIds(client.frames)).toEqual(['c']);

    // A numeric id of an older server is from another epoch too.
    const numeric = await connect(port, { 'last-event-id': '17' });
    await until(() => numeric.frames.length === 1, 'missed');
    expect(numeric.frames[0]).toMatchObject({ event: 'missed', data: '{"reason":"restart","lastEventId":"17"}' });
  });

  it('sends `missed` (reason buffer) for an id that fell out of the buffer, and replays from the oldest one kept', async () => {
    const bus = new EventBus(silent);
    const stream = eventStream(bus);
    const { port } = await serve(stream);
    await connect(port, { 'x-caller': 'another tab' }); // events are kept only while a client is connected
    const total = EVENT_BUFFER_SIZE + 2; // events 1 and 2 fall out: the buffer keeps 3..1002
    for (let i = 1; i <= total; i++) bus.emit('job_added', { jobId: `j${i}` });

    const tooOld = await connect(port, { 'last-event-id': `${stream.epoch}-1` });
    await until(() => tooOld.frames.length === 1, 'missed');
    expect(tooOld.frames[0]).toEqual({
      event: 'missed',
      id: `${stream.epoch}-${total}`,
      data: JSON.stringify({ reason: 'buffer', lastEventId: `${stream.epoch}-1` }),
    });

    const oldest = await connect(port, { 'last-event-id': `${stream.epoch}-2` });
    await until(() => oldest.frames.length === EVENT_BUFFER_SIZE, 'the whole buffer');
    expect(oldest.frames[0]).toMatchObject({ event: 'job_added', id: `${stream.epoch}-3` });
    expect(oldest.frames.at(-1)).toMatchObject({ id: `${stream.epoch}-${total}` });

    const future = await connect(port, { 'last-event-id': `${stream.epoch}-${total + 1}` });
    await until(() => future.frames.length === 1, 'missed');
    expect(future.frames[0]).toMatchObject({ event: 'missed', data: expect.stringContaining('"reason":"buffer"') });

    // The `missed` frame's id resumes: nothing more is missed when reconnecting with it.
    bus.emit('job_added', { jobId: 'next' });
    const resumed = await connect(port, { 'last-event-id': tooOld.frames[0]?.id as string });
    await until(() => resumed.frames.length === 1, 'next');
    expect(jobIds(resumed.frames)).toEqual(['next']);
  });

  it('listens to the scheduler only while a client is connected, so that nothing is built per fire without one', async () => {
    const bus = new EventBus(silent); // a silent log wants no event: only listeners count
    const stream = eventStream(bus);
    const { port } = await serve(stream);
    expect(bus.wants('job_executed')).toBe(false); // the executor's fast path is possible
    const one = await connect(port);
    const two = await connect(port);
    expect(bus.wants('job_executed')).toBe(true);
    one.close();
    await until(() => stream.clientCount === 1, 'one client to go');
    expect(bus.wants('job_executed')).toBe(true);
    two.close();
    await until(() => stream.clientCount === 0, 'the last client to go');
    expect(bus.wants('job_executed')).toBe(false);
    expect(EVENT_NAMES.filter((name) => bus.wants(name))).toEqual([]);
  });

  it('sends `missed` (reason buffer) to a client whose Last-Event-ID is from before a time no client was connected', async () => {
    const s = scheduler();
    const stream = eventStream(s);
    const { port } = await serve(stream);
    const first = await connect(port);
    await addJob(s, 'a');
    await until(() => first.frames.length === 1, 'a');
    const lastId = first.frames[0]?.id as string;
    first.close();
    await until(() => stream.clientCount === 0, 'the client to go');

    await addJob(s, 'b'); // nobody listens: not kept, not numbered
    const again = await connect(port, { 'last-event-id': lastId });
    await until(() => again.frames.length === 1, 'missed');
    // One number stands for the gap: the `missed` frame's id is after every id handed out before it.
    expect(again.frames[0]).toEqual({ event: 'missed', id: `${stream.epoch}-2`, data: JSON.stringify({ reason: 'buffer', lastEventId: lastId }) });
    await addJob(s, 'c');
    await until(() => again.frames.length === 2, 'c');
    expect(again.frames[1]).toMatchObject({ event: 'job_added', id: `${stream.epoch}-3` });
    expect(jobIds(again.frames)).toEqual(['c']);

    // Also when nothing happened in the gap: nobody listened, so nobody knows.
    again.close();
    await until(() => stream.clientCount === 0, 'the client to go');
    const quiet = await connect(port, { 'last-event-id': `${stream.epoch}-3` });
    await until(() => quiet.frames.length === 1, 'missed');
    expect(quiet.frames[0]).toMatchObject({ event: 'missed', id: `${stream.epoch}-4`, data: expect.stringContaining('"reason":"buffer"') });
  });

  it('sends heartbeats, and close() ends every stream', async () => {
    const stream = eventStream(new EventBus(silent), { heartbeatMs: 20 });
    const { port } = await serve(stream);
    const client = await connect(port);
    await until(() => client.comments.includes('keep-alive'), 'a heartbeat');
    stream.close();
    expect(stream.clientCount).toBe(0);
    await until(() => client.ended, 'the stream to end');
  });
});
