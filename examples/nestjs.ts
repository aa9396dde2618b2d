/**
 * Tickwork in a NestJS 11 app: TickworkModule.forRoot() in place of ScheduleModule.forRoot(), the
 * `@nestjs/schedule` decorators kept as they are (imported from `tickwork/nestjs`), SchedulerService
 * injected where SchedulerRegistry was. Nest's shutdown hooks close the HTTP server, then the scheduler
 * (running jobs finish), then exit 0 (`useProcessExit`; without it Nest re-raises the signal).
 *
 * Compile it with your Nest project's settings (`experimentalDecorators`, `emitDecoratorMetadata`); the
 * examples test (test/examples.test.ts) transpiles it with TypeScript and runs it.
 *   PORT (default 3000); curl http://127.0.0.1:3000/jobs
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, Interval, SchedulerService, TickworkModule, type JobContext } from 'tickwork/nestjs';

@Injectable()
class ReportService {
  private readonly logger = new Logger(ReportService.name);

  /** Every second, as `@Interval(1000)` in @nestjs/schedule; receives Tickwork's job context. */
  @Interval(1000)
  heartbeat(ctx: JobContext): void {
    ctx.logger.info({ event: 'example_heartbeat' }, 'heartbeat');
  }

  /** Every 5 s (seconds field), no overlapping run; a run takes 1.5 s and finishes at shutdown. */
  @Cron('*/5 * * * * *', { name: 'report', waitForCompletion: true, tickwork: { misfireGraceTime: 30 } })
  async report(ctx: JobContext): Promise<void> {
    ctx.logger.info({ event: 'example_report_started' }, 'report started');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    ctx.logger.info({ event: 'example_report_finished' }, 'report finished');
    this.logger.log('report done');
  }
}

@Controller('jobs')
class JobsController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get()
  async list(): Promise<{ id: string; nextRunTime: Date | null }[]> {
    return (await this.scheduler.getJobs()).items.map((job) => ({ id: job.id, nextRunTime: job.nextRunTime }));
  }
}

@Module({
  imports: [TickworkModule.forRoot({ timezone: 'UTC', shutdownTimeoutSeconds: 30 })],
  providers: [ReportService],
  controllers: [JobsController],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(JSON.stringify({ event: 'example_listening', url: await app.getUrl() }));
