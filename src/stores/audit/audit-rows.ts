/** An audit entry as a row of the SQL stores (SQLite and PostgreSQL: migration 4 and 6). */
import type { Actor } from '../../core/actor.js';
import type { AuditRecord } from '../../core/audit.js';

export interface AuditRow {
  id: number | string;
  at: number;
  actor: unknown;
  action: string;
  job_id: string | null;
  before: unknown;
  after: unknown;
}

/** A row back to a record; `json` reads a JSON column (SQLite: text, PostgreSQL: parsed already). */
export function toAuditRecord(row: AuditRow, json: (value: unknown) => unknown): AuditRecord {
  return {
    id: Number(row.id),
    at: Number(row.at),
    actor: inOrder(json(row.actor) as Actor),
    action: row.action as AuditRecord['action'],
    jobId: row.job_id,
    before: row.before === null ? null : (json(row.before) as AuditRecord['before']),
    after: row.after === null ? null : (json(row.after) as AuditRecord['after']),
  };
}

/** The actor with its keys in one order (jsonb keeps its own). */
function inOrder(actor: Actor): Actor {
  if ('by' in actor) return { by: actor.by };
  return actor.keyIndex === undefined ? { role: actor.role, via: actor.via } : { role: actor.role, via: actor.via, keyIndex: actor.keyIndex };
}

/** Appends between two expiries by age (an append also trims its job's entries to the count bound). */
export const EXPIRE_EVERY_APPENDS = 100;
