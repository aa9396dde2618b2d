/** Tickwork's public API. */
export { SchedulerService } from './scheduler/service.js';
export type { SchedulerOptions, AddJobSpec, JobQuery, JobList, JobChanges, JobPatch, ShutdownOptions } from './scheduler/service.js';
export { MAX_ADD_JOBS } from './scheduler/add-jobs.js';
export type { AddJobsResult } from './scheduler/add-jobs.js';
export type { JobContext, JobFunction, JobLifecycle, JobOptions, JobPolicy, OverlapPolicy, RetryPolicy, WaitingFire } from './core/job.js';
export type { TaskOptions } from './scheduler/task-registry.js';
export type { JobInfo, JobStatus } from './scheduler/job-info.js';
export type { Actor, ApiActor, SystemActor, JobOwner, MutationContext } from './core/actor.js';
export type {
  AuditAction,
  AuditAppend,
  AuditEntry,
  AuditJob,
  AuditLog,
  AuditPage,
  AuditPageQuery,
  AuditQuery,
  AuditRecord,
  AuditSubject,
} from './core/audit.js';
export type { JobDefinition } from './scheduler/definitions.js';
export type { ImportRequest, ImportResult } from './scheduler/import-jobs.js';
export type { CalendarInfo } from './scheduler/calendars.js';
export type { CalendarInput, CalendarSpec, DateRange, ExclusionReason, JobExcludeInput, JobExclusion, JobExclusionInfo } from './core/exclusion.js';
export { HEALTH_STATES } from './core/health.js';
export type { HealthState, JobHealth, HealthFacts } from './core/health.js';
export { CATCH_UPS, MAX_PAUSE_NOTE_LENGTH } from './core/pause.js';
export type { CatchUp, PauseInfo, PauseOptions, ResumeOptions } from './core/pause.js';
export { BACKFILL_OUTCOMES } from './core/backfill.js';
export type { BackfillFire, BackfillOptions, BackfillOutcome, BackfillResult } from './core/backfill.js';
export { EXPLAIN_VERDICTS } from './core/explain.js';
export type { Explanation, ExplainEvidence, ExplainPause, ExplainVerdict, FireTime } from './core/explain.js';
export { RUN_ATTRIBUTES, RUN_SPAN_NAME, TRACER_NAME, type TracingOption } from './scheduler/run-tracing.js';
export type { Run, RunError, RunTrigger } from './core/run.js';
export type { RunNowOptions } from './scheduler/run-options.js';
export { idempotencyKey, runId, RUN_TRIGGERS } from './core/run.js';
export { RUN_ERROR_CODES, type RunErrorCode } from './core/run-errors.js';
export { EVENT_NAMES } from './core/events.js';
export type { SchedulerEventMap, SchedulerEventName, RunEvent, RunObserver, RunOutcome, Listener } from './core/events.js';
export * from './core/errors.js';
export { SystemClock, ManualClock, MAX_TIMER_DELAY_MS } from './core/clock.js';
export type { Clock, TimerHandle } from './core/clock.js';
export type { Logger, LogLevel } from './core/logger.js';
export { DEFAULT_JOB_POLICY, JOB_ID_PATTERN } from './core/job-options.js';
export { previewSchedule, previewFires, MAX_PREVIEW_COUNT } from './triggers/preview.js';
export type { PreviewOptions, PreviewFire } from './triggers/preview.js';
export type {
  TriggerSpec,
  IntervalTriggerSpec,
  CronTriggerSpec,
  DateTriggerSpec,
  CalendarIntervalTriggerSpec,
  OrTriggerSpec,
  AndTriggerSpec,
  DateInput,
  ResolvedTriggerSpec,
} from './core/trigger.js';
export { AND_HORIZON_MS, AND_MAX_ROUNDS } from './triggers/combined.js';
export { MemoryJobStore } from './stores/memory.js';
export type { MemoryJobStoreOptions } from './stores/memory.js';
export type { JobStore, ClaimingStore, LocalStore, ReplacingStore, RunQuery } from './stores/store.js';
export { JobRecord } from './core/job.js';
export type { RunRecord } from './core/run.js';
export { schedulerPlugin } from './server/plugin.js';
export type { SchedulerPluginOptions } from './server/plugin.js';
export type { JobSort, JobState, JobPage, JobPageQuery } from './stores/job-order.js';
export { SqliteJobStore } from './stores/sqlite/store.js';
export type { SqliteJobStoreOptions } from './stores/sqlite/store.js';
export { PostgresJobStore } from './stores/postgres/store.js';
export type { PostgresJobStoreOptions } from './stores/postgres/store.js';
export type { StoredJob, StoreContext, Awaitable, FireClaim } from './stores/store.js';
export { Notifier } from './notifications/notifier.js';
export type { NotifierOptions } from './notifications/notifier.js';
export { verifySignature, signatureHeader, SIGNATURE_HEADER } from './notifications/signature.js';
export { NOTIFICATION_EVENTS } from './notifications/targets.js';
export type { NotificationEvent, NotificationTargetSpec, NotificationTarget, NotificationTargetView } from './notifications/targets.js';
export type { NotificationPayload, HealthPayload, RunPayload } from './notifications/payload.js';
export type { Delivery, DeliveryStatus } from './notifications/outbox.js';
export type { TickworkConfig, ShellAllowEntry } from './config.js';
