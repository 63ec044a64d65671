/**
 * Merging the live feed's task rows into the page the user is reading: a row already shown is updated
 * where it is; a row not shown that matches the filter goes on top, and only on the first page (an
 * older page stays as loaded). Nothing else moves. Pure: the unit tests call it.
 */
import type { TaskRow } from "../api-types.js";
import { matchesFilter, type TaskFilter } from "./task-filter.js";

export interface Merged {
  rows: TaskRow[];
  /** Ids put on top by this merge (the page highlights them). */
  added: string[];
}

export function mergeTaskRows(rows: readonly TaskRow[], incoming: readonly TaskRow[], filter: TaskFilter, firstPage: boolean): Merged {
  const latest = new Map<string, TaskRow>();
  for (const row of incoming) latest.set(row.id, row);
  const shown = new Set(rows.map((row) => row.id));
  // The workers' announcements do not carry retriedFrom (the dashboard wrote it beside their row): a link
  // once shown never changes, so a live update keeps it.
  const updated = rows.map((row) => {
    const next = latest.get(row.id);
    return next ? { ...next, retriedFrom: next.retriedFrom ?? row.retriedFrom } : row;
  });
  if (!firstPage) return { rows: updated, added: [] };
  const fresh = [...latest.values()]
    .filter((row) => !shown.has(row.id) && matchesFilter(row, filter))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return { rows: [...fresh, ...updated], added: fresh.map((row) => row.id) };
}
