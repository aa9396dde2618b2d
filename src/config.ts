/**
 * Configuration of the standalone server: environment variables, command-line flags, and an optional
 * config module (`tickwork.config.mjs`) that registers tasks and startup jobs.
 *
 *   HOST (127.0.0.1), PORT (8080), TICKWORK_STORE (sqlite:./data/tickwork.db), TICKWORK_ADMIN_KEY / TICKWORK_MONITOR_KEY
 *   (comma-separated for rotation), TICKWORK_CONFIG (path of the config module), TICKWORK_SHUTDOWN_TIMEOUT
 *   (seconds, 30), LOG_LEVEL (info).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ShellAllowEntry } from './tasks/shell.js';
import { InvalidArgumentError } from './core/errors.js';
import { DEFAULT_STORE } from './stores/create.js';
import type { JobFunction, JobPolicy } from './core/job.js';
import type { LogLevel } from './core/logger.js';
import type { AddJobSpec } from './scheduler/service.js';
import type { EventStreamOptions } from './server/event-stream.js';
import type { NotificationTargetSpec } from './notifications/targets.js';
import type { MetricsOptions } from './server/metrics.js';
import type { TracingOption } from './scheduler/run-tracing.js';
import type { CalendarInput } from './core/exclusion.js';

/** The shell task's allow-list entry, defined with the task; named here too because the config holds it. */
export type { ShellAllowEntry };

/** What a config module exports (default export). Every field is optional. */
export interface TickworkConfig {
  /** Named tasks jobs can run, in addition to the built-in log, http and shell. */
  tasks?: Record<string, JobFunction>;
  /** Jobs reconciled by id at every start (created if missing, updated if changed, else left alone). */
  jobs?: (Omit<AddJobSpec, 'func'> & { id: string; task: string })[];
  /**
   * Remove, at start, the jobs this config created (owner `config`) that `jobs` no longer lists (default
   * false: they are kept). Jobs created through the API or the library are never removed by it.
   */
  prune?: boolean;
  adminKeys?: string[];
  monitorKeys?: string[];
  /**
   * The built-in `shell` task is off unless commands are listed in `allow` (see {@link ShellAllowEntry}).
   * Every entry is checked when the server starts: a relative path, an unknown field or a wrong type stops it.
   */
  shell?: { allow: ShellAllowEntry[] };
  /**
   * Limits of the event stream (GET /api/v1/events): `maxStreams` open at once (100), `maxStreamsPerCaller`
   * (10; a caller is a key, or the client address without keys), `maxBufferedBytes` of unsent events
   * before a client that does not read is dropped (1 MiB; it reconnects with Last-Event-ID).
   */
  events?: EventStreamOptions;
  /** GET /api/v1/ready answers 503 while any job is overdue (default false; see JobInfo.health). */
  ready?: { failOnOverdue?: boolean };
  /**
   * Notification targets: `{ id, url, secret?, on?, jobs? }` (see the README's Notifications), created or
   * updated at every start; a configured target no longer listed is removed (targets added through the
   * API stay). `notificationOptions`: `publicUrl` for the job links, `checkIntervalSeconds` (5),
   * `retentionDays` (7).
   */
  notifications?: NotificationTargetSpec[];
  /**
   * Exclusion calendars by name: `{ dates?, ranges?, timezone? }` (see the README's Exclusions), created or
   * replaced at every start before the jobs; calendars created through the API and not listed here stay.
   */
  calendars?: Record<string, CalendarInput>;
  notificationOptions?: { publicUrl?: string; checkIntervalSeconds?: number; retentionDays?: number };
  /**
   * Per-job Prometheus series (see the README's Metrics section): `jobLabels` is `'none'` (the default),
   * `'all'`, or a list of job ids and globs (`['backup', 'report-*']`); `maxJobSeries` caps the jobs that
   * get them (1000). Checked when the server starts.
   */
  metrics?: MetricsOptions;
  /**
   * OpenTelemetry spans of runs: `'auto'` (the default: while an SDK is registered, which this module may
   * start, since it is imported before the scheduler is made), `true` or `false`. See the README's Tracing.
   */
  tracing?: TracingOption;
  timezone?: string;
  jobDefaults?: Partial<JobPolicy>;
  maxConcurrentRuns?: number;
  shutdownTimeoutSeconds?: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  store: string;
  adminKeys: string[];
  monitorKeys: string[];
  shutdownTimeoutSeconds: number;
  logLevel: LogLevel;
  configPath: string | null;
  module: TickworkConfig;
}

export const DEFAULT_CONFIG_FILE = 'tickwork.config.mjs';

function keys(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

export async function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[], cwd: string): Promise<ServerConfig> {
  const explicit = flag(argv, 'config') ?? env.TICKWORK_CONFIG;
  const candidate = explicit === undefined ? resolve(cwd, DEFAULT_CONFIG_FILE) : resolve(cwd, explicit);
  let module: TickworkConfig = {};
  let configPath: string | null = null;
  if (existsSync(candidate)) {
    const loaded = (await import(pathToFileURL(candidate).href)) as { default?: TickworkConfig };
    module = loaded.default ?? {};
    configPath = candidate;
  } else if (explicit !== undefined) {
    throw InvalidArgumentError.field('config', `file ${candidate} does not exist.`);
  }
  // The message names where the port came from (the --port flag or PORT) and the value given there.
  const portFlag = flag(argv, 'port');
  const portText = portFlag ?? env.PORT;
  const port = Number(portText ?? 8080);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw InvalidArgumentError.field(portFlag === undefined ? 'PORT' : '--port', `must be an integer from 0 to 65535, got "${String(portText)}".`);
  }
  const shutdownTimeoutSeconds = Number(env.TICKWORK_SHUTDOWN_TIMEOUT ?? module.shutdownTimeoutSeconds ?? 30);
  if (!(shutdownTimeoutSeconds >= 0)) throw InvalidArgumentError.field('TICKWORK_SHUTDOWN_TIMEOUT', 'must be a non-negative number of seconds.');
  if (module.prune !== undefined && typeof module.prune !== 'boolean') {
    throw InvalidArgumentError.field('config.prune', `must be true or false (remove config jobs no longer listed), got ${typeof module.prune}.`);
  }
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw InvalidArgumentError.field('LOG_LEVEL', 'must be debug, info, warn or error.');
  return {
    host: flag(argv, 'host') ?? env.HOST ?? '127.0.0.1',
    port,
    store: env.TICKWORK_STORE ?? DEFAULT_STORE,
    adminKeys: [...keys(env.TICKWORK_ADMIN_KEY), ...(module.adminKeys ?? [])],
    monitorKeys: [...keys(env.TICKWORK_MONITOR_KEY), ...(module.monitorKeys ?? [])],
    shutdownTimeoutSeconds,
    logLevel,
    configPath,
    module,
  };
}

/** Whether binding `host` exposes the server beyond this machine. */
export function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
