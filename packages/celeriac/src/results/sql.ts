/**
 * The result store's hot path, beneath Prisma: the TaskResult (and TaskOutbox) tables through the
 * database driver itself. Measured on this table (issue 10): a Prisma upsert costs ~1,000 µs of client
 * CPU per row; the same statement through `pg` ~75 µs, and `pg` with `unnest` over 200 rows ~4 µs a row;
 * a better-sqlite3 prepared statement ~20 µs, 200 rows in one transaction ~2 µs a row. The Prisma models
 * stay the schema and the migrations; these statements only read and write their columns.
 * Implementations: postgres.ts (`pg`), sqlite.ts (`better-sqlite3`); open one with openResultSql().
 */
import type { TaskRecord } from "./backend.js";
import type { ResultRow } from "./row.js";

export interface ResultSql {
  /** "postgresql" or "sqlite", for banners and dialect-specific callers. */
  readonly dialect: "postgresql" | "sqlite";
  /**
   * Inserts or updates every row in one statement (PostgreSQL) or one transaction (SQLite): all or none.
   * The ids are distinct. A STARTED row keeps the stored outcome columns (see row.ts).
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
   * an id without a row takes as long to answer as one with a row (row.ts findStatement). With `ownedBy`,
   * only a row whose owner is one of those: another's (or an ownerless one) is null, at a miss's cost.
   */
  find(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null>;
  /** REVOKED on a PENDING or RETRY row; other rows are left as they are. */
  revoke(id: string, reason: string, at: Date): Promise<void>;
  /** Deletes finished rows (SUCCESS, FAILURE, REVOKED) done before `before`; returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
  /**
   * One statement of this store's dialect on its own connection (placeholders `$1…` on PostgreSQL, `?` on
   * SQLite): for the outbox relay's few statements, so a worker that only runs tasks and relays never loads
   * Prisma's query compiler (~50 MB of its memory, measured). Resolves the rows (a query) and the count of
   * rows changed.
   */
  run<T = Record<string, unknown>>(text: string, values: readonly unknown[]): Promise<{ rows: T[]; count: number }>;
  close(): Promise<void>;
}

/**
 * For refused(): a value that could not be bound fails in this process, before any statement (an invalid
 * Date's toISOString(), a value JSON.stringify refuses), and fails again at every retry.
 */
export const unbindable = (error: unknown): string | undefined =>
  error instanceof RangeError || error instanceof TypeError ? `a value that cannot be written: ${error.message}` : undefined;
