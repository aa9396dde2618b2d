/** A real server on 127.0.0.1 (port 0) with a manual clock, and the CLI run in-process against it. */
import { createServer } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { REFERENCE } from '../helpers.js';

export interface LiveServer {
  app: FastifyInstance;
  scheduler: SchedulerService;
  clock: ManualClock;
  url: string;
}

export async function liveServer(options: { adminKeys?: string[]; monitorKeys?: string[] } = {}): Promise<LiveServer> {
  const clock = new ManualClock(REFERENCE);
  const logger = pino({ level: 'silent' });
  const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
  registerBuiltInTasks(scheduler, []);
  scheduler.registerTask('noop', () => undefined);
  scheduler.registerTask('fail', () => {
    throw Object.assign(new Error('backup target unreachable'), { code: 'E_TARGET' });
  });
  const app = await buildServer({ scheduler, logger, adminKeys: options.adminKeys ?? [], monitorKeys: options.monitorKeys ?? [] });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, scheduler, clock, url };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tickwork <argv>` in this process; `now` (for countdowns) is the server's manual clock. */
export async function cli(argv: string[], options: { env?: Record<string, string>; now?: number; input?: Record<string, string> } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: options.env ?? {},
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readInput: async (path) => {
      const text = options.input?.[path];
      if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return text;
    },
    now: () => options.now ?? REFERENCE,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
