/** The audit log of the memory store (and of a store without one): the newest entries, bounded in number. */
import type { AuditAppend, AuditLog, AuditPageQuery, AuditRecord } from '../../core/audit.js';

/** An entry as kept: its job views built only when read (see AuditSubject). */
interface KeptEntry extends AuditAppend {
  id: number;
}

/** Entries a memory audit log keeps by default: the oldest go first. */
export const MEMORY_AUDIT_ENTRIES = 10_000;

export class MemoryAuditLog implements AuditLog {
  /** Oldest first; ids increase. */
  private entries: KeptEntry[] = [];
  private lastId = 0;

  constructor(private readonly maxEntries = MEMORY_AUDIT_ENTRIES) {}

  append(entry: AuditAppend): void {
    const kept = entry as KeptEntry;
    kept.id = ++this.lastId;
    this.entries.push(kept);
    // Trimmed in steps of a tenth, not one shift per append.
    if (this.entries.length > this.maxEntries) this.entries = this.entries.slice(this.entries.length - this.maxEntries + Math.floor(this.maxEntries / 10));
  }

  page(query: AuditPageQuery): AuditRecord[] {
    const out: AuditRecord[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < query.limit; i--) {
      const entry = this.entries[i] as KeptEntry;
      if (query.beforeId !== undefined && entry.id >= query.beforeId) continue;
      if (query.jobId !== undefined && entry.jobId !== query.jobId) continue;
      out.push({
        id: entry.id,
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
