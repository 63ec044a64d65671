/**
 * The result store on PostgreSQL through `pg` (see sql.ts for why not Prisma). A batch of rows is one
 * statement: `INSERT … SELECT FROM unnest($1::text[], …) ON CONFLICT (id) DO UPDATE`, so a flush of 200
 * rows costs one round trip. Timestamps travel as UTC text and come back as epoch milliseconds: the
 * columns are Prisma's TIMESTAMP(3) without a zone, holding UTC, whatever this process's TZ.
 */
import type pg from "pg";
import { loadPg } from "./driver.js";
import { READY_STATES, States } from "../states.js";
import type { TaskRecord } from "./backend.js";
import { COLUMNS, findStatement, OUTCOME_COLUMNS, recordFromRow, UPDATED_COLUMNS, type Column, type ResultRow } from "./row.js";
import { unbindable, type ResultSql } from "./sql.js";

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
};

const q = (column: string) => `"${column}"`;
const keep = new Set<string>(OUTCOME_COLUMNS);
const assignments = UPDATED_COLUMNS.map((c) =>
  keep.has(c) ? `${q(c)} = CASE WHEN EXCLUDED."status" = 'STARTED' THEN "TaskResult".${q(c)} ELSE EXCLUDED.${q(c)} END` : `${q(c)} = EXCLUDED.${q(c)}`,
).join(", ");
const unnest = `SELECT * FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${TYPES[c]}[]`).join(", ")})`;
const INSERT = `INSERT INTO "TaskResult" (${COLUMNS.map(q).join(", ")}) ${unnest}`;
const UPSERT = `${INSERT} ON CONFLICT ("id") DO UPDATE SET ${assignments}`;
/** A lone row (a quiet worker's every write) as plain VALUES: ~60 µs less per statement than unnest, measured. */
const UPSERT_ONE = `INSERT INTO "TaskResult" (${COLUMNS.map(q).join(", ")}) VALUES (${COLUMNS.map((c, i) => `$${i + 1}::${TYPES[c]}`).join(", ")})
  ON CONFLICT ("id") DO UPDATE SET ${assignments}`;
const INSERT_PENDING = `${INSERT} ON CONFLICT ("id") DO NOTHING`;

const epochMs = (c: string) => `(EXTRACT(EPOCH FROM ${q(c)}) * 1000)::float8 AS ${q(c)}`;
const TIMESTAMPS = new Set(["createdAt", "startedAt", "doneAt"]);
const readColumn = (c: Column) => (TIMESTAMPS.has(c) ? epochMs(c) : q(c));
const FIND = findStatement("$1", readColumn);
const FIND_OWNED = findStatement("$1", readColumn, "= ANY($2::text[])");
const REVOKE = `UPDATE "TaskResult" SET "status" = 'REVOKED', "errorType" = 'TaskRevokedError', "errorMessage" = $2, "doneAt" = $3::timestamp(3)
  WHERE "id" = $1 AND "status" IN ('${States.PENDING}', '${States.RETRY}')`;
const DELETE_FINISHED = `DELETE FROM "TaskResult" WHERE "status" = ANY($1::text[]) AND "doneAt" < $2::timestamp(3)`;

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

/** The part of a pg.Pool used here. */
export type PgQueryable = Pick<pg.Pool, "query" | "end">;

export class PostgresResultSql implements ResultSql {
  readonly dialect = "postgresql";

  private closing: Promise<void> | undefined;

  constructor(private readonly pool: PgQueryable) {}

  /** A small pool of its own: result writes are one statement per flush, reads one per call. */
  static open(url: string): PostgresResultSql {
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: url, max: 4 });
    // An idle connection the server terminates (restart, outage) must not crash the process; the next
    // query reports the outage and the writer retries.
    pool.on("error", () => undefined);
    return new PostgresResultSql(pool);
  }

  // Named statements are parsed and planned once per connection, not at every flush.
  async upsert(rows: readonly ResultRow[]): Promise<void> {
    if (rows.length === 1) await this.pool.query({ name: "celeriac_result_upsert_one", text: UPSERT_ONE, values: columnsOf(rows).map(([v]) => v) });
    else if (rows.length) await this.pool.query({ name: "celeriac_result_upsert", text: UPSERT, values: columnsOf(rows) });
  }

  refused(error: unknown): string | undefined {
    const { code, message, detail } = error as { code?: unknown; message?: unknown; detail?: unknown };
    if (typeof code === "string" && REFUSED_CLASSES.has(code.slice(0, 2))) return detail ? `${message}: ${detail}` : String(message);
    return unbindable(error);
  }

  async insertPending(rows: readonly ResultRow[]): Promise<void> {
    if (rows.length) await this.pool.query({ name: "celeriac_result_pending", text: INSERT_PENDING, values: columnsOf(rows) });
  }

  async find(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null> {
    const query = ownedBy ? { name: "celeriac_result_find_owned", text: FIND_OWNED, values: [id, ownedBy] } : { name: "celeriac_result_find", text: FIND, values: [id] };
    const { rows } = await this.pool.query(query);
    const r = rows[0];
    return r ? recordFromRow({ ...r, createdAt: date(r.createdAt)!, startedAt: date(r.startedAt), doneAt: date(r.doneAt) }) : null;
  }

  async run<T>(text: string, values: readonly unknown[]): Promise<{ rows: T[]; count: number }> {
    const result = await this.pool.query(text, values as unknown[]);
    return { rows: result.rows as T[], count: result.rowCount ?? 0 };
  }

  async revoke(id: string, reason: string, at: Date): Promise<void> {
    await this.pool.query(REVOKE, [id, reason, utc(at)]);
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const { rowCount } = await this.pool.query(DELETE_FINISHED, [[...READY_STATES], utc(before)]);
    return rowCount ?? 0;
  }

  close(): Promise<void> {
    return (this.closing ??= this.pool.end());
  }
}
