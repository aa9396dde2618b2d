// Live scheduler events from GET /api/v1/events, read with fetch + ReadableStream (EventSource cannot
// send the Authorization header). Reconnects with backoff and sends Last-Event-ID (an opaque string) so the
// server replays what was missed from its buffer, or sends a `missed` event when it cannot (it restarted, or
// too much happened). Parsing is cheap and does no DOM work: the app batches the events.

import { apiUrl, authHeaders, requestKey } from './api.js';

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;
/** The server sends a comment every 15 s; silence for longer than this means a dead connection. */
const SILENCE_MS = 45_000;

/**
 * Starts the stream. `onEvent(name, data, id)` for each event; `onState(state, info)` with state
 * `connecting` | `open` | `retrying` (info.reconnected is true on an open after the first).
 * Returns `{ close() }`.
 */
export function connectEvents({ onEvent, onState }) {
  let lastId = null;
  let closed = false;
  let controller = null;
  let opened = false;

  async function run() {
    let backoff = MIN_BACKOFF_MS;
    while (!closed) {
      onState('connecting', {});
      controller = new AbortController();
      let watchdog = null;
      const touch = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
      };
      try {
        const headers = { accept: 'text/event-stream', ...authHeaders() };
        if (lastId !== null) headers['last-event-id'] = lastId;
        touch();
        const response = await fetch(apiUrl('events'), { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 401) {
          clearTimeout(watchdog);
          const body = await response.json().catch(() => undefined);
          await requestKey(body?.error?.message ?? 'The server needs an API key.');
          continue;
        }
        if (!response.ok || response.body === null) throw new Error(`events: HTTP ${response.status}`);
        onState('open', { reconnected: opened });
        opened = true;
        backoff = MIN_BACKOFF_MS;
        await read(response.body, touch, (name, data, id) => {
          if (id !== null) lastId = id;
          onEvent(name, data, id);
        });
      } catch (error) {
        // Aborted by close(), a dead connection (watchdog), or a network error: all end in a retry below.
        if (closed) return;
        if (error?.name !== 'AbortError') console.warn('tickwork events:', error);
      } finally {
        clearTimeout(watchdog);
      }
      if (closed) return;
      onState('retrying', { inMs: backoff });
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  run();
  return {
    close() {
      closed = true;
      controller?.abort();
    },
  };
}

/** Reads SSE frames until the stream ends: `event:`, `id:`, `data:` lines, `:` comments, blank line ends a frame. */
async function read(body, touch, emit) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    touch();
    buffer += value;
    let end;
    while ((end = frameEnd(buffer)) !== -1) {
      const frame = buffer.slice(0, end.index);
      buffer = buffer.slice(end.index + end.length);
      parseFrame(frame, emit);
    }
  }
}

function frameEnd(buffer) {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (lf === -1 && crlf === -1) return -1;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 };
  return { index: lf, length: 2 };
}

function parseFrame(frame, emit) {
  let name = 'message';
  let id = null;
  const data = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  let payload;
  try {
    payload = JSON.parse(data.join('\n'));
  } catch {
    payload = data.join('\n');
  }
  emit(name, payload, id);
}
