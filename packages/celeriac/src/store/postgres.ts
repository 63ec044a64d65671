/**
 * The task store on PostgreSQL through `pg` (see store.ts for why not Prisma): all of its SQL, for the
 * result rows, the outbox and the schema check. A batch of result rows is one statement: `INSERT … SELECT
 * FROM unnest($1::text[], …) ON CONFLICT (id) DO UPDATE`, so a flush of 200 rows costs one round trip.
 * Timestamps travel as UTC text and come back as epoch milliseconds: the columns are Prisma's TIMESTAMP(3)
 * without a zone, holding UTC, whatever this process's TZ.
 */
import type pg from "pg";
import { loadPg } from "./driver.js";
import { ConfigError } from "../errors.js";
import { READY_STATES, States } from "../states.js";
import type { TaskRecord } from "../results/backend.js";
import { COLUMNS, recordFromRow, type Column, type ResultRow } from "../results/row.js";
import { NEW_OUTBOX_COLUMNS, OUTBOX_COLUMNS, OUTBOX_JSON_COLUMNS, type NewOutboxRow, type OutboxRow, type OutboxWorkflow } from "../transaction/outbox-row.js";
import { findStatement } from "./find-statement.js";
import { RESULT_UPSERT_SET } from "./result-upsert.js";
import { StoreQueries } from "./queries.js";
import type { Dialect, ValueType } from "./query-statements.js";
import { groupStatements, groupValues } from "./group-statements.js";
import type { GroupRow, MemberState } from "../canvas/group-row.js";
import { unbindable, type AppliedMigration, type GroupRows, type ClaimWindow, type SqlStatement, type TaskStore } from "./store.js";

const TYPES: Record<Column, string> = {
  id: "text",
  createdAt: "timestamp(3)",
  name: "text",
  args: "jsonb",
  status: "text",
  queue: "text",
  worker: "text",
  retries: "int4",
  startedAt: "timestamp(3)",
  result: "jsonb",
  errorType: "text",
  errorMessage: "text",
  errorStack: "text",
  doneAt: "timestamp(3)",
  runtimeMs: "float8",
  owner: "text",
  parentId: "text",
  rootId: "text",
  groupId: "text",
  meta: "jsonb",
};

const q = (column: string) => `"${column}"`;
const unnest = `SELECT * FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${TYPES[c]}[]`).join(", ")})`;
const INSERT = `INSERT INTO "TaskResult" (${COLUMNS.map(q).join(", ")}) ${unnest}`;
const UPSERT = `${INSERT} ON CONFLICT ("id") DO UPDATE ${RESULT_UPSERT_SET}`;
/** A lone row (a quiet worker's every write) as plain VALUES: ~60 µs less per statement than unnest, measured. */
const UPSERT_ONE = `INSERT INTO "TaskResult" (${COLUMNS.map(q).join(", ")}) VALUES (${COLUMNS.map((c, i) => `$${i + 1}::${TYPES[c]}`).join(", ")})
  ON CONFLICT ("id") DO UPDATE ${RESULT_UPSERT_SET}`;
const INSERT_PENDING = `${INSERT} ON CONFLICT ("id") DO NOTHING`;

const epochMs = (c: string) => `(EXTRACT(EPOCH FROM ${q(c)}) * 1000)::float8 AS ${q(c)}`;
const TIMESTAMPS = new Set(["createdAt", "startedAt", "doneAt"]);
const readColumn = (c: Column) => (TIMESTAMPS.has(c) ? epochMs(c) : q(c));
const FIND = findStatement("$1", readColumn);
const FIND_OWNED = findStatement("$1", readColumn, "= ANY($2::text[])");
const REVOKE = `UPDATE "TaskResult" SET "status" = 'REVOKED', "errorType" = 'TaskRevokedError', "errorMessage" = $2, "doneAt" = $3::timestamp(3)
  WHERE "id" = $1 AND "status" IN ('${States.PENDING}', '${States.RETRY}')`;
const DELETE_FINISHED = `DELETE FROM "TaskResult" WHERE "status" = ANY($1::text[]) AND "doneAt" < $2::timestamp(3)`;

const OUTBOX_DATES = new Set<string>(["runAt", "expires", "createdAt", "claimedAt", "dispatchedAt"]);
const CLAIM_ONE = `UPDATE "TaskOutbox" SET "claimedAt" = $1::timestamp(3) WHERE "id" = $2 AND "dispatchedAt" IS NULL AND "claimedAt" IS NULL`;
/** FOR UPDATE SKIP LOCKED: concurrent relays split the due rows between them instead of waiting on each other. */
const CLAIM_BATCH = `UPDATE "TaskOutbox" SET "claimedAt" = $1::timestamp(3), "attempts" = "attempts" + 1
       WHERE "id" IN (
         SELECT "id" FROM "TaskOutbox"
         WHERE "dispatchedAt" IS NULL AND "createdAt" < $2::timestamp(3) AND ("claimedAt" IS NULL OR "claimedAt" < $3::timestamp(3))
         ORDER BY "createdAt" LIMIT $4
         FOR UPDATE SKIP LOCKED)
       RETURNING ${OUTBOX_COLUMNS.map((c) => (OUTBOX_DATES.has(c) ? epochMs(c) : q(c))).join(", ")}`;
const TAKEN = `SELECT 1 AS "found" FROM "TaskResult" WHERE "id" = $1`;
const MARK_DISPATCHED = `UPDATE "TaskOutbox" SET "dispatchedAt" = $1::timestamp(3), "lastError" = NULL WHERE "id" = ANY($2::text[])`;
const RELEASE = `UPDATE "TaskOutbox" SET "claimedAt" = NULL, "lastError" = $1 WHERE "id" = $2 AND "dispatchedAt" IS NULL`;
const PRUNE = `DELETE FROM "TaskOutbox" WHERE "dispatchedAt" IS NOT NULL AND "dispatchedAt" < $1::timestamp(3)`;
const OUTBOX_INSERT = `INSERT INTO "TaskOutbox" (${NEW_OUTBOX_COLUMNS.map(q).join(", ")}) VALUES `;

/**
 * current_schema(): where this store's unqualified "TaskResult" resolves (the search path's first schema).
 * Tables (r) and partitioned tables (p), their live columns; readable by every role.
 */
const CATALOG = `SELECT c.relname AS "table", a.attname AS "column" FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;
const APPLIED = `SELECT "migration_name" AS "name", ("finished_at" IS NOT NULL) AS "finished", ("rolled_back_at" IS NOT NULL) AS "rolledBack" FROM "_prisma_migrations"`;
/** insufficient_privilege: only the deploy role may read the migration history. */
const NO_PRIVILEGE = "42501";
/** duplicate_prepared_statement, invalid_sql_statement_name: what named statements meet behind a transaction pooler. */
const DUPLICATE_PREPARED = "42P05";
const UNKNOWN_PREPARED = "26000";

/** UTC wall time without a zone, as TIMESTAMP(3) columns hold it. */
const utc = (d: Date | null) => (d === null ? null : d.toISOString().slice(0, -1));
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
const date = (ms: number | null) => (ms === null ? null : new Date(ms));

function columnsOf(rows: readonly ResultRow[]): unknown[][] {
  return COLUMNS.map((c) =>
    rows.map((r) => (TYPES[c] === "jsonb" ? json(r[c]) : TYPES[c].startsWith("timestamp") ? utc(r[c] as Date | null) : r[c])),
  );
}

/**
 * SQLSTATE classes of a statement refused for its values: 22 data exception (22P05 "unsupported Unicode
 * escape sequence", 22021 invalid byte sequence, 22P02 invalid JSON), 23 integrity constraint violation,
 * 54 program limit exceeded (a value over an index's row size, a jsonb too large).
 */
const REFUSED_CLASSES = new Set(["22", "23", "54"]);

/** Every instant column the dashboard's statements read (TaskResult, TaskOutbox, AuditLog). */
const INSTANTS = new Set([...TIMESTAMPS, ...OUTBOX_DATES, "at"]);
const CASTS: Record<ValueType, string> = { text: "", instant: "::timestamp(3)", json: "::jsonb", int: "" };
const DIALECT: Dialect = {
  placeholder: (n, type) => `$${n}${CASTS[type]}`,
  bind: (value, type) => (type === "instant" ? utc(value as Date) : type === "json" ? json(value) : value),
  read: (c) => (INSTANTS.has(c) ? epochMs(c) : q(c)),
  // Its planner weighs each index by the table's statistics (autovacuum's ANALYZE): no hint needed.
  residual: q,
  jsonText: (c) => `${q(c)}::text`,
  like: "ILIKE",
  minuteOf: (c) => `(EXTRACT(EPOCH FROM date_trunc('minute', ${q(c)})) * 1000)::float8`,
};
/** Over runtimeSample()'s rows: PostgreSQL ranks them itself. */
const percentile = (p: number) => `percentile_cont(${p}) WITHIN GROUP (ORDER BY "runtimeMs")`;
const RUNTIMES = (sample: string) =>
  `SELECT "name", count(*) AS "count", ${percentile(0.5)} AS "p50Ms", ${percentile(0.95)} AS "p95Ms" FROM (${sample}) AS "sample" GROUP BY "name" ORDER BY "p95Ms" DESC, "name"`;

/**
 * `pgbouncer=true` in the URL (Prisma's flag for the same thing): the connection goes through a pooler in
 * transaction mode, where one client's consecutive statements may run on different server connections, so
 * a statement prepared on one is missing on the next ("prepared statement … does not exist") or already
 * there, prepared by another client ("… already exists").
 */
function behindTransactionPooler(url: string): boolean {
  try {
    return new URL(url).searchParams.get("pgbouncer") === "true";
  } catch {
    return false;
  }
}

/** The part of a pg.Pool used here. */
export type PgQueryable = Pick<pg.Pool, "query" | "end" | "connect">;

/** Casts of the group and outbox columns a workflow statement binds (GroupDialect.mark). */
const GROUP_CASTS: Record<string, string> = { memberIds: "::jsonb", callback: "::jsonb", args: "::jsonb", workflow: "::jsonb", firedAt: "::timestamp(3)", createdAt: "::timestamp(3)", runAt: "::timestamp(3)", expires: "::timestamp(3)", priority: "::int4" };
const GROUP = groupStatements({ mark: (n, column) => `$${n}${(column && GROUP_CASTS[column]) ?? ""}`, readInstant: (c) => `(EXTRACT(EPOCH FROM ${q(c)}) * 1000)::float8` });
const FIND_MANY = `SELECT ${COLUMNS.map(readColumn).join(", ")} FROM "TaskResult" WHERE "id" = ANY($1::text[])`;
const outboxValues = (row: NewOutboxRow) => NEW_OUTBOX_COLUMNS.map((c) => (OUTBOX_JSON_COLUMNS.has(c) ? json(row[c]) : OUTBOX_DATES.has(c) ? utc(row[c] as Date | null) : row[c]));
const groupRow = (r: Record<string, unknown>): GroupRow => ({
  id: String(r.id),
  memberIds: r.memberIds as string[],
  callback: (r.callback ?? null) as GroupRow["callback"],
  callbackId: text(r.callbackId),
  firedAt: date(r.firedAt as number | null),
  parentId: text(r.parentId),
  rootId: text(r.rootId),
  owner: text(r.owner),
  createdAt: date(r.createdAt as number)!,
});

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A claimed row as RETURNING gives it: jsonb parsed by `pg`, timestamps as epoch milliseconds. */
const outboxRow = (r: Record<string, unknown>): OutboxRow => ({
  id: String(r.id),
  name: String(r.name),
  args: r.args,
  queue: String(r.queue),
  priority: r.priority === null || r.priority === undefined ? null : Number(r.priority),
  runAt: date(r.runAt as number | null),
  expires: date(r.expires as number | null),
  createdAt: date(r.createdAt as number)!,
  claimedAt: date(r.claimedAt as number | null),
  dispatchedAt: date(r.dispatchedAt as number | null),
  attempts: Number(r.attempts),
  lastError: text(r.lastError),
  owner: text(r.owner),
  workflow: (r.workflow ?? null) as OutboxWorkflow | null,
});

export class PostgresTaskStore implements TaskStore {
  readonly dialect = "postgresql";

  private closing: Promise<void> | undefined;

  readonly queries = new StoreQueries({
    dialect: DIALECT,
    read: { instant: (v) => date(v as number | null), json: (v) => v ?? null, minute: (v) => date(v as number)!, outboxRow },
    all: async ({ text, values }) => (await this.pool.query(text, values)).rows,
    percentiles: async ({ text, values }) =>
      (await this.pool.query(RUNTIMES(text), values)).rows.map((r) => ({ name: String(r.name), count: Number(r.count), p50Ms: Number(r.p50Ms), p95Ms: Number(r.p95Ms) })),
  });

  /** `prepared: false` behind a transaction-mode pooler: every statement unnamed, parsed each time. */
  constructor(
    private readonly pool: PgQueryable,
    private readonly options: { prepared?: boolean } = {},
  ) {}

  /**
   * Named statements are parsed and planned once per connection, not at every call (a find 0.2 vs 0.5 ms,
   * a lone upsert 0.4 vs 0.57 ms, measured); unnamed ones when the connection is not the server's own.
   */
  private async named(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
    if (this.options.prepared === false) return this.pool.query(text, values);
    try {
      return await this.pool.query({ name, text, values });
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      if (code !== DUPLICATE_PREPARED && code !== UNKNOWN_PREPARED) throw error;
      throw new ConfigError(`${message}: the database URL leads to a pooler in transaction mode (PgBouncer's pool_mode = transaction?), where celeriac cannot prepare statements; add pgbouncer=true to it`, { cause: error });
    }
  }

  readonly groups: GroupRows = {
    groupInsert: (row) => ({ text: GROUP.insertGroup, values: groupValues(row, utc) }),
    insertGroup: async (row) => void (await this.pool.query(GROUP.insertGroup, groupValues(row, utc))),
    findGroup: async (id) => {
      const r = (await this.pool.query(GROUP.findGroup, [id])).rows[0];
      return r ? groupRow(r) : null;
    },
    deleteGroupsBefore: async (before) => (await this.pool.query(GROUP.deleteBefore, [utc(before)])).rowCount ?? 0,
    groupFinished: async (groupId) => {
      const r = (await this.named("celeriac_group_finished", GROUP.finished, [groupId])).rows[0];
      return { finished: Number(r.finished), failed: Number(r.failed) };
    },
    findMany: async (ids) => (await this.pool.query(FIND_MANY, [ids])).rows.map((r) => recordFromRow({ ...r, createdAt: date(r.createdAt)!, startedAt: date(r.startedAt), doneAt: date(r.doneAt) })),
    insertOutbox: async (rows) => {
      const inserted: string[] = [];
      for (const row of rows) inserted.push(...(await this.pool.query(GROUP.outboxInsert, outboxValues(row))).rows.map((r) => String(r.id)));
      return inserted;
    },
    fireChord: async (groupId, now, decide) => {
      const client = await this.pool.connect();
      try {
        await client.query("BEGIN");
        const firing = decide((await client.query(GROUP.members, [groupId])).rows as MemberState[]);
        // Two members that finish together both see the chord complete; the row lock makes the second's
        // UPDATE wait for the first's commit and then find firedAt set: one claim, one callback.
        if (!firing || (await client.query(GROUP.claim, [utc(now), groupId])).rowCount !== 1) {
          await client.query("ROLLBACK");
          return undefined;
        }
        if ("send" in firing) await client.query(GROUP.outboxInsert, outboxValues(firing.send));
        else await client.query(UPSERT_ONE, columnsOf([firing.fail]).map(([v]) => v));
        await client.query("COMMIT");
        return firing;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };

  /** A small pool of its own: result writes are one statement per flush, reads one per call. */
  static open(url: string): PostgresTaskStore {
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: url, max: 4 });
    // An idle connection the server terminates (restart, outage) must not crash the process; the next
    // query reports the outage and the writer retries.
    pool.on("error", () => undefined);
    return new PostgresTaskStore(pool, { prepared: !behindTransactionPooler(url) });
  }

  async upsert(rows: readonly ResultRow[]): Promise<void> {
    if (rows.length === 1) await this.named("celeriac_result_upsert_one", UPSERT_ONE, columnsOf(rows).map(([v]) => v));
    else if (rows.length) await this.named("celeriac_result_upsert", UPSERT, columnsOf(rows));
  }

  refused(error: unknown): string | undefined {
    const { code, message, detail } = error as { code?: unknown; message?: unknown; detail?: unknown };
    if (typeof code === "string" && REFUSED_CLASSES.has(code.slice(0, 2))) return detail ? `${message}: ${detail}` : String(message);
    return unbindable(error);
  }

  async insertPending(rows: readonly ResultRow[]): Promise<void> {
    if (rows.length) await this.named("celeriac_result_pending", INSERT_PENDING, columnsOf(rows));
  }

  async find(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null> {
    const { rows } = await (ownedBy ? this.named("celeriac_result_find_owned", FIND_OWNED, [id, ownedBy]) : this.named("celeriac_result_find", FIND, [id]));
    const r = rows[0];
    return r ? recordFromRow({ ...r, createdAt: date(r.createdAt)!, startedAt: date(r.startedAt), doneAt: date(r.doneAt) }) : null;
  }

  async revoke(id: string, reason: string, at: Date): Promise<void> {
    await this.pool.query(REVOKE, [id, reason, utc(at)]);
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const { rowCount } = await this.pool.query(DELETE_FINISHED, [[...READY_STATES], utc(before)]);
    return rowCount ?? 0;
  }

  /** One statement of a tuple per row; Prisma's pg adapter binds the Dates (TIMESTAMP(3) columns) and the args as jsonb text. */
  outboxInsert(rows: readonly NewOutboxRow[]): SqlStatement {
    const values: unknown[] = [];
    const tuples = rows.map((row) => {
      const marks = NEW_OUTBOX_COLUMNS.map((c) => {
        const isJson = OUTBOX_JSON_COLUMNS.has(c);
        values.push(isJson ? json(row[c]) : row[c]);
        return `$${values.length}${isJson ? "::jsonb" : ""}`;
      });
      return `(${marks.join(", ")})`;
    });
    return { text: `${OUTBOX_INSERT}${tuples.join(", ")}`, values };
  }

  async claimOne(id: string, now: Date): Promise<boolean> {
    return (await this.pool.query(CLAIM_ONE, [utc(now), id])).rowCount === 1;
  }

  async claimBatch(now: Date, { olderThan, leaseExpired, limit }: ClaimWindow): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query(CLAIM_BATCH, [utc(now), utc(olderThan), utc(leaseExpired), limit]);
    return rows.map(outboxRow);
  }

  async taken(id: string): Promise<boolean> {
    return (await this.pool.query(TAKEN, [id])).rows.length > 0;
  }

  async markDispatchedMany(ids: readonly string[], now: Date): Promise<void> {
    await this.pool.query(MARK_DISPATCHED, [utc(now), ids]);
  }

  async release(id: string, error: string): Promise<void> {
    await this.pool.query(RELEASE, [error, id]);
  }

  async prune(before: Date): Promise<number> {
    return (await this.pool.query(PRUNE, [utc(before)])).rowCount ?? 0;
  }

  async columns(): Promise<Array<{ table: string; column: string }>> {
    return (await this.pool.query(CATALOG, [])).rows;
  }

  async appliedMigrations(): Promise<AppliedMigration[] | undefined> {
    try {
      return (await this.pool.query(APPLIED, [])).rows;
    } catch (error) {
      if ((error as { code?: unknown }).code === NO_PRIVILEGE) return undefined;
      throw error;
    }
  }

  /** Nothing to let go of: a migration waits for no connection of this pool. */
  async makeWayForMigration(): Promise<void> {}

  close(): Promise<void> {
    return (this.closing ??= this.pool.end());
  }
}
