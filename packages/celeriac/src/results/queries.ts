/**
 * The dashboard's reads of the task results (Flower's task list, django-celery-results' admin), public so
 * that any app can build on them: the Tasks list with its filters and keyset pages, one task whole (and its workflow), the
 * filter choices, counts, the rows a bulk retry takes and how many, the retry's link, and the overview's
 * aggregates. Built on the task store's ResultQueries (store/store.ts). Each call is bounded work, whatever
 * the size of the table: an index walk that stops at a LIMIT, a capped count, a bounded sample (measured on
 * 1,000,000 rows in `npm run bench`, section 8).
 */
import { InvalidCursorError } from "../errors.js";
import { States, type TaskState } from "../states.js";
import type { ListedTask, ListPosition, ResultQueries, TaskRange } from "../store/store.js";
import type { OutboxRow } from "../transaction/outbox-row.js";
import { INDEXED_FILTERS, type FacetColumn, type OutcomeCounts, type RetriableTask, type TaskDetailItem, type TaskFilter, type TaskListItem, type WorkflowItem } from "./task-list.js";

export type { FacetColumn, OutcomeCounts, RetriableTask, TaskDetailItem, TaskFilter, TaskListItem, WorkflowGroupItem, WorkflowItem, WorkflowRowItem } from "./task-list.js";

/**
 * A page of a filter its index cannot answer alone (a text, or more than one of status, name, worker and
 * queue) reads at most this many rows: those its first indexed filter matches (INDEXED_FILTERS), newest
 * first from the page's cursor; the rest of it is checked on them. Matching text in JSON can use no index
 * (a plain LIKE over 1,000,000 rows takes 0.8 s on SQLite, 3.9 s on PostgreSQL: bench section 8), and two
 * filters whose rows rarely meet would read all the rows of either. A page that reached the bound before
 * it was full ends there, with a `next` to go on from; count() reads the same rows.
 */
export const SCAN_ROWS = 5_000;
/**
 * A bulk retry (retriable(), retriableCount()) reads this many of its filter's FAILURE/REVOKED rows at most,
 * newest first, and takes those without a retry; SCAN_ROWS when the filter has a name, queue, worker or text
 * too (its index cannot answer it alone). A retried row costs a probe of the retriedFrom index as one taken
 * does, so the window is bounded as a page is: twice the dashboard's bulk retry (10,000), so that a second
 * one goes past what the first sent. Measured on 1,000,000 rows, 10,000 of them retried: the count of every
 * failure takes 100 ms on SQLite, 120 ms on PostgreSQL (with 50,000 rows, 120 and 160 ms). Older failures:
 * a narrower `to`.
 */
export const RETRY_SCAN_ROWS = 20_000;
/** A task's detail shows this many rows of its workflow at most (one range of the rootId index). */
export const WORKFLOW_ROWS = 500;
/** values() lists this many distinct values at most. */
const VALUES_MAX = 500;
/** runtimes() ranks the newest this-many SUCCESS rows and this-many FAILURE rows since its instant. */
const RUNTIME_SAMPLE = 10_000;

const MINUTE_MS = 60_000;
const RETRIABLE: ReadonlySet<TaskState> = new Set([States.FAILURE, States.REVOKED]);

/** The opaque `next` of a page: the place of its last row, as base64url JSON. */
const encodeCursor = (p: ListPosition) => Buffer.from(JSON.stringify([p.createdAt.getTime(), p.id])).toString("base64url");

function decodeCursor(cursor: string): ListPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== "string" || value[1] === "") throw new InvalidCursorError();
  const position = { createdAt: new Date(value[0] as number), id: value[1] };
  // Base64 decoding skips what is not base64: only a cursor this module made reads back as itself.
  if (Number.isNaN(position.createdAt.getTime()) || encodeCursor(position) !== cursor) throw new InvalidCursorError();
  return position;
}

/** The row a durable dispatch no worker took yet will have: PENDING, from its TaskOutbox row. */
function pendingRowOf(id: string, outbox: OutboxRow): ListedTask & { result: unknown; errorStack: string | null } {
  return {
    id,
    name: outbox.name,
    status: States.PENDING,
    args: outbox.args,
    queue: outbox.queue,
    worker: null,
    retries: 0,
    createdAt: outbox.createdAt,
    startedAt: null,
    doneAt: null,
    runtimeMs: null,
    errorType: null,
    errorMessage: null,
    retriedFrom: null,
    rootId: outbox.workflow?.rootId ?? null,
    result: null,
    errorStack: null,
    meta: null,
    owner: outbox.owner,
  };
}

const zero = (): OutcomeCounts => ({ succeeded: 0, failed: 0, retried: 0, revoked: 0 });

export class TaskQueries {
  constructor(private readonly store: ResultQueries) {}

  /**
   * Newest first (createdAt DESC, id DESC); `after` is the opaque `next` of the previous page; a malformed
   * cursor throws InvalidCursorError. With a text, or two indexed filters, a page reads SCAN_ROWS rows at
   * most: it may hold fewer than `limit` rows (none, even) and still have a `next`, where its reading stopped.
   */
  async list(filter: TaskFilter, page: { after?: string; limit: number }): Promise<{ rows: TaskListItem[]; next: string | null }> {
    const range = await this.bounded({ ...filter, after: page.after === undefined ? undefined : decodeCursor(page.after) });
    const rows = await this.store.listTasks(range, page.limit + 1);
    const items = rows.slice(0, page.limit).map(({ owner: _, ...item }) => item);
    const last = rows.length > page.limit ? items.at(-1) : range.through;
    return { rows: items, next: last ? encodeCursor(last) : null };
  }

  /** One task, with retriedTo (ids of rows whose retriedFrom is this id) and its TaskOutbox row if any; a durable dispatch no worker took yet reads as PENDING. */
  async detail(id: string): Promise<TaskDetailItem | null> {
    const { row, outbox, retriedTo } = await this.store.taskDetail(id);
    const task = row ?? (outbox && pendingRowOf(id, outbox));
    if (!task) return null;
    const kept = outbox && { createdAt: outbox.createdAt, dispatchedAt: outbox.dispatchedAt, attempts: outbox.attempts, lastError: outbox.lastError, runAt: outbox.runAt, expires: outbox.expires };
    return { ...task, retriedTo, outbox: kept, workflow: await this.workflow(task.id, task.rootId) };
  }

  /**
   * The workflow a task is part of: the rows sharing its rootId (a chain's first step has its own id as
   * rootId), WORKFLOW_ROWS of them at most, the task's own always among them, and their groups. Null for a
   * task sent alone (no rootId, and no row has its id as one).
   */
  private async workflow(taskId: string, rootId: string | null): Promise<WorkflowItem | null> {
    const root = rootId ?? taskId;
    const { rows, truncated, groups } = await this.store.workflow(root, taskId, WORKFLOW_ROWS);
    if (rootId === null && !rows.some((row) => row.id !== taskId)) return null;
    return { rootId: root, rows, groups, truncated, limit: WORKFLOW_ROWS };
  }

  /** The distinct values the column holds, sorted, VALUES_MAX at most: one index probe per value (a loose index scan), not a scan of the rows. */
  async values(column: FacetColumn): Promise<string[]> {
    return (await this.store.distinctValues(column, VALUES_MAX)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** min(matching rows, cap), reading `cap` index entries at most (SCAN_ROWS rows at most, for a filter its index cannot answer alone). */
  async count(filter: TaskFilter, cap: number): Promise<number> {
    return this.store.countTasks(await this.bounded(filter), cap);
  }

  /**
   * What a bulk retry sends again, newest first, `limit` at most: the FAILURE and REVOKED rows the filter
   * matches (its statuses narrow that pair) that have no retry yet (no row's retriedFrom is their id), among
   * the newest RETRY_SCAN_ROWS of them. A failure is retried once per bulk retry, then its retry is the one
   * to retry if it fails too; a single task's Retry is the operator's choice, and may retry it again.
   */
  async retriable(filter: TaskFilter, limit: number): Promise<RetriableTask[]> {
    const range = await this.retriableRange(filter);
    const rows = range ? await this.store.listTasks(range, limit) : [];
    // A row stored without its arguments (ResultNotStoredError) has none to send again: the retry's own check refuses [] if the task takes some.
    return rows.map(({ id, name, args, queue, owner }) => ({ id, name, args: Array.isArray(args) ? args : [], queue, owner }));
  }

  /** min(retriable(filter, cap).length, cap), counted over the same rows: what a bulk retry would take, shown before it is confirmed. */
  async retriableCount(filter: TaskFilter, cap: number): Promise<number> {
    const range = await this.retriableRange(filter);
    return range ? this.store.countTasks(range, cap) : 0;
  }

  /**
   * Before a retry is sent: the new task's PENDING row (if it has none yet) linked to the original, so the
   * list shows the link before a worker takes it; a row a worker wrote first only gets the link. Workers
   * never write retriedFrom, so their later writes keep it.
   */
  linkRetry(row: RetriableTask, originalId: string): Promise<void> {
    return this.store.linkRetry(row, originalId, new Date());
  }

  /**
   * Tasks that ended since `since`: SUCCESS, FAILURE and REVOKED rows by their doneAt. `retried` is what the
   * table can say of retries: rows waiting to run again (RETRY) whose failed run started since. The table
   * keeps one row per task, so a task that retried and then finished counts under how it finished, not
   * here, and one retried twice in the hour counts once.
   */
  outcomes(since: Date): Promise<OutcomeCounts> {
    return this.store.outcomeCounts(since);
  }

  /** outcomes() per minute of [since, now), oldest first: every minute present (zeros where nothing ended), the first one the minute `since` falls in. */
  async perMinute(since: Date, now: Date): Promise<Array<{ minute: Date } & OutcomeCounts>> {
    const first = Math.floor(since.getTime() / MINUTE_MS) * MINUTE_MS;
    const minutes = Array.from({ length: Math.max(0, Math.ceil((now.getTime() - first) / MINUTE_MS)) }, (_, i) => ({ minute: new Date(first + i * MINUTE_MS), ...zero() }));
    for (const { minute, outcome, count } of await this.store.outcomesPerMinute(since, now)) {
      const slot = minutes[(minute.getTime() - first) / MINUTE_MS];
      if (slot) slot[outcome] += count;
    }
    return minutes;
  }

  /**
   * runtimeMs p50 and p95 per task name over the tasks finished since (SUCCESS and FAILURE), slowest p95
   * first: over the newest RUNTIME_SAMPLE of each, so the work is bounded however busy the period was
   * (interpolated percentiles: PostgreSQL's percentile_cont; on SQLite the same, computed from that sample).
   */
  runtimes(since: Date): Promise<Array<{ name: string; count: number; p50Ms: number; p95Ms: number }>> {
    return this.store.runtimePercentiles(since, RUNTIME_SAMPLE);
  }

  /** The rows retriable() and retriableCount() read: one range, so the count is what the retry takes. Null: the filter's statuses leave none. */
  private async retriableRange(filter: TaskFilter): Promise<TaskRange | null> {
    const statuses = (filter.statuses?.length ? filter.statuses : [...RETRIABLE]).filter((s) => RETRIABLE.has(s));
    return statuses.length === 0 ? null : this.bounded({ ...filter, statuses, unretried: true }, RETRY_SCAN_ROWS);
  }

  /**
   * The range bounded to the first rows its driving filter matches from its cursor: SCAN_ROWS for a filter
   * its index cannot answer alone, else `window` when one is given, else unbounded.
   */
  private async bounded(range: TaskRange, window?: number): Promise<TaskRange> {
    const indexed = INDEXED_FILTERS.filter((f) => (f === "statuses" ? Boolean(range.statuses?.length) : range[f] !== undefined));
    const rows = range.text || indexed.length >= 2 ? Math.min(SCAN_ROWS, window ?? SCAN_ROWS) : window;
    // An id is one row of the primary key: nothing to bound.
    if (range.id !== undefined || rows === undefined) return range;
    const end = await this.store.positionAt(range, rows);
    return end ? { ...range, through: end } : range;
  }
}
