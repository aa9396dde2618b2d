/**
 * Server-Sent Events of the scheduler's events for GET /api/v1/events. Each event is framed as
 * `event: <name>`, `id: <sequence>`, `data: <payload JSON>`; a bounded buffer lets a client that
 * reconnects with `Last-Event-ID` receive what it missed. Browsers read it with fetch (so the API key
 * travels in a header), not EventSource.
 */
import type { ServerResponse } from 'node:http';
import { EVENT_NAMES, type SchedulerEventName } from '../scheduler/events.js';
import type { SchedulerService } from '../scheduler/service.js';

interface BufferedEvent {
  id: number;
  frame: string;
}

/** Events kept for reconnecting clients. */
export const EVENT_BUFFER_SIZE = 1000;
const HEARTBEAT_MS = 15_000;

export class EventStream {
  private sequence = 0;
  private readonly buffer: BufferedEvent[] = [];
  private readonly clients = new Set<ServerResponse>();
  private readonly unsubscribe: (() => void)[] = [];
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(scheduler: SchedulerService) {
    for (const name of EVENT_NAMES) {
      this.unsubscribe.push(scheduler.on(name, (payload) => this.publish(name, payload)));
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Takes over the response: replays what the client missed, then streams until it disconnects. */
  attach(response: ServerResponse, lastEventId: string | undefined): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': tickwork events\n\n');
    const last = lastEventId === undefined ? Number.NaN : Number(lastEventId);
    if (Number.isInteger(last)) {
      for (const event of this.buffer) if (event.id > last) response.write(event.frame);
    }
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
    if (this.heartbeat === null) {
      this.heartbeat = setInterval(() => {
        for (const client of this.clients) client.write(': keep-alive\n\n');
      }, HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  /** Ends every stream (the server is closing) and stops listening to the scheduler. */
  close(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const off of this.unsubscribe) off();
  }

  private publish(name: SchedulerEventName, payload: unknown): void {
    const id = ++this.sequence;
    const frame = `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(payload)}\n\n`;
    this.buffer.push({ id, frame });
    if (this.buffer.length > EVENT_BUFFER_SIZE) this.buffer.splice(0, this.buffer.length - EVENT_BUFFER_SIZE);
    for (const client of this.clients) client.write(frame);
  }
}
