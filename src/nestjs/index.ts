/**
 * `tickwork/nestjs`: TickworkModule and the `@Cron`, `@Interval` and `@Timeout` decorators, a drop-in for
 * `@nestjs/schedule` with Tickwork's semantics. Importing it needs nothing from Nest (see module.ts).
 */
export { TickworkModule, TICKWORK_MODULE_OPTIONS } from './module.js';
export type { TickworkModuleOptions, TickworkModuleAsyncOptions, TickworkDynamicModule } from './module.js';
export { Cron, Interval, Timeout, SCHEDULE_METADATA } from './decorators.js';
export type { CronOptions, DecoratedJobOptions, ScheduleDecorator, ScheduleMetadata } from './decorators.js';
// The same class as `tickwork`'s: the injection token of the scheduler.
export { SchedulerService } from '../scheduler/service.js';
export type { JobContext } from '../core/job.js';
