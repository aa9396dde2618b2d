// PostgreSQL of the cluster benchmark: 127.0.0.1:5432, database `test`, trust auth (user: $PGUSER, else
// the OS user, as libpq does). BENCH_PG_URL overrides.
import { userInfo } from 'node:os';
import pg from 'pg';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://127.0.0.1:5432/test';

export function pgUrl() {
  const url = new URL(PG_URL);
  if (url.username === '') url.username = process.env.PGUSER || process.env.USER || userInfo().username;
  return url.toString();
}

export async function dropSchema(schema) {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const client = new pg.Client({ connectionString: pgUrl(), connectionTimeoutMillis: 5000, statement_timeout: 60_000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
