/**
 * Picks the job store from TICKWORK_STORE: `sqlite:<path>` (the server's default, `sqlite:./data/tickwork.db`
 * relative to the working directory), `memory`, and `postgres://…[?schema=name]` (several nodes, one schedule).
 */
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { MemoryJobStore } from './memory.js';
import { parsePostgresSpec } from './postgres/connection.js';
import { PostgresJobStore } from './postgres/store.js';
import { SqliteJobStore } from './sqlite/store.js';
import type { JobStore } from './store.js';

export const DEFAULT_STORE = 'sqlite:./data/tickwork.db';

/**
 * The store setting as it may be logged: a URL's password (and a `password` query parameter, which
 * libpq also reads) replaced by `***`. Text that is not a URL is returned as it is.
 */
export function redactStoreSpec(spec: string): string {
  let url: URL | null = null;
  try {
    url = new URL(spec);
  } catch {
    // Not parseable: masked by text below.
  }
  if (url !== null && url.host !== '') {
    if (url.password !== '') url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  }
  // Not a URL with a host (`user:pw@db:5432/app` reads as scheme "user:"): hide whatever stands between
  // the start (or "//") and the last "@" before the path.
  return spec.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/|)([^/@\s]*?):([^/]*)@/i, (_m, lead: string, user: string) => `${lead}${user}:***@`);
}

export function createStore(spec: string, logger: Logger, cwd: string): JobStore {
  if (spec === 'memory') {
    logger.info({ event: 'store_selected', store: 'memory' }, 'job store: memory (jobs do not survive a restart)');
    return new MemoryJobStore();
  }
  if (spec.startsWith('sqlite:')) {
    const file = spec.slice('sqlite:'.length);
    if (file === '') throw InvalidArgumentError.field('TICKWORK_STORE', 'sqlite: needs a file path, e.g. sqlite:./data/tickwork.db.');
    const path = file === ':memory:' ? file : resolve(cwd, file);
    logger.info({ event: 'store_selected', store: 'sqlite', path }, `job store: SQLite at ${path}`);
    return new SqliteJobStore({ path });
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    const { connectionString, ...options } = parsePostgresSpec(spec);
    const schema = options.schema;
    const url = new URL(connectionString);
    logger.info(
      { event: 'store_selected', store: 'postgres', host: url.host, database: url.pathname.slice(1), schema },
      `job store: PostgreSQL at ${url.host}${url.pathname}, schema ${schema}`,
    );
    return new PostgresJobStore({ connectionString, ...options });
  }
  throw InvalidArgumentError.field('TICKWORK_STORE', `must be "sqlite:<path>", "memory" or "postgres://...", got "${redactStoreSpec(spec).slice(0, 60)}".`);
}
