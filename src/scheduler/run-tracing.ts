/**
 * OpenTelemetry traces of runs: one `tickwork.run` span per run that starts (its function is called),
 * through `@opentelemetry/api`, which is a no-op until the application registers an SDK.
 *
 * The fire path pays nothing without an SDK: with `tracing: 'auto'` (the default) the executor asks
 * `enabled`, a plain field, and this module looks for a registered tracer provider only at the start of
 * a pass, at most once per RECHECK_MS of the scheduler's clock. The API's global provider is a proxy that
 * delegates to one shared no-op provider until an SDK sets a delegate: comparing the delegate with that
 * no-op is two property reads, no span made. Starting a no-op span per fire instead (to ask whether it
 * records) would allocate on every fire.
 *
 * Each run span is a root: the ambient context of whatever started the scheduler or set the loop's timer
 * must not make every run a child of it, and one trace per run is what the run's stored `traceId` names.
 */
import {
  ProxyTracerProvider,
  SpanStatusCode,
  TraceFlags,
  context,
  trace,
  type Attributes,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobContext, JobRecord } from '../core/job.js';
import type { LiveRunRecord, RunRecord } from '../core/run.js';
import { runStack } from './run-text.js';

/** `true`: a span per run; `false`: none; `'auto'`: spans while an SDK has registered a tracer provider. */
export type TracingOption = boolean | 'auto';

/** The instrumentation scope of Tickwork's spans. */
export const TRACER_NAME = 'tickwork';
/** The name of a run's span. */
export const RUN_SPAN_NAME = 'tickwork.run';

/** The attributes of a run's span (documented in the README's Tracing section). */
export const RUN_ATTRIBUTES = {
  jobId: 'tickwork.job.id',
  scheduledAt: 'tickwork.run.scheduled_at',
  attempt: 'tickwork.run.attempt',
  outcome: 'tickwork.run.outcome',
  latenessMs: 'tickwork.run.lateness_ms',
  triggerType: 'tickwork.trigger.type',
} as const;

/** How often, at most, `'auto'` looks again for a registered tracer provider (scheduler clock, ms). */
export const RECHECK_MS = 5000;

/** The API's shared no-op provider: what the global proxy delegates to until an SDK registers. */
const NOOP_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();

/**
 * Whether an SDK has registered a tracer provider. Duck-typed on `getDelegate`, not `instanceof`: a proxy
 * registered by another copy of the API (its CommonJS build, say) is another class, and its delegate is
 * an SDK provider all the same. Anything unrecognised counts as registered (tracing on, never lost).
 */
export function tracerProviderRegistered(): boolean {
  const provider = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate !== NOOP_PROVIDER;
}

/** The `tracing` scheduler option, checked; `'auto'` when absent. */
export function checkTracingOption(value: unknown): TracingOption {
  if (value === undefined) return 'auto';
  if (value === true || value === false || value === 'auto') return value;
  throw InvalidArgumentError.field('options.tracing', `must be true, false or "auto", got ${describeType(value)}.`);
}

export class RunTracer {
  /** Whether runs get spans: read on every fire, so a plain field. */
  enabled: boolean;
  /** The scheduler-clock time of the last look for a provider (NaN: never). */
  private checkedAt = Number.NaN;
  private tracer: Tracer | null = null;

  constructor(private readonly mode: TracingOption) {
    // 'auto' decides at the first pass; `true` traces from the first run (a manual one may come before it).
    this.enabled = mode === true;
  }

  /**
   * At the start of a pass: with `'auto'`, looks for a registered provider when RECHECK_MS have passed
   * (either way: a clock set back must not postpone the next look). The tracer is fetched again each time,
   * since `trace.disable()` and a new registration leave an earlier tracer with the old provider.
   */
  refresh(now: number): void {
    if (this.mode === false || Math.abs(now - this.checkedAt) < RECHECK_MS) return;
    this.checkedAt = now;
    this.enabled = this.mode === true || tracerProviderRegistered();
    this.tracer = this.enabled ? trace.getTracer(TRACER_NAME) : null;
  }

  /**
   * The span of a run about to call its function; the record gets the trace id when the span is sampled
   * (an unsampled trace is not exported, so its id would lead nowhere).
   */
  start(job: JobRecord, record: LiveRunRecord): Span {
    const attributes: Attributes = {
      [RUN_ATTRIBUTES.jobId]: job.id,
      [RUN_ATTRIBUTES.scheduledAt]: new Date(record.scheduledAt).toISOString(),
      [RUN_ATTRIBUTES.attempt]: record.attempt,
      [RUN_ATTRIBUTES.triggerType]: job.trigger.type,
    };
    const lateness = record.latenessMs;
    if (lateness !== null) attributes[RUN_ATTRIBUTES.latenessMs] = lateness;
    const tracer = this.tracer ?? trace.getTracer(TRACER_NAME);
    const span = tracer.startSpan(RUN_SPAN_NAME, { root: true, attributes });
    const spanContext = span.spanContext();
    if ((spanContext.traceFlags & TraceFlags.SAMPLED) !== 0) record.traceId = spanContext.traceId;
    return span;
  }

  /** Calls the job function with the span active, so that spans the function starts are its children. */
  call(span: Span, func: (context: JobContext) => unknown, jobContext: JobContext): unknown {
    return context.with(trace.setSpan(context.active(), span), func, undefined, jobContext);
  }

  /**
   * Ends a run's span with its outcome. A failed or timed-out run records its error as kept on the record
   * (scrubbed of the job's secrets, as the log has it), never the raw error, and sets the status ERROR.
   */
  end(span: Span, record: RunRecord, cause: unknown, args: unknown): void {
    span.setAttribute(RUN_ATTRIBUTES.outcome, record.outcome);
    const error = record.error;
    if ((record.outcome === 'failed' || record.outcome === 'timed_out') && error !== null) {
      const stack = runStack(cause, args);
      const name = cause instanceof Error ? cause.name : 'Error';
      span.recordException({
        name,
        message: error.message,
        ...(error.code === undefined ? {} : { code: error.code }),
        ...(stack === undefined ? {} : { stack }),
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
  }
}
