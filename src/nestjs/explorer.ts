/**
 * What TickworkModule does in the application's life, as `@nestjs/schedule`'s explorer does: at bootstrap it
 * finds every decorated method of the singleton providers and controllers, registers each as the task
 * `<Provider>.<method>` (so a job kept in a persistent store finds its function again after a restart),
 * reconciles its job by id as the server does the config module's jobs (id: the decorator's name, else
 * the task name; created if missing, updated if the decorator changed, else left alone with its history,
 * next run time and any pause set at run time) and starts the scheduler. At application shutdown (after the HTTP server has
 * closed: Nest's onApplicationShutdown) it shuts the scheduler down, running jobs finishing first.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { JobContext } from '../core/job.js';
import type { Logger } from '../core/logger.js';
import type { TriggerSpec } from '../core/trigger.js';
import type { AddJobSpec } from '../scheduler/scheduler-types.js';
import type { SchedulerService } from '../scheduler/service.js';
import { reconcileJobs } from '../server/reconcile.js';
import { scheduleOf, type ScheduleMetadata } from './decorators.js';

/** The part of Nest's InstanceWrapper read here (from DiscoveryService). */
export interface DiscoveredInstance {
  instance: unknown;
  isDependencyTreeStatic(): boolean;
}

/** The part of Nest's DiscoveryService used here. */
export interface Discovery {
  getProviders(): DiscoveredInstance[];
  getControllers(): DiscoveredInstance[];
}

/** A decorated method found at bootstrap, ready to register. */
export interface DecoratedJob {
  task: string;
  spec: AddJobSpec & { id: string; task: string };
  run: (ctx: JobContext) => unknown;
}

export class TickworkExplorer {
  constructor(
    private readonly scheduler: SchedulerService,
    private readonly discovery: Discovery,
    private readonly shutdownTimeoutSeconds: number,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jobs = findDecoratedJobs([...this.discovery.getProviders(), ...this.discovery.getControllers()], this.scheduler.now());
    // Every task before any job: a stored job of another decorated method may be loaded by the first add.
    for (const job of jobs) this.scheduler.registerTask(job.task, job.run);
    await reconcileJobs(
      this.scheduler,
      jobs.map((job) => job.spec),
      this.logger,
    );
    await this.scheduler.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.isRunning) await this.scheduler.shutdown({ wait: true, timeoutSeconds: this.shutdownTimeoutSeconds });
  }
}

/** The decorated methods of the static (singleton) instances, each with its task name and job spec. */
export function findDecoratedJobs(wrappers: DiscoveredInstance[], nowMs: number): DecoratedJob[] {
  const jobs: DecoratedJob[] = [];
  const owners = new Map<string, string>();
  for (const wrapper of wrappers) {
    const instance = wrapper.instance;
    // Request-scoped instances are made per request: there is no instance to run on a schedule (as
    // @nestjs/schedule, which skips them too); neither are value providers of plain data.
    if (typeof instance !== 'object' || instance === null || !wrapper.isDependencyTreeStatic()) continue;
    for (const [method, schedule] of schedulesOf(instance)) {
      const provider = instance.constructor.name;
      const task = `${provider}.${method}`;
      const spec = jobSpec(task, schedule, nowMs);
      const owner = owners.get(spec.id ?? task);
      if (owner !== undefined) {
        throw InvalidArgumentError.field(
          'name',
          `the jobs of ${owner} and ${task} would both be "${spec.id ?? task}": give the decorators distinct names (a class provided twice needs a name per provider).`,
        );
      }
      owners.set(spec.id ?? task, task);
      const func = (instance as Record<string, (ctx: JobContext) => unknown>)[method];
      if (func === undefined) continue;
      jobs.push({ task, spec, run: (ctx) => func.call(instance, ctx) });
    }
  }
  return jobs;
}

/** [method name, schedule] for each decorated method on the instance's prototype chain (an override wins). */
function schedulesOf(instance: object): [string, ScheduleMetadata][] {
  const found: [string, ScheduleMetadata][] = [];
  const seen = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(instance) as object | null;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      // Read the descriptor, not the property: a getter must not run during discovery.
      const schedule = scheduleOf(Object.getOwnPropertyDescriptor(proto, name)?.value);
      if (schedule !== undefined) found.push([name, schedule]);
    }
  }
  return found;
}

/** The job a schedule stands for; the scheduler checks the rest (id pattern, cron expression, zone, options) when it is added. */
function jobSpec(task: string, schedule: ScheduleMetadata, nowMs: number): AddJobSpec & { id: string; task: string } {
  if (schedule.kind === 'interval') {
    return { id: schedule.name ?? task, task, trigger: { type: 'interval', seconds: schedule.ms / 1000 } };
  }
  if (schedule.kind === 'timeout') {
    return { id: schedule.name ?? task, task, trigger: { type: 'date', runAt: new Date(nowMs + schedule.ms) } };
  }
  const { name, timeZone, waitForCompletion, disabled, tickwork } = schedule.options;
  const trigger: TriggerSpec =
    schedule.cronTime instanceof Date
      ? { type: 'date', runAt: schedule.cronTime }
      : timeZone === undefined
        ? { type: 'cron', expression: schedule.cronTime }
        : { type: 'cron', expression: schedule.cronTime, timezone: timeZone };
  return {
    ...tickwork,
    // waitForCompletion is @nestjs/schedule's "no overlapping run": one instance, a fire meanwhile skipped.
    ...(waitForCompletion === true ? { maxInstances: 1 } : {}),
    ...(disabled === true ? { paused: true } : {}),
    id: name ?? task,
    task,
    trigger,
  };
}
