/**
 * celeriac's storage port, beneath Prisma: every statement on its two tables, TaskResult (the result rows)
 * and TaskOutbox (durable dispatch), and the catalog reads of the schema check, through the database
 * driver itself. Measured on the result table (issue 10): a Prisma upsert costs ~1,000 µs of client CPU
 * per row; the same statement through `pg` ~75 µs, and `pg` with `unnest` over 200 rows ~4 µs a row; a
 * better-sqlite3 prepared statement ~20 µs, 200 rows in one transaction ~2 µs a row. And the outbox relay
 * runs in every worker: going through Prisma loaded its query compiler there (~50 MB, measured) for a query
 * a second. The Prisma models stay the schema and the migrations; these statements only read and write
 * their columns.
 *
 * Five facets, each taken by the part that uses it: ResultRows (the result backend, results/sql-backend.ts),
 * OutboxRows (transaction/outbox.ts, for the fast path and the relay), SchemaCatalog (the schema check),
 * and, as `store.queries`, ResultQueries and AuditRows (the dashboard: results/queries.ts, results/audit.ts).
 * Implementations: postgres.ts (`pg`) and sqlite.ts (`better-sqlite3`), each holding its SQL or its dialect
 * of the statements both spell alike (find-statement.ts; the dashboard's, query-statements.ts, run by
 * queries.ts); open one with openTaskStore() (open.ts), the only module that imports them.
 * store.int.test.ts is what an implementation must satisfy: it runs on both.
 */
import type { TaskRecord } from "../results/backend.js";
import type { ResultRow } from "../results/row.js";
import type { FacetColumn, OutcomeCounts, RetriableTask, TaskFilter, TaskListItem, WorkflowGroupItem, WorkflowRowItem } from "../results/task-list.js";
import type { NewOutboxRow, OutboxRow } from "../transaction/outbox-row.js";
import type { ChordFiring, GroupRow, MemberState } from "../canvas/group-row.js";

/** The TaskResult table. */
export interface ResultRows {
  /**
   * Inserts or updates every row in one statement (PostgreSQL) or one transaction (SQLite): all or none.
   * The ids are distinct. A STARTED row keeps the stored outcome columns (see results/row.ts).
   */
  upsert(rows: readonly ResultRow[]): Promise<void>;
  /**
   * Why the database refused the values of the rows a failed upsert() was given, when `error` says so: text
   * or JSON it cannot hold, a value out of range or that could not be bound. Writing the same rows again
   * would fail again (the writer then finds the row and stores it without them). Undefined for anything
   * else (the database down or busy, a table missing): retrying may succeed.
   */
  refused(error: unknown): string | undefined;
  /** Inserts PENDING rows whose ids have no row yet; a row a worker wrote first is left as it is. */
  insertPending(rows: readonly ResultRow[]): Promise<void>;
  /**
   * The task's row; else its outbox row as a PENDING record; else null. One statement either way, so
   * an id without a row takes as long to answer as one with a row (find-statement.ts). With `ownedBy`,
   * only a row whose owner is one of those: another's (or an ownerless one) is null, at a miss's cost.
   */
  find(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null>;
  /** REVOKED on a PENDING or RETRY row; other rows are left as they are. */
  revoke(id: string, reason: string, at: Date): Promise<void>;
  /** Deletes finished rows (SUCCESS, FAILURE, REVOKED) done before `before`; returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
}

/** A statement for someone else's connection to run, as Prisma's `$executeRawUnsafe(text, ...values)` takes it. */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** Which unsent rows a relay's claim takes. */
export interface ClaimWindow {
  /** Rows created before this (younger ones are the fast path's). */
  olderThan: Date;
  /** A claim made before this is dead (its sender died) and may be taken over. */
  leaseExpired: Date;
  /** Most rows taken. */
  limit: number;
}

/**
 * The TaskOutbox table. A row is inserted by the caller's transaction (it must commit with the caller's
 * writes), so the store only spells that statement; every other statement runs on the store's connection.
 */
export interface OutboxRows {
  /**
   * The INSERT of `rows` (at least one) as one statement, for the caller's transaction client to run:
   * `tx.$executeRawUnsafe(text, ...values)`. Placeholders and value types are this store's dialect's.
   */
  outboxInsert(rows: readonly NewOutboxRow[]): SqlStatement;
  /** Claims the row if it is unsent and unclaimed (the fast path's claim of a row it committed): true if this caller got it. */
  claimOne(id: string, now: Date): Promise<boolean>;
  /**
   * Claims, in one statement, up to `limit` unsent rows created before `olderThan` that are unclaimed or
   * claimed before `leaseExpired`: sets their claim to `now`, adds one to their attempts, and returns them
   * with every column as they are after it, in no particular order. Concurrent callers never get the same
   * row (PostgreSQL skips rows another claim has locked; SQLite has one writer at a time).
   */
  claimBatch(now: Date, window: ClaimWindow): Promise<OutboxRow[]>;
  /** True when the task has a TaskResult row (a worker took it): a re-send after a lost claim must not run it again. */
  taken(id: string): Promise<boolean>;
  /** Marks the rows sent at `now` and clears their last error, in one statement (the fast path's marks are group-committed). */
  markDispatchedMany(ids: readonly string[], now: Date): Promise<void>;
  /** Gives an unsent row back (no claim), with the error its send failed with. A sent row is left as it is. */
  release(id: string, error: string): Promise<void>;
  /** Deletes rows sent before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

/** A row of Prisma's migration history (`_prisma_migrations`). */
export interface AppliedMigration {
  name: string;
  finished: boolean;
  rolledBack: boolean;
}

/** What the schema check reads (results/schema-check.ts). */
export interface SchemaCatalog {
  /**
   * Every column of every table where this store's unqualified statements resolve, read from the catalog
   * (not information_schema, which shows a role only the columns it holds a privilege on).
   */
  columns(): Promise<Array<{ table: string; column: string }>>;
  /** Prisma's migration history, when there is one; undefined when this role may not read it. */
  appliedMigrations(): Promise<AppliedMigration[] | undefined>;
  /**
   * The database is not migrated for this build, and someone is about to migrate it: let go of what would
   * stop them. SQLite closes its connection (Prisma's `migrate deploy` takes the file in EXCLUSIVE locking
   * mode, and times out while any other connection has it open) and reopens it at its next statement.
   */
  makeWayForMigration(): Promise<void>;
}

/** A row's place in the Tasks list's order: createdAt DESC, then id DESC. */
export interface ListPosition {
  createdAt: Date;
  id: string;
}

/** A filter with the bounds of a page: where the previous page ended, and where a bounded scan stops. */
export interface TaskRange extends TaskFilter {
  /** Only rows after this one in the list's order (older, or as old with a smaller id). */
  after?: ListPosition;
  /** Only rows up to this one in the list's order (this one, and newer): where a bounded scan stops. */
  through?: ListPosition;
  /**
   * Only rows no task was retried from (no row's retriedFrom is their id): what a bulk retry takes. Checked
   * on the rows the walk reads (one probe of the retriedFrom index each), as a text is.
   */
  unretried?: boolean;
}

/** A list row and the owner (a retry sends it again under the same owner). */
export type ListedTask = TaskListItem & { owner: string | null };

/** How many tasks ended one way in one minute (the minutes without any are not listed). */
export interface MinuteOutcome {
  minute: Date;
  outcome: keyof OutcomeCounts;
  count: number;
}

export interface RuntimePercentiles {
  name: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * The dashboard's statements on TaskResult (results/queries.ts): the Tasks list and its facets, one task
 * whole, the overview's aggregates, and the one write, the retry's link. Every read is bounded by an index
 * range or a LIMIT (the lists, the counts, the samples), so it costs the same on a table of a million rows.
 */
export interface ResultQueries {
  /** Up to `limit` rows in `range`, newest first (createdAt DESC, id DESC). */
  listTasks(range: TaskRange, limit: number): Promise<ListedTask[]>;
  /**
   * The place of the n-th row (1: the first) of the walk `range` drives (query-statements.ts): its id, or
   * statuses, or the first of name, worker, queue it has, with its time range and cursor; the rest of it
   * (the other columns, the text, `unretried`) not applied. Null when fewer rows are there.
   */
  positionAt(range: TaskRange, n: number): Promise<ListPosition | null>;
  /** How many rows are in `range`, counting to `cap` at most. */
  countTasks(range: TaskRange, cap: number): Promise<number>;
  /** The task's row, its TaskOutbox row, and the ids of the rows retried from it, oldest first. */
  taskDetail(id: string): Promise<{ row: (ListedTask & { result: unknown; errorStack: string | null }) | null; outbox: OutboxRow | null; retriedTo: string[] }>;
  /**
   * A workflow's rows: `limit` of those whose rootId is `rootId` at most (a range of the rootId index, in
   * no order; `truncated` when it holds more), and the row of `taskId` if it was not among them; the
   * TaskGroup rows they point to by groupId, and the root's if it is a group (primary-key probes).
   */
  workflow(rootId: string, taskId: string, limit: number): Promise<{ rows: WorkflowRowItem[]; truncated: boolean; groups: WorkflowGroupItem[] }>;
  /** The column's distinct values, sorted, `max` at most: a loose index scan (one index probe per value). */
  distinctValues(column: FacetColumn, max: number): Promise<string[]>;
  /**
   * The retry's PENDING row, linked to the task it retries: inserted when the id has no row yet (created
   * `at`), else only its retriedFrom is set. A worker's writes never touch retriedFrom (results/row.ts).
   */
  linkRetry(row: RetriableTask, originalId: string, at: Date): Promise<void>;
  /** Finished (doneAt ≥ since) SUCCESS, FAILURE and REVOKED rows, and RETRY rows whose last run started since. */
  outcomeCounts(since: Date): Promise<OutcomeCounts>;
  /** The same counts per minute of [since, until) (by doneAt; a RETRY by its run's start); minutes without any left out. */
  outcomesPerMinute(since: Date, until: Date): Promise<MinuteOutcome[]>;
  /**
   * runtimeMs percentiles (interpolated, as PostgreSQL's percentile_cont) per task name, over the newest
   * `sample` SUCCESS and the newest `sample` FAILURE rows finished since; slowest p95 first.
   */
  runtimePercentiles(since: Date, sample: number): Promise<RuntimePercentiles[]>;
}

/** One AuditLog row. */
export interface AuditRecord {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

/** The AuditLog table (results/audit.ts). */
export interface AuditRows {
  /** Inserts the entry; null (nothing inserted) when an entry with its requestKey exists. */
  insertAudit(entry: Omit<AuditRecord, "id"> & { requestKey: string | null }): Promise<AuditRecord | null>;
  auditByRequestKey(requestKey: string): Promise<AuditRecord | null>;
  updateAuditDetail(id: number, detail: unknown): Promise<void>;
  /** Up to `limit` entries with an id below `before` (all, without it), newest first. */
  auditEntries(before: number | undefined, limit: number): Promise<AuditRecord[]>;
}

/** The TaskGroup table and what workflows need of the others (canvas/). */
export interface GroupRows {
  /** The INSERT of a group row for a caller's transaction client (a workflow dispatched inside transaction()). */
  groupInsert(row: GroupRow): SqlStatement;
  /** Inserts the group row on the store's connection; a row with its id already there is left. */
  insertGroup(row: GroupRow): Promise<void>;
  findGroup(id: string): Promise<GroupRow | null>;
  /** Deletes group rows made before `before` (result expiry: their members' rows go the same way); returns how many. */
  deleteGroupsBefore(before: Date): Promise<number>;
  /** How many of a group's members have finished, and how many of those did not succeed: read without a lock. */
  groupFinished(groupId: string): Promise<{ finished: number; failed: number }>;
  /** The TaskResult rows of these ids that exist, in any order. */
  findMany(ids: readonly string[]): Promise<TaskRecord[]>;
  /**
   * Inserts outbox rows on the store's connection (a workflow's next steps, sent by a worker); an id
   * already there is left as it is (the continuation of a task that ran twice). Returns the ids inserted.
   */
  insertOutbox(rows: readonly NewOutboxRow[]): Promise<string[]>;
  /**
   * Completes a chord at most once: in one transaction, reads its members' states and, when `decide`
   * answers what to write (all members finished), claims the group (firedAt, a conditional UPDATE) and
   * writes that with the claim. Undefined when the chord is not complete or another caller claimed it.
   */
  fireChord(groupId: string, now: Date, decide: (members: MemberState[]) => ChordFiring | undefined): Promise<ChordFiring | undefined>;
}

export interface TaskStore extends ResultRows, OutboxRows, SchemaCatalog {
  /** Which database this is, for messages and tests: nothing outside the implementations branches on it. */
  readonly dialect: "postgresql" | "sqlite";
  /** The dashboard's statements, on this store's connection. */
  readonly queries: ResultQueries & AuditRows;
  readonly groups: GroupRows;
  close(): Promise<void>;
}

/**
 * For refused(): a value that could not be bound fails in this process, before any statement (an invalid
 * Date's toISOString(), a value JSON.stringify refuses), and fails again at every retry.
 */
export const unbindable = (error: unknown): string | undefined =>
  error instanceof RangeError || error instanceof TypeError ? `a value that cannot be written: ${error.message}` : undefined;
