/**
 * attachScheduler on real node:http servers: the scheduler starts when the server listens, close() stops
 * taking requests and resolves only after the running job finished (scheduler_stopped), a server closed
 * directly stops the scheduler too, a start failure is the server's 'error'; and the signal-handling mode in
 * a real Express process: SIGTERM mid-run lets the run finish, scheduler_stopped, exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { attachScheduler } from '../../src/node/index.js';
import { deferred, harness, until } from '../helpers.js';
import { collectJsonLines } from '../server/json-lines.js';

const servers: Server[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) if (server.listening) server.close();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function newServer(): Server {
  const server = createServer((_req, res) => res.end('ok'));
  servers.push(server);
  return server;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('attachScheduler', () => {
  it('starts the scheduler when the server listens, after beforeStart', async () => {
    const { scheduler } = harness();
    const server = newServer();
    const order: string[] = [];
    const attached = attachScheduler(server, scheduler, { beforeStart: () => void order.push(`beforeStart running=${scheduler.isRunning}`) });
    expect(scheduler.isRunning).toBe(false);
    await listen(server);
    await attached.started;
    expect(order).toEqual(['beforeStart running=false']);
    expect(scheduler.isRunning).toBe(true);
    await attached.close();
  });

  it('close(): the server stops taking requests at once, and close resolves after the running job finished', async () => {
    const { scheduler, clock, logger } = harness();
    const release = deferred();
    let finished = false;
    await scheduler.addIntervalJob(
      async () => {
        await release.promise;
        finished = true;
      },
      1,
      'slow',
    );
    const server = newServer();
    const attached = attachScheduler(server, scheduler);
    const url = await listen(server);
    await attached.started;
    await clock.advance(1000);
    expect((await scheduler.status()).runningRuns).toBe(1);

    let closed = false;
    const closing = attached.close().then(() => (closed = true));
    await until(() => !server.listening, 5000, 'the server to stop listening');
    await expect(fetch(url)).rejects.toThrow();
    await clock.advance(5000);
    expect(closed).toBe(false);
    expect(finished).toBe(false);

    release.resolve();
    await closing;
    expect(finished).toBe(true);
    expect(scheduler.isRunning).toBe(false);
    expect(logger.lines.filter((line) => line.event === 'scheduler_stopped')).toHaveLength(1);
    // A second close is the same one.
    await attached.close();
  });

  it('close(): a request that never ends is cut after shutdownTimeoutSeconds, so the shutdown cannot hang', async () => {
    const { scheduler } = harness();
    const server = createServer((_req, res) => res.writeHead(200).write('streaming, never ending'));
    servers.push(server);
    const attached = attachScheduler(server, scheduler, { shutdownTimeoutSeconds: 0.2 });
    const url = await listen(server);
    await attached.started;
    const response = await fetch(url);
    const reading = response.text().catch((error: unknown) => error);
    const began = Date.now();
    await attached.close();
    // Generous: the bound is 200 ms of real time.
    expect(Date.now() - began).toBeLessThan(5000);
    expect(await reading).toBeInstanceOf(Error);
    expect(scheduler.isRunning).toBe(false);
  });

  it('a server closed directly (server.close()) shuts the scheduler down too', async () => {
    const { scheduler, logger } = harness();
    const server = newServer();
    const attached = attachScheduler(server, scheduler);
    await listen(server);
    await attached.started;
    server.close();
    await until(() => !scheduler.isRunning, 5000, 'the scheduler to stop');
    expect(logger.lines.some((line) => line.event === 'scheduler_stopped')).toBe(true);
  });

  it("a scheduler that cannot start is the server's 'error'", async () => {
    const { scheduler } = harness();
    await scheduler.start();
    const server = newServer();
    const attached = attachScheduler(server, scheduler);
    const error = once(server, 'error');
    server.listen(0, '127.0.0.1');
    const [reported] = (await error) as [{ code?: string }];
    expect(reported.code).toBe('SCHEDULER_ALREADY_RUNNING');
    await expect(attached.started).rejects.toBe(reported);
    await scheduler.shutdown();
  });

  it('refuses what is not a server, and unknown or wrong options, naming the field', () => {
    const { scheduler } = harness();
    expect(() => attachScheduler({} as never, scheduler)).toThrow(/server: must be a node:http Server/);
    expect(() => attachScheduler(newServer(), scheduler, { signals: true } as never)).toThrow(
      /options\.signals: is not an attachScheduler option; allowed: shutdownTimeoutSeconds, handleSignals/,
    );
    expect(() => attachScheduler(newServer(), scheduler, { shutdownTimeoutSeconds: -1 })).toThrow(
      /options\.shutdownTimeoutSeconds: must be a non-negative number/,
    );
    expect(() => attachScheduler(newServer(), scheduler, { handleSignals: 'yes' } as never)).toThrow(/options\.handleSignals: must be true or false/);
  });
});

describe('attachScheduler in an Express process with handleSignals', () => {
  it('SIGTERM mid-run: the run completes, then scheduler_stopped, exit code 0', async () => {
    const child = spawn(process.execPath, ['test/node/fixtures/express-signals.mjs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const lines = collectJsonLines(child);
    await until(() => lines.some((line) => line.event === 'test_listening'), 15_000, 'the app to listen');
    const port = Number(lines.find((line) => line.event === 'test_listening')?.port);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).json()).toEqual({ running: true });
    await until(() => lines.some((line) => line.event === 'test_run_started'), 10_000, 'a run to start');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    const dump = lines.map((line) => JSON.stringify(line)).join('\n');
    expect(code, dump).toBe(0);
    const at = (event: string): number => Number(lines.find((line) => line.event === event)?.time ?? Number.NaN);
    expect(at('test_run_finished'), dump).toBeLessThanOrEqual(at('scheduler_stopped'));
    expect(
      lines.filter((line) => line.event === 'test_run_finished'),
      dump,
    ).toHaveLength(lines.filter((line) => line.event === 'test_run_started').length);
  });
});
