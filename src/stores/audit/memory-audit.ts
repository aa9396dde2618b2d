/** The audit log of the memory store (and of a store without one): the newest entries, bounded in number. */
import type { AuditLog, AuditPageQuery, AuditRecord } from '../../core/audit.js';

/** Entries a memory audit log keeps by default: the oldest go first. */
export const MEMORY_AUDIT_ENTRIES = 10_000;

export class MemoryAuditLog implements AuditLog {
  /** Oldest first; ids increase. */
  private entries: AuditRecord[] = [];
  private lastId = 0;

  constructor(private readonly maxEntries = MEMORY_AUDIT_ENTRIES) {}

  append(entry: Omit<AuditRecord, 'id'>): void {
    this.entries.push({ ...entry, id: ++this.lastId });
    // Trimmed in steps of a tenth, not one shift per append.
    if (this.entries.length > this.maxEntries) this.entries = this.entries.slice(this.entries.length - this.maxEntries + Math.floor(this.maxEntries / 10));
  }

  page(query: AuditPageQuery): AuditRecord[] {
    const out: AuditRecord[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < query.limit; i--) {
      const entry = this.entries[i] as AuditRecord;
      if (query.beforeId !== undefined && entry.id >= query.beforeId) continue;
      if (query.jobId !== undefined && entry.jobId !== query.jobId) continue;
      out.push(entry);
    }
    return out;
  }
}
