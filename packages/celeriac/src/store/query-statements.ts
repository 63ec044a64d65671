/**
 * The statements of the dashboard's facets (store.ts: ResultQueries, AuditRows) that both implementations
 * spell alike, built from each one's Dialect: its placeholders, how a value is bound and a column read,
 * how JSON is matched as text and an instant cut to its minute. What only one database has (PostgreSQL's
 * percentile_cont) stays in that implementation.
 *
 * The Tasks list walks an index newest first and stops at its LIMIT: (createdAt, id) with no filter,
 * (status | name | worker | queue, createdAt, id) with one (prisma/celeriac.prisma). With several, the
 * first of INDEXED_FILTERS drives and the others are residual: checked on the rows the walk reads, and
 * spelled so that no planner walks their index instead (SQLite, without statistics, picked the worker
 * index for REVOKED + a worker, and read 200,000 rows for a page: measured). Several statuses are one
 * branch each, merged (a UNION ALL of index walks): `status IN (…) ORDER BY createdAt` would read every
 * row of those statuses and sort them. Nothing here pages by OFFSET; positionAt's OFFSET only finds where
 * a bounded scan ends, inside one index walk. A bulk retry's rows (`unretried`) leave out the tasks that
 * have a retry already: residual too, a probe of the retriedFrom index per row the walk reads.
 */
import { isTaskState, States, type TaskState } from "../states.js";
import { INDEXED_FILTERS, type FacetColumn, type RetriableTask, type WorkflowGroupItem, type WorkflowRowItem } from "../results/task-list.js";
import { OUTBOX_COLUMNS } from "../transaction/outbox-row.js";
import type { AuditRecord, ListedTask, MinuteOutcome, TaskRange } from "./store.js";

/** What a bound value is, for the dialect to convert it and, where it must, type its placeholder. */
export type ValueType = "text" | "instant" | "json" | "int";

export interface Dialect {
  /** The placeholder of the n-th bound value (1-based). */
  placeholder(n: number, type: ValueType): string;
  /** The value as the driver binds it. */
  bind(value: unknown, type: ValueType): unknown;
  /** A column in a SELECT list, named as itself (PostgreSQL reads instants as epoch milliseconds). */
  read(column: string): string;
  /** A column in a condition whose index must not drive the statement (see the module comment). */
  residual(column: string): string;
  /** A JSON column as text, for LIKE. */
  jsonText(column: string): string;
  /** The case-insensitive LIKE operator. */
  like: string;
  /** The minute an instant column falls in, as read back (see Dialect.read). */
  minuteOf(column: string): string;
}

export interface Statement {
  text: string;
  values: unknown[];
}

/** Collects the values of one statement, handing out their placeholders. */
class Binder {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: Dialect) {}

  bind(value: unknown, type: ValueType = "text"): string {
    this.values.push(this.dialect.bind(value, type));
    return this.dialect.placeholder(this.values.length, type);
  }
}

const q = (column: string) => `"${column}"`;
const NEWEST_FIRST = `ORDER BY "createdAt" DESC, "id" DESC`;

/** What a list row reads (not the result, not the stack: they can be large, and are the detail's). */
const LIST_COLUMNS = ["id", "name", "status", "args", "queue", "worker", "retries", "createdAt", "startedAt", "doneAt", "runtimeMs", "errorType", "errorMessage", "retriedFrom", "owner", "rootId", "meta"] as const;
const DETAIL_COLUMNS = [...LIST_COLUMNS, "result", "errorStack"] as const;
/** What a workflow's tree reads of each of its rows. */
const WORKFLOW_ROW_COLUMNS = ["id", "name", "status", "parentId", "groupId", "createdAt", "runtimeMs", "meta"] as const;
/** What a text search looks in. */
const TEXT_COLUMNS = [
  { column: "args", json: true },
  { column: "result", json: true },
  { column: "errorType", json: false },
  { column: "errorMessage", json: false },
] as const;

/** No row is a retry of this one (TaskRange.unretried): a correlated probe of the retriedFrom index. */
const UNRETRIED = `NOT EXISTS (SELECT 1 FROM "TaskResult" AS "retry" WHERE "retry"."retriedFrom" = "TaskResult"."id")`;

/** `text` as a LIKE pattern that finds it anywhere, its wildcards matched as themselves (ESCAPE '\'). */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

/** The column whose index a walk of `range` reads: its id, else the first of INDEXED_FILTERS it has; undefined: none (the (createdAt, id) index). */
function drivingOf(range: TaskRange): string | undefined {
  if (range.id !== undefined) return "id";
  const first = INDEXED_FILTERS.find((f) => (f === "statuses" ? Boolean(range.statuses?.length) : range[f] !== undefined));
  return first === "statuses" ? "status" : first;
}

/**
 * The range's conditions but its statuses (each branch has its own): all of them, or (`drivingOnly`) only
 * those that bound the walk of its driving index: its column, the time range, the cursor and the scan's end.
 */
function conditions(dialect: Dialect, b: Binder, range: TaskRange, drivingOnly = false): string[] {
  const driving = drivingOf(range);
  const where: string[] = [];
  for (const column of ["id", "name", "worker", "queue"] as const) {
    const value = range[column];
    if (value === undefined || (drivingOnly && column !== driving)) continue;
    where.push(`${column === driving ? q(column) : dialect.residual(column)} = ${b.bind(value)}`);
  }
  if (range.from) where.push(`"createdAt" >= ${b.bind(range.from, "instant")}`);
  if (range.to) where.push(`"createdAt" < ${b.bind(range.to, "instant")}`);
  if (range.after) where.push(`("createdAt", "id") < (${b.bind(range.after.createdAt, "instant")}, ${b.bind(range.after.id)})`);
  if (range.through) where.push(`("createdAt", "id") >= (${b.bind(range.through.createdAt, "instant")}, ${b.bind(range.through.id)})`);
  if (!drivingOnly && range.text) {
    const pattern = containing(range.text);
    const found = TEXT_COLUMNS.map(({ column, json }) => `${json ? dialect.jsonText(column) : q(column)} ${dialect.like} ${b.bind(pattern)} ESCAPE '\\'`);
    where.push(`(${found.join(" OR ")})`);
  }
  if (!drivingOnly && range.unretried) where.push(UNRETRIED);
  return where;
}

const whereOf = (conditions: string[]) => (conditions.length ? conditions.join(" AND ") : "1 = 1");
/** The statuses to walk one by one; [undefined]: one walk, any status. */
const branchesOf = (range: TaskRange): Array<TaskState | undefined> => (range.statuses?.length ? [...new Set(range.statuses)] : [undefined]);

/** The range's rows in the list's order, `limit` per branch, `columns` of each, merged. */
function walk(dialect: Dialect, b: Binder, range: TaskRange, limit: number, columns: readonly string[], drivingOnly = false): string {
  const branches = branchesOf(range).map((status, i) => {
    const where = [...(status === undefined ? [] : [`"status" = ${b.bind(status)}`]), ...conditions(dialect, b, range, drivingOnly)];
    return `SELECT * FROM (SELECT ${columns.map(q).join(", ")} FROM "TaskResult" WHERE ${whereOf(where)} ${NEWEST_FIRST} LIMIT ${b.bind(limit, "int")}) AS "b${i}"`;
  });
  return branches.join(" UNION ALL ");
}

export function listStatement(dialect: Dialect, range: TaskRange, limit: number): Statement {
  const b = new Binder(dialect);
  const rows = walk(dialect, b, range, limit, LIST_COLUMNS);
  return { text: `SELECT ${LIST_COLUMNS.map(dialect.read).join(", ")} FROM (${rows}) AS "rows" ${NEWEST_FIRST} LIMIT ${b.bind(limit, "int")}`, values: b.values };
}

export function positionStatement(dialect: Dialect, range: TaskRange, n: number): Statement {
  const b = new Binder(dialect);
  const rows = walk(dialect, b, range, n, ["createdAt", "id"], true);
  return { text: `SELECT ${dialect.read("createdAt")}, "id" FROM (${rows}) AS "rows" ${NEWEST_FIRST} LIMIT 1 OFFSET ${b.bind(n - 1, "int")}`, values: b.values };
}

/** Unordered, so one index range (or a bitmap of several) serves it; the LIMIT bounds the work. */
export function countStatement(dialect: Dialect, range: TaskRange, cap: number): Statement {
  const b = new Binder(dialect);
  const statuses = branchesOf(range).filter((s) => s !== undefined);
  const where = [...(statuses.length ? [`"status" IN (${statuses.map((s) => b.bind(s)).join(", ")})`] : []), ...conditions(dialect, b, range)];
  return { text: `SELECT count(*) AS "n" FROM (SELECT 1 AS "one" FROM "TaskResult" WHERE ${whereOf(where)} LIMIT ${b.bind(cap, "int")}) AS "matching"`, values: b.values };
}

export function detailStatements(dialect: Dialect, id: string): { row: Statement; outbox: Statement; retriedTo: Statement } {
  return {
    row: { text: `SELECT ${DETAIL_COLUMNS.map(dialect.read).join(", ")} FROM "TaskResult" WHERE "id" = ${dialect.placeholder(1, "text")}`, values: [id] },
    outbox: { text: `SELECT ${OUTBOX_COLUMNS.map(dialect.read).join(", ")} FROM "TaskOutbox" WHERE "id" = ${dialect.placeholder(1, "text")}`, values: [id] },
    retriedTo: { text: `SELECT "id" FROM "TaskResult" WHERE "retriedFrom" = ${dialect.placeholder(1, "text")} ORDER BY "createdAt", "id"`, values: [id] },
  };
}

/**
 * A workflow's rows (by rootId: one range of its index) or one of them (by id), `limit` at most, in the
 * index's order. No ORDER BY: sorting would read every row of a large group before the LIMIT; the tree
 * orders what it gets.
 */
export function workflowRowsStatement(dialect: Dialect, column: "rootId" | "id", value: string, limit: number): Statement {
  const b = new Binder(dialect);
  return { text: `SELECT ${WORKFLOW_ROW_COLUMNS.map(dialect.read).join(", ")} FROM "TaskResult" WHERE ${q(column)} = ${b.bind(value)} LIMIT ${b.bind(limit, "int")}`, values: b.values };
}

/** The TaskGroup rows of these ids (one primary-key probe each); the callback read for its task's name. */
export function workflowGroupsStatement(dialect: Dialect, ids: readonly string[]): Statement {
  const b = new Binder(dialect);
  const marks = ids.map((id) => b.bind(id)).join(", ");
  return { text: `SELECT "id", "memberIds", "parentId", "callbackId", "callback", ${dialect.read("createdAt")} FROM "TaskGroup" WHERE "id" IN (${marks})`, values: b.values };
}

/** A row of workflowRowsStatement. */
export function workflowRow(r: Record<string, unknown>, read: Readers): WorkflowRowItem {
  return {
    id: String(r.id),
    name: String(r.name),
    status: stateOf(r.status),
    parentId: text(r.parentId),
    groupId: text(r.groupId),
    createdAt: read.instant(r.createdAt)!,
    runtimeMs: numberOrNull(r.runtimeMs),
    meta: read.json(r.meta),
  };
}

/** A row of workflowGroupsStatement. */
export function workflowGroup(r: Record<string, unknown>, read: Readers): WorkflowGroupItem {
  const memberIds = read.json(r.memberIds);
  const callback = read.json(r.callback) as { task?: unknown } | null;
  return {
    id: String(r.id),
    memberIds: Array.isArray(memberIds) ? memberIds.map(String) : [],
    parentId: text(r.parentId),
    callbackId: text(r.callbackId),
    callbackName: typeof callback?.task === "string" ? callback.task : null,
    createdAt: read.instant(r.createdAt)!,
  };
}

/**
 * A loose index scan: each step is one probe of the column's index for the next value up, so listing 30
 * names costs 30 probes however many rows hold them (a DISTINCT would read every row).
 */
export function distinctStatement(dialect: Dialect, column: FacetColumn, max: number): Statement {
  const c = q(column);
  const next = (after: string) => `(SELECT ${c} FROM "TaskResult" WHERE ${after} ORDER BY ${c} LIMIT 1)`;
  const text = `WITH RECURSIVE "found"("value", "n") AS (
    SELECT ${next(`${c} IS NOT NULL`)}, 1
    UNION ALL SELECT ${next(`${c} > "found"."value"`)}, "n" + 1 FROM "found" WHERE "found"."value" IS NOT NULL AND "n" < ${dialect.placeholder(1, "int")}
  ) SELECT "value" FROM "found" WHERE "value" IS NOT NULL`;
  return { text, values: [dialect.bind(max, "int")] };
}

const RETRY_LINK_COLUMNS = ["id", "name", "args", "status", "queue", "owner", "retries", "createdAt", "retriedFrom"] as const;

export function linkRetryStatement(dialect: Dialect, row: RetriableTask, originalId: string, at: Date): Statement {
  const b = new Binder(dialect);
  const values = [b.bind(row.id), b.bind(row.name), b.bind(row.args, "json"), b.bind(States.PENDING), b.bind(row.queue), b.bind(row.owner), b.bind(0, "int"), b.bind(at, "instant"), b.bind(originalId)];
  const text = `INSERT INTO "TaskResult" (${RETRY_LINK_COLUMNS.map(q).join(", ")}) VALUES (${values.join(", ")})
    ON CONFLICT ("id") DO UPDATE SET "retriedFrom" = excluded."retriedFrom"`;
  return { text, values: b.values };
}

/** The finished statuses the overview counts, by their OutcomeCounts key. */
const FINISHED = { succeeded: States.SUCCESS, failed: States.FAILURE, revoked: States.REVOKED } as const;

/** Each count one range of the (status, doneAt) index; RETRY rows, never done, by their last run's start. */
export function outcomeStatement(dialect: Dialect, since: Date): Statement {
  const b = new Binder(dialect);
  const counts = Object.entries(FINISHED).map(([key, status]) => `(SELECT count(*) FROM "TaskResult" WHERE "status" = ${b.bind(status)} AND "doneAt" >= ${b.bind(since, "instant")}) AS ${q(key)}`);
  counts.push(`(SELECT count(*) FROM "TaskResult" WHERE "status" = ${b.bind(States.RETRY)} AND "startedAt" >= ${b.bind(since, "instant")}) AS "retried"`);
  return { text: `SELECT ${counts.join(", ")}`, values: b.values };
}

/** Rows (minute, status, n); the caller maps status to its OutcomeCounts key. */
export function perMinuteStatement(dialect: Dialect, since: Date, until: Date): Statement {
  const b = new Binder(dialect);
  const per = (column: string, statuses: readonly string[]) => {
    const minute = dialect.minuteOf(column);
    return `SELECT ${minute} AS "minute", "status", count(*) AS "n" FROM "TaskResult"
      WHERE "status" IN (${statuses.map((s) => b.bind(s)).join(", ")}) AND ${q(column)} >= ${b.bind(since, "instant")} AND ${q(column)} < ${b.bind(until, "instant")}
      GROUP BY ${minute}, "status"`;
  };
  return { text: `${per("doneAt", Object.values(FINISHED))} UNION ALL ${per("startedAt", [States.RETRY])}`, values: b.values };
}

/** The key of OutcomeCounts a status is counted under. */
const OUTCOME_OF: Readonly<Record<string, MinuteOutcome["outcome"]>> = { SUCCESS: "succeeded", FAILURE: "failed", REVOKED: "revoked", RETRY: "retried" };

/** The newest `sample` SUCCESS and the newest `sample` FAILURE rows finished since, as ("name", "runtimeMs"): each a walk of the (status, doneAt) index. */
export function runtimeSample(dialect: Dialect, since: Date, sample: number): Statement {
  const b = new Binder(dialect);
  const branch = (status: string, i: number) =>
    `SELECT * FROM (SELECT "name", "runtimeMs" FROM "TaskResult" WHERE "status" = ${b.bind(status)} AND "doneAt" >= ${b.bind(since, "instant")} AND "runtimeMs" IS NOT NULL
      ORDER BY "doneAt" DESC LIMIT ${b.bind(sample, "int")}) AS "s${i}"`;
  return { text: [States.SUCCESS, States.FAILURE].map(branch).join(" UNION ALL "), values: b.values };
}

const AUDIT_COLUMNS = ["id", "at", "actor", "action", "target", "detail"] as const;

/** The columns these statements use besides the result writer's (results/row.ts) and the outbox's: for the schema check. */
export const QUERY_TABLES = { TaskResult: ["retriedFrom"], AuditLog: [...AUDIT_COLUMNS, "requestKey"] } as const;

export function auditStatements(dialect: Dialect) {
  const read = AUDIT_COLUMNS.map(dialect.read).join(", ");
  const p = (n: number, type: ValueType = "text") => dialect.placeholder(n, type);
  return {
    insert: (entry: Omit<AuditRecord, "id"> & { requestKey: string | null }): Statement => {
      const b = new Binder(dialect);
      const values = [b.bind(entry.at, "instant"), b.bind(entry.actor), b.bind(entry.action), b.bind(entry.target), b.bind(entry.detail ?? null, "json"), b.bind(entry.requestKey)];
      return {
        text: `INSERT INTO "AuditLog" ("at", "actor", "action", "target", "detail", "requestKey") VALUES (${values.join(", ")}) ON CONFLICT ("requestKey") DO NOTHING RETURNING ${read}`,
        values: b.values,
      };
    },
    byRequestKey: (key: string): Statement => ({ text: `SELECT ${read} FROM "AuditLog" WHERE "requestKey" = ${p(1)}`, values: [key] }),
    update: (id: number, detail: unknown): Statement => ({
      text: `UPDATE "AuditLog" SET "detail" = ${p(1, "json")} WHERE "id" = ${p(2, "int")}`,
      values: [dialect.bind(detail ?? null, "json"), id],
    }),
    page: (before: number | undefined, limit: number): Statement =>
      before === undefined
        ? { text: `SELECT ${read} FROM "AuditLog" ORDER BY "id" DESC LIMIT ${p(1, "int")}`, values: [limit] }
        : { text: `SELECT ${read} FROM "AuditLog" WHERE "id" < ${p(1, "int")} ORDER BY "id" DESC LIMIT ${p(2, "int")}`, values: [before, limit] },
  };
}

/** How an implementation turns what its driver returns into values: instants (epoch ms, or text) and JSON (parsed, or text). */
export interface Readers {
  instant(value: unknown): Date | null;
  json(value: unknown): unknown;
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
const numberOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** A status column; a value that is no TaskState reads as PENDING, so one odd row does not fail a whole page. */
const stateOf = (v: unknown): TaskState => {
  const status = String(v);
  return isTaskState(status) ? status : States.PENDING;
};

/** A row of listStatement (or detailStatements' row, less its result and stack). */
export function listedTask(r: Record<string, unknown>, read: Readers): ListedTask {
  return {
    id: String(r.id),
    name: String(r.name),
    status: stateOf(r.status),
    args: read.json(r.args),
    queue: text(r.queue),
    worker: text(r.worker),
    retries: Number(r.retries),
    createdAt: read.instant(r.createdAt)!,
    startedAt: read.instant(r.startedAt),
    doneAt: read.instant(r.doneAt),
    runtimeMs: numberOrNull(r.runtimeMs),
    errorType: text(r.errorType),
    errorMessage: text(r.errorMessage),
    retriedFrom: text(r.retriedFrom),
    owner: text(r.owner),
    rootId: text(r.rootId),
    meta: read.json(r.meta),
  };
}

/** A row of perMinuteStatement, its minute read by the implementation. */
export const minuteOutcome = (r: Record<string, unknown>, minute: Date): MinuteOutcome => ({ minute, outcome: OUTCOME_OF[String(r.status)]!, count: Number(r.n) });

export function auditRecord(r: Record<string, unknown>, read: Readers): AuditRecord {
  return { id: Number(r.id), at: read.instant(r.at)!, actor: String(r.actor), action: String(r.action), target: String(r.target), detail: read.json(r.detail) };
}
