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

/** WAL position (bytes) and per table of `schema` the rows inserted, updated (HOT of those) and deleted so far. */
export async function pgWriteStats(schema) {
  const client = new pg.Client({ connectionString: pgUrl(), connectionTimeoutMillis: 5000, statement_timeout: 10_000 });
  await client.connect();
  try {
    const wal = await client.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS bytes`);
    const { rows } = await client.query(
      'SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot, n_tup_del::float8 AS del FROM pg_stat_user_tables WHERE schemaname = $1',
      [schema],
    );
    const tables = {};
    for (const r of rows) tables[r.relname] = { ins: r.ins, upd: r.upd, hot: r.hot, del: r.del };
    return { walBytes: wal.rows[0].bytes, tables };
  } finally {
    await client.end();
  }
}
