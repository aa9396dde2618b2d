/** The audit log of the memory store (and of a store without one): the newest entries, bounded in number. */
import type { AuditAppend, AuditLog, AuditPageQuery, AuditRecord } from '../../core/audit.js';

/** Entries a memory audit log keeps by default: the oldest go first. */
export const MEMORY_AUDIT_ENTRIES = 10_000;

export class MemoryAuditLog implements AuditLog {
  /**
   * Oldest first, kept as appended (their job views are built only when read: see AuditSubject). An
   * entry's id is `firstId` plus its index: no field is added to the object it was handed.
   */
  private entries: AuditAppend[] = [];
  private firstId = 1;

  constructor(private readonly maxEntries = MEMORY_AUDIT_ENTRIES) {}

  append(entry: AuditAppend): void {
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) {
      // Trimmed in steps of a tenth, not one shift per append.
      const drop = this.entries.length - this.maxEntries + Math.floor(this.maxEntries / 10);
      this.entries = this.entries.slice(drop);
      this.firstId += drop;
    }
  }

  page(query: AuditPageQuery): AuditRecord[] {
    const out: AuditRecord[] = [];
    const last = query.beforeId === undefined ? this.entries.length - 1 : Math.min(this.entries.length - 1, query.beforeId - this.firstId - 1);
    for (let i = last; i >= 0 && out.length < query.limit; i--) {
      const entry = this.entries[i] as AuditAppend;
      if (query.jobId !== undefined && entry.jobId !== query.jobId) continue;
      out.push({
        id: this.firstId + i,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        jobId: entry.jobId,
        before: entry.before === null ? null : entry.before.toAuditJob(),
        after: entry.after === null ? null : entry.after.toAuditJob(),
      });
    }
    return out;
  }
}
