/**
 * attachScheduler: a scheduler living as long as a plain Node `http.Server` (Express, Koa, node:http ...).
 * It starts when the server is listening; when the server closes (no more requests: its 'close' event), it
 * shuts down gracefully (running jobs finish within `shutdownTimeoutSeconds`, then their signals are
 * aborted) and the scheduler logs `scheduler_stopped`. Signals are left to the application unless
 * `handleSignals` asks for them.
 */
import type { Server } from 'node:http';
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { Logger } from '../core/logger.js';
import type { SchedulerService } from '../scheduler/service.js';

/** Default bound on waiting for running jobs at close, in seconds (as the Fastify plugin's). */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;

export interface AttachOptions {
  /** Bound on waiting for running jobs at close, in seconds (default 30); open connections are cut after the same bound. */
  shutdownTimeoutSeconds?: number;
  /**
   * Handle SIGTERM and SIGINT (default false): close the server and the scheduler gracefully, then exit 0
   * (1 if the shutdown failed); a second signal exits 1 at once.
   */
  handleSignals?: boolean;
  /** Runs before the scheduler starts (register tasks, add jobs); a failure is the server's 'error'. */
  beforeStart?: () => Promise<void> | void;
  /** Where `shutdown_requested`, `forced_exit` and `shutdown_failed` go (signal mode). Default: not logged. */
  logger?: Logger;
}

/** What attachScheduler hands back. */
export interface AttachedScheduler {
  /**
   * Closes the server (it stops taking requests, idle connections are closed, busy ones finish within the
   * bound) and resolves once the scheduler has shut down. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** Resolves when the scheduler has started (after `listening`); rejects with the start failure. */
  readonly started: Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function attachScheduler(server: Server, scheduler: SchedulerService, options: AttachOptions = {}): AttachedScheduler {
  if (typeof server !== 'object' || server === null || typeof server.listen !== 'function' || typeof server.close !== 'function') {
    throw InvalidArgumentError.field('server', `must be a node:http Server (what app.listen() returns in Express), got ${describeType(server)}.`);
  }
  if (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.start !== 'function') {
    throw InvalidArgumentError.field('scheduler', `must be a SchedulerService, got ${describeType(scheduler)}.`);
  }
  const timeoutSeconds = checkOptions(options);

  let markStarted: () => void = () => undefined;
  let failStart: (error: unknown) => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve;
    failStart = reject;
  });
  // Who awaits `started` is up to the caller; the failure itself is the server's 'error'.
  started.catch(() => undefined);

  // Set once 'listening' has come: a server closed before it never started the scheduler.
  let starting: Promise<void> | null = null;
  const start = (): void => {
    starting = (async () => {
      await options.beforeStart?.();
      await scheduler.start();
    })();
    starting.then(markStarted, (error: unknown) => {
      failStart(error);
      // A server without an 'error' listener throws it: a scheduler that cannot start stops the process,
      // as a Fastify app whose onReady fails does.
      server.emit('error', error);
    });
  };

  // The 'close' event comes once the server has stopped listening and every connection has ended: no
  // request can add work any more while running jobs finish.
  let stopping: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  const stopScheduler = (): Promise<void> => {
    stopping ??= (starting ?? Promise.resolve()).then(
      () => (scheduler.isRunning ? scheduler.shutdown({ wait: true, timeoutSeconds }) : undefined),
      // It never started: nothing to stop.
      () => undefined,
    );
    return stopping;
  };
  server.once('close', () => {
    // Through close(), its caller gets the failure; a server closed directly reports it as its 'error'.
    stopScheduler().catch((error: unknown) => {
      if (closing === null) server.emit('error', error);
    });
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
        server.close();
        server.closeIdleConnections();
        // A request that never ends (an event stream, a stalled upload) cannot hold the shutdown forever.
        const cut = setTimeout(() => server.closeAllConnections(), timeoutSeconds * 1000);
        await closed;
        clearTimeout(cut);
      }
      await stopScheduler();
    })();
    return closing;
  };

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      options.logger?.warn({ event: 'forced_exit', signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    signalled = true;
    options.logger?.info({ event: 'shutdown_requested', signal }, 'closing: no new requests; running jobs finish first');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger?.error({ event: 'shutdown_failed', err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // A handler that stays registered keeps a reference to the server: removed once closing begins.
  const removeSignalHandlers = (): void => {
    if (options.handleSignals === true && !signalled) for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  if (options.handleSignals === true) for (const signal of SIGNALS) process.on(signal, onSignal);

  if (server.listening) start();
  else server.once('listening', start);

  return { close, started };
}

/** The checked options; returns the shutdown bound in seconds. */
function checkOptions(options: AttachOptions): number {
  if (typeof options !== 'object' || options === null) throw InvalidArgumentError.field('options', `must be an object, got ${describeType(options)}.`);
  const known = ['shutdownTimeoutSeconds', 'handleSignals', 'beforeStart', 'logger'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw InvalidArgumentError.field(`options.${key}`, `is not an attachScheduler option; allowed: ${known.join(', ')}.`);
  }
  const timeout = options.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw InvalidArgumentError.field('options.shutdownTimeoutSeconds', `must be a non-negative number of seconds, got ${describeType(timeout)}.`);
  }
  if (options.handleSignals !== undefined && typeof options.handleSignals !== 'boolean') {
    throw InvalidArgumentError.field('options.handleSignals', `must be true or false, got ${describeType(options.handleSignals)}.`);
  }
  if (options.beforeStart !== undefined && typeof options.beforeStart !== 'function') {
    throw InvalidArgumentError.field('options.beforeStart', `must be a function, got ${describeType(options.beforeStart)}.`);
  }
  return timeout;
}
