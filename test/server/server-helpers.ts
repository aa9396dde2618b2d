/**
 * Builds a server on a manual clock for app.inject() tests. Every answer is checked against the OpenAPI
 * document (conformance.ts); a test whose server sent a non-conforming answer fails after it ran.
 */
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { REFERENCE } from '../helpers.js';
import { checkConformance, takeViolations } from './conformance.js';

afterEach(() => {
  const violations = takeViolations();
  if (violations.length > 0) throw new Error(`answers that do not conform to /docs/json:\n${violations.join('\n')}`);
});

export interface TestServer {
  app: FastifyInstance;
  scheduler: SchedulerService;
  clock: ManualClock;
}

export async function testServer(options: { adminKeys?: string[]; monitorKeys?: string[]; ready?: { failOnOverdue?: boolean } } = {}): Promise<TestServer> {
  const clock = new ManualClock(REFERENCE);
  const logger = pino({ level: 'silent' });
  const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
  registerBuiltInTasks(scheduler, []);
  scheduler.registerTask('noop', () => undefined);
  const app = await buildServer({
    scheduler,
    logger,
    adminKeys: options.adminKeys ?? [],
    monitorKeys: options.monitorKeys ?? [],
    ...(options.ready === undefined ? {} : { ready: options.ready }),
  });
  checkConformance(app);
  await app.ready();
  return { app, scheduler, clock };
}

export const json = { 'content-type': 'application/json' };

export const intervalJob = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  task: 'noop',
  trigger: { type: 'interval', seconds: 60 },
  ...extra,
});
