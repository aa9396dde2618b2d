// One client of the server's event stream (GET /api/v1/events), as the dashboard would be: it reads
// everything as fast as it comes and counts bytes and frames (a frame ends with a blank line: events and
// the comments). The server drops a client that falls more than 1 MiB behind; this one then reconnects
// after 200 ms without Last-Event-ID (live events only) and the drop is counted, so a window in which the
// client was not connected all along is visible.
import { request } from 'node:http';

const NEWLINE = 10;

export function openEventStream({ port, key }) {
  const stats = { bytes: 0, frames: 0, connects: 0, drops: 0, lastError: null };
  let current = null;
  let closed = false;
  let ready;
  const readyPromise = new Promise((resolve, reject) => {
    ready = { resolve, reject };
  });

  const connect = () => {
    if (closed) return;
    stats.connects++;
    let retried = false;
    const retry = (why) => {
      if (closed || retried) return;
      retried = true;
      stats.lastError = why;
      setTimeout(connect, 200);
    };
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/events', headers: { authorization: `Bearer ${key}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        const why = `GET /api/v1/events answered ${res.statusCode}`;
        if (stats.connects === 1) ready.reject(new Error(why));
        retry(why);
        return;
      }
      ready.resolve();
      let endedWithNewline = false;
      res.on('data', (chunk) => {
        stats.bytes += chunk.length;
        if (endedWithNewline && chunk[0] === NEWLINE) stats.frames++;
        for (let at = chunk.indexOf('\n\n'); at !== -1; at = chunk.indexOf('\n\n', at + 2)) stats.frames++;
        endedWithNewline = chunk[chunk.length - 1] === NEWLINE;
      });
      res.on('close', () => {
        if (closed) return;
        stats.drops++;
        retry('the server closed the stream');
      });
    });
    req.on('error', (error) => {
      if (stats.connects === 1) ready.reject(error);
      retry(error.message);
    });
    req.end();
    current = req;
  };
  connect();

  return {
    stats,
    /** Resolves when the first connection is answered 200 (the server has attached the client). */
    ready: readyPromise,
    snapshot: () => ({ ...stats }),
    close() {
      closed = true;
      current?.destroy();
    },
  };
}
