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
 * Three facets, each taken by the part that uses it: ResultRows (the result backend, results/sql-backend.ts),
 * OutboxRows (transaction/outbox.ts, for the fast path and the relay), SchemaCatalog (the schema check).
 * Implementations: postgres.ts (`pg`) and sqlite.ts (`better-sqlite3`), each holding all of its SQL; open
 * one with openTaskStore() (open.ts), the only module that imports them. store.int.test.ts is what an
 * implementation must satisfy: it runs on both.
 */
import type { TaskRecord } from "../results/backend.js";
import type { ResultRow } from "../results/row.js";
import type { NewOutboxRow, OutboxRow } from "../transaction/outbox-row.js";

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

export interface TaskStore extends ResultRows, OutboxRows, SchemaCatalog {
  /** Which database this is, for messages and tests: nothing outside the implementations branches on it. */
  readonly dialect: "postgresql" | "sqlite";
  close(): Promise<void>;
}

/**
 * For refused(): a value that could not be bound fails in this process, before any statement (an invalid
 * Date's toISOString(), a value JSON.stringify refuses), and fails again at every retry.
 */
export const unbindable = (error: unknown): string | undefined =>
  error instanceof RangeError || error instanceof TypeError ? `a value that cannot be written: ${error.message}` : undefined;
