/**
 * PostgreSQL for tests: 127.0.0.1:5432, database `test` (override with TICKWORK_TEST_PG). In CI
 * (CI=true) the database must be there and the tests fail otherwise; elsewhere they skip with a notice.
 * Each test gets its own schema, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.TICKWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL tests must run in CI, but ${PG_URL} is unreachable: ${(error as Error).message}`);
    console.warn(`[tickwork tests] PostgreSQL at ${PG_URL} is unreachable (${(error as Error).message}); its tests are skipped here (they run in CI).`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolved once per test file. */
export const pgAvailable: boolean = await reachable();

export function schemaName(prefix = 'tw_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Runs SQL on a short-lived connection (setup, inspection, cleanup). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** The text of a statement as pool.query received it (a string or a prepared statement's config). */
export function textOf(arg: unknown): string {
  return typeof arg === 'string' ? arg : ((arg as { text?: string } | null)?.text ?? '');
}
