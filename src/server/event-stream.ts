/**
 * Server-Sent Events of the scheduler's events for GET /api/v1/events. Browsers read it with fetch (so the
 * API key travels in a header), not EventSource.
 *
 * Frames (UTF-8, each ended by a blank line):
 *
 *     : tickwork events                      a comment, first on every stream
 *     event: <scheduler event name>          e.g. job_added, job_executed
 *     id: <epoch>-<seq>                      e.g. lq3k8z0a1b2c-42
 *     data: <payload JSON>
 *
 *     : keep-alive                           a comment every heartbeatMs
 *
 *     event: missed                          only right after connecting with a Last-Event-ID that cannot
 *     id: <epoch>-<seq of the latest event>  be replayed: reload state (the job list, the status) instead
 *     data: {"reason":"restart"|"buffer","lastEventId":"<the id sent>"}
 *
 * `<epoch>` is a token made when this EventStream was created (base36 start time + random hex), `<seq>`
 * counts events from 1. A client that reconnects with `Last-Event-ID` receives the events after it, from a
 * buffer of the last {@link EVENT_BUFFER_SIZE}, when the id has this stream's epoch and is still in the
 * buffer's range. Otherwise it first gets `missed`: reason `restart` when the id is from another epoch (the
 * server restarted, or the id is not of this form) and `buffer` when it fell out of the buffer or is from
 * before a time no client was connected; then live events. The `missed` frame's id is the latest event's
 * (or the gap's, below), so a client that reconnects again resumes from there.
 *
 * While no client is connected the stream costs the scheduler nothing: it listens to the scheduler's
 * events only from the first client's arrival to the last one's departure (a listener for every event
 * would keep the executor off its fast path and stringify every event of every fire), and keeps nothing
 * meanwhile. The events of such a gap are not numbered; one sequence number stands for the whole gap when
 * listening starts again, so an id from before it is answered with `missed`.
 *
 * Limits, so that one API key cannot exhaust the server: at most `maxStreams` open streams in all and
 * `maxStreamsPerCaller` per caller (an API key or an address, as the route identifies it); attach() refuses
 * more with TOO_MANY_STREAMS (503) before touching the response. A client that does not read fast enough
 * (more than `maxBufferedBytes` written but not yet sent, checked after every write including heartbeats)
 * is disconnected, and reconnects with its Last-Event-ID; so is one whose response errors.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpError, InvalidArgumentError } from '../core/errors.js';
import { EVENT_NAMES, type SchedulerEventName } from '../core/events.js';
import type { SchedulerService } from '../scheduler/service.js';
import { FrameRing } from './frame-ring.js';

/** Events kept for reconnecting clients. */
export const EVENT_BUFFER_SIZE = 1000;

export interface EventStreamOptions {
  /** Open streams in all; default 100. */
  maxStreams?: number;
  /** Open streams of one caller (API key or address); default 10. */
  maxStreamsPerCaller?: number;
  /** Bytes written to one client but not yet sent before it is disconnected; default 1 MiB. */
  maxBufferedBytes?: number;
  /** Interval of the keep-alive comment, and the TCP keep-alive delay; default 15 000 ms. */
  heartbeatMs?: number;
}

export const EVENT_STREAM_DEFAULTS: Readonly<Required<EventStreamOptions>> = {
  maxStreams: 100,
  maxStreamsPerCaller: 10,
  maxBufferedBytes: 1_048_576,
  heartbeatMs: 15_000,
};

const OPTION_MAX: Readonly<Required<EventStreamOptions>> = {
  maxStreams: 1_000_000,
  maxStreamsPerCaller: 1_000_000,
  maxBufferedBytes: 1_073_741_824,
  heartbeatMs: 2_147_483_647, // setInterval's limit
};

/** What a client that connects with a Last-Event-ID gets first. */
type Resume = { kind: 'live' } | { kind: 'replay'; after: number } | { kind: 'missed'; reason: 'restart' | 'buffer' };

export class EventStream {
  /** This stream's id prefix: different for every EventStream, so ids from before a restart are recognized. */
  readonly epoch = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private readonly maxStreams: number;
  private readonly maxStreamsPerCaller: number;
  private readonly maxBufferedBytes: number;
  private readonly heartbeatMs: number;
  /** The number of the latest event, or of the latest gap (see the top of the file). */
  private sequence = 0;
  private readonly buffer = new FrameRing(EVENT_BUFFER_SIZE);
  /** Each open stream and its caller. */
  private readonly clients = new Map<ServerResponse, string>();
  private readonly perCaller = new Map<string, number>();
  /** While listening to the scheduler (some client is connected): how to stop. */
  private readonly unsubscribe: (() => void)[] = [];
  /** Whether the stream listened before: listening again starts after a gap. */
  private listened = false;
  /** Frames published since the last flush, and whether a flush is scheduled (see publish). */
  private pending = '';
  private flushScheduled = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(
    private readonly scheduler: Pick<SchedulerService, 'on'>,
    options: EventStreamOptions = {},
  ) {
    this.maxStreams = option(options, 'maxStreams');
    this.maxStreamsPerCaller = option(options, 'maxStreamsPerCaller');
    this.maxBufferedBytes = option(options, 'maxBufferedBytes');
    this.heartbeatMs = option(options, 'heartbeatMs');
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Open streams of one caller. */
  countFor(caller: string): number {
    return this.perCaller.get(caller) ?? 0;
  }

  /**
   * Takes over the response: replays what the client missed (or tells it with a `missed` event), then
   * streams until it disconnects. `caller` identifies the API key or address for the per-caller limit.
   * Throws HttpError TOO_MANY_STREAMS, before writing anything, when a limit is reached.
   */
  attach(response: ServerResponse, lastEventId: string | undefined, caller: string): void {
    const mine = this.countFor(caller);
    if (mine >= this.maxStreamsPerCaller) {
      throw new HttpError(
        'TOO_MANY_STREAMS',
        `This API key or address already has ${mine} open event streams, the limit (events.maxStreamsPerCaller); close other streams (dashboard tabs, clients) or raise events.maxStreamsPerCaller in the config.`,
      );
    }
    if (this.clients.size >= this.maxStreams) {
      throw new HttpError(
        'TOO_MANY_STREAMS',
        `The server already has ${this.clients.size} open event streams, the limit (events.maxStreams); close other streams or raise events.maxStreams in the config.`,
      );
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (this.closed) {
      response.end(': tickwork events\n\n'); // the server is closing: the client reconnects to the next one
      return;
    }
    response.socket?.setKeepAlive(true, this.heartbeatMs);
    this.listen();
    let first = ': tickwork events\n\n';
    const resume = this.resumePoint(lastEventId);
    if (resume.kind === 'replay') {
      first += this.buffer.after(resume.after);
    } else if (resume.kind === 'missed') {
      const data = JSON.stringify({ reason: resume.reason, lastEventId });
      first += `event: missed\nid: ${this.epoch}-${this.sequence}\ndata: ${data}\n\n`;
    }
    // Frames published but not yet flushed go to the clients already here: the new one has them in its
    // replay (or, live, starts after them).
    this.flushPending();
    this.clients.set(response, caller);
    this.perCaller.set(caller, this.countFor(caller) + 1);
    response.on('close', () => this.remove(response));
    response.on('error', () => this.drop(response));
    // The replay is bounded by the buffer and not checked: the limit applies from the next write on.
    response.write(first);
    if (this.heartbeat === null) {
      this.heartbeat = setInterval(() => {
        for (const client of this.clients.keys()) this.send(client, ': keep-alive\n\n');
      }, this.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Ends every stream (the server is closing) and stops listening to the scheduler. */
  close(): void {
    this.closed = true;
    this.flushPending();
    for (const client of [...this.clients.keys()]) {
      this.remove(client);
      client.end();
    }
    this.stopHeartbeat();
    this.stopListening();
  }

  /** Starts listening to the scheduler, unless it already does; listening again counts one number for the gap. */
  private listen(): void {
    if (this.unsubscribe.length > 0) return;
    if (this.listened) this.sequence++;
    this.listened = true;
    for (const name of EVENT_NAMES) {
      this.unsubscribe.push(this.scheduler.on(name, (payload) => this.publish(name, payload)));
    }
  }

  /** The last client left (or the server closes): stop listening and keep nothing. */
  private stopListening(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe.length = 0;
    this.buffer.clear();
    this.pending = '';
  }

  private publish(name: SchedulerEventName, payload: unknown): void {
    const seq = ++this.sequence;
    const frame = `event: ${name}\nid: ${this.epoch}-${seq}\ndata: ${JSON.stringify(payload)}\n\n`;
    this.buffer.push(seq, frame);
    // One write per client per turn of the event loop, not per event: a pass that fires a thousand jobs
    // emits two thousand events, and a socket write each cost more than the rest of the stream.
    this.pending += frame;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushPending);
    }
  }

  /** Sends the frames published since the last flush to every client. */
  private readonly flushPending = (): void => {
    this.flushScheduled = false;
    const chunk = this.pending;
    if (chunk === '') return;
    this.pending = '';
    for (const client of this.clients.keys()) this.send(client, chunk);
  };

  /** Writes to one client, and drops it when what it has not received yet passes maxBufferedBytes. */
  private send(client: ServerResponse, chunk: string): void {
    if (client.destroyed || client.writableEnded) {
      this.remove(client);
      return;
    }
    client.write(chunk);
    if (client.writableLength > this.maxBufferedBytes) this.drop(client);
  }

  private resumePoint(lastEventId: string | undefined): Resume {
    if (lastEventId === undefined || lastEventId === '') return { kind: 'live' };
    const dash = lastEventId.lastIndexOf('-');
    const seqText = lastEventId.slice(dash + 1);
    if (dash === -1 || lastEventId.slice(0, dash) !== this.epoch || !/^\d{1,15}$/.test(seqText)) {
      return { kind: 'missed', reason: 'restart' };
    }
    const seq = Number(seqText);
    const oldest = this.buffer.oldest ?? this.sequence + 1;
    if (seq > this.sequence || seq < oldest - 1) return { kind: 'missed', reason: 'buffer' };
    return { kind: 'replay', after: seq };
  }

  /** Disconnects a client (too slow, or its response failed); it reconnects with its Last-Event-ID. */
  private drop(client: ServerResponse): void {
    this.remove(client);
    if (!client.destroyed) client.destroy();
  }

  private remove(client: ServerResponse): void {
    const caller = this.clients.get(client);
    if (caller === undefined) return;
    this.clients.delete(client);
    const left = this.countFor(caller) - 1;
    if (left > 0) this.perCaller.set(caller, left);
    else this.perCaller.delete(caller);
    if (this.clients.size === 0) {
      this.stopHeartbeat();
      this.stopListening();
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

function option(options: EventStreamOptions, name: keyof EventStreamOptions): number {
  const value: unknown = options[name];
  if (value === undefined) return EVENT_STREAM_DEFAULTS[name];
  const max = OPTION_MAX[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    const got = typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
    throw InvalidArgumentError.field(`events.${name}`, `must be an integer from 1 to ${max}, got ${got}.`);
  }
  return value;
}
