/**
 * The Tasks page's filter, kept in the page's URL query (so a link reproduces the view): reading it
 * from the query, writing it back, the API's query parameters, and whether a row from the live feed
 * belongs in the current view. Pure: the unit tests call these.
 */
import type { TaskQuery, TaskRow, TaskStatus } from "../api-types.js";
import type { QueryValue } from "./api.js";

export type TaskFilter = Omit<TaskQuery, "after" | "limit">;

/** Every task state, in the order the filter offers them (a Record, so none can be left out). */
const STATUS_ORDER: Record<TaskStatus, number> = { PENDING: 0, STARTED: 1, PROGRESS: 2, RETRY: 3, SUCCESS: 4, FAILURE: 5, REVOKED: 6 };
export const TASK_STATUSES = (Object.keys(STATUS_ORDER) as TaskStatus[]).sort((a, b) => STATUS_ORDER[a] - STATUS_ORDER[b]);

const TEXT_KEYS = ["name", "queue", "worker", "from", "to", "id", "q"] as const satisfies ReadonlyArray<keyof TaskFilter>;

export interface TaskView {
  filter: TaskFilter;
  /** The `next` cursor of the page before; undefined on the first (newest) page. */
  after?: string;
}

export function viewFromQuery(query: URLSearchParams): TaskView {
  const filter: TaskFilter = {};
  const status = query.getAll("status").filter((value): value is TaskStatus => value in STATUS_ORDER);
  if (status.length > 0) filter.status = [...new Set(status)].sort((a, b) => STATUS_ORDER[a] - STATUS_ORDER[b]);
  for (const key of TEXT_KEYS) {
    const value = query.get(key)?.trim();
    if (value) filter[key] = value;
  }
  const after = query.get("after");
  return after ? { filter, after } : { filter };
}

/** "?status=FAILURE&name=mail.send" (or "" for no filter), for the page's URL. */
export function queryFromView(view: TaskView): string {
  const params = new URLSearchParams();
  for (const status of view.filter.status ?? []) params.append("status", status);
  for (const key of TEXT_KEYS) {
    const value = view.filter[key];
    if (value) params.set(key, value);
  }
  if (view.after) params.set("after", view.after);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** The GET tasks / tasks/retry-count query parameters. */
export function apiQuery(view: TaskView): Record<string, QueryValue> {
  return { ...view.filter, after: view.after };
}

export function isFiltered(filter: TaskFilter): boolean {
  return (filter.status?.length ?? 0) > 0 || TEXT_KEYS.some((key) => filter[key] !== undefined);
}

/**
 * Whether a row belongs in a view with this filter. The text search is approximated on what a row
 * carries (its name, arguments and error; the result is the detail's), case-insensitively like the
 * server's LIKE: a row it misses appears on the next load.
 */
export function matchesFilter(row: TaskRow, filter: TaskFilter): boolean {
  if (filter.status !== undefined && filter.status.length > 0 && !filter.status.includes(row.status)) return false;
  if (filter.name !== undefined && row.name !== filter.name) return false;
  if (filter.queue !== undefined && row.queue !== filter.queue) return false;
  if (filter.worker !== undefined && row.worker !== filter.worker) return false;
  if (filter.id !== undefined && row.id !== filter.id) return false;
  const created = Date.parse(row.createdAt);
  if (filter.from !== undefined && !(created >= Date.parse(filter.from))) return false;
  if (filter.to !== undefined && !(created < Date.parse(filter.to))) return false;
  if (filter.q !== undefined) {
    const needle = filter.q.toLowerCase();
    const haystack = [row.name, JSON.stringify(row.args) ?? "", row.errorType ?? "", row.errorMessage ?? ""].join("\n").toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}
