/**
 * How the two SQL stores encode a value where their schemas differ, so that the job and run row mappings
 * (job-row.ts, run-row.ts) are written once. SQLite keeps JSON as text, a flag as 0/1 and times in
 * STRICT INTEGER columns; PostgreSQL's driver parses jsonb and booleans, its times are doubles, and it
 * refuses a NUL in text (and unpaired surrogates in jsonb), so its codec sanitises.
 */
export interface RowCodec {
  /**
   * A time the scheduler computed (a job's schedule and jitter, a run's fire times) as written: SQLite
   * rounds to whole milliseconds (its INTEGER columns refuse a fraction); PostgreSQL keeps it exactly (a
   * run's scheduledAt must match its claimed row, and interval fires may fall between milliseconds).
   */
  time(value: number): number;
  /** A measured lateness or duration: SQLite keeps it as measured; PostgreSQL in whole milliseconds. */
  measure(value: number | null): number | null;
  /** The paused flag as its column takes it. */
  flag(value: boolean): boolean | number;
  /** Text as its column takes it. */
  text(value: string): string;
  /** A value as JSON text its column takes (null when JSON cannot represent it). */
  json(value: unknown): string | null;
  /** A count as its integer column takes it (null for none). */
  count(value: number | undefined): number | null;
  /** A JSON column as read: SQLite's text, parsed (it may throw); PostgreSQL's, parsed by the driver. */
  readJson(value: unknown): unknown;
  /** The paused column as read. */
  readFlag(value: unknown): boolean;
}
