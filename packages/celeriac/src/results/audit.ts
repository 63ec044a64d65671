/**
 * The audit log of the dashboard's actions (the AuditLog table): who did what to which task, queue, worker
 * or periodic task, and when. Each action carries a request key (one per confirmed click), unique in the
 * table, so a double click records, and therefore does, the action once: the second record() finds the
 * first entry and says it is a repeat. Built on the task store's AuditRows (store/store.ts).
 */
import type { AuditRecord, AuditRows } from "../store/store.js";

export type { AuditRecord } from "../store/store.js";

export class AuditLog {
  constructor(private readonly rows: AuditRows) {}

  /** Inserts the entry; when `requestKey` was recorded before, inserts nothing and returns that entry with repeated: true (a double click). */
  async record(entry: { actor: string; action: string; target: string; detail?: unknown; requestKey?: string }): Promise<{ entry: AuditRecord; repeated: boolean }> {
    const { requestKey = null, detail = null, ...who } = entry;
    const inserted = await this.rows.insertAudit({ ...who, at: new Date(), detail, requestKey });
    if (inserted) return { entry: inserted, repeated: false };
    // Only a key already in the table makes the insert do nothing (a null key never conflicts).
    const first = await this.rows.auditByRequestKey(requestKey!);
    if (first) return { entry: first, repeated: true };
    return this.record(entry); // the first entry was deleted in between: record this one
  }

  /** Replaces an entry's detail (the action's outcome, once known). */
  update(id: number, detail: unknown): Promise<void> {
    return this.rows.updateAuditDetail(id, detail);
  }

  /** Newest first; `before` is the previous page's `next` (an entry id); `next` is null at the oldest entry. */
  async list(page: { before?: number; limit: number }): Promise<{ entries: AuditRecord[]; next: number | null }> {
    const rows = await this.rows.auditEntries(page.before, page.limit + 1);
    const entries = rows.slice(0, page.limit);
    return { entries, next: rows.length > page.limit ? entries.at(-1)!.id : null };
  }
}
