/**
 * How SQLite's schema holds jobs and runs (see rows/ for what both SQL stores share): JSON as text, the
 * paused flag as 0/1, times in STRICT INTEGER columns as whole milliseconds, and two run columns named
 * `outcome` and `node` where the shared mapping says `status` and `node_id`.
 */
import type { RowCodec } from '../rows/codec.js';
import type { JobRowColumns } from '../rows/job-row.js';
import { RUN_COLUMNS, SETTLED_COLUMNS, type RunColumn } from '../rows/run-row.js';

export const SQLITE_CODEC: RowCodec = {
  time: (value) => Math.round(value),
  measure: (value) => value,
  flag: (value) => (value ? 1 : 0),
  text: (value) => value,
  json: (value) => JSON.stringify(value) ?? null,
  count: (value) => value ?? null,
  readJson: (value) => JSON.parse(value as string) as unknown,
  readFlag: (value) => value === 1,
};

export interface SqliteJobRow extends JobRowColumns {
  seq: number;
}

/** A run column as SQLite's schema names it. */
function sqliteName(column: RunColumn): string {
  if (column === 'status') return 'outcome';
  return column === 'node_id' ? 'node' : column;
}

/** The column list of an insert of a whole run row, in RUN_COLUMNS order. */
export const RUN_INSERT_COLUMNS = RUN_COLUMNS.map(sqliteName).join(', ');

/** The placeholders of that insert, one per column. */
export const RUN_INSERT_VALUES = RUN_COLUMNS.map(() => '?').join(', ');

/** The SET list of a settling write, in SETTLED_COLUMNS order. */
export const RUN_SETTLE_SET = SETTLED_COLUMNS.map((column) => `${sqliteName(column)} = ?`).join(', ');

/** The select list that reads a run row under the shared names (see RunRow); `table` qualifies them. */
export function runSelect(table = ''): string {
  const prefix = table === '' ? '' : `${table}.`;
  return RUN_COLUMNS.map((column) => (sqliteName(column) === column ? `${prefix}${column}` : `${prefix}${sqliteName(column)} AS ${column}`)).join(', ');
}
