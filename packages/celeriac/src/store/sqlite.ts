/**
 * The task store on SQLite through `better-sqlite3` (see store.ts for why not Prisma): all of its SQL, for
 * the result rows, the outbox and the schema check. Prepared statements, a batch of result rows in one
 * `BEGIN IMMEDIATE` transaction. Values are stored as Prisma's SQLite adapter stores them (JSON as text,
 * DateTime as ISO 8601 text with "+00:00"), so Prisma reads these rows and this store reads Prisma's.
 *
 * The connection is its own, with no busy timeout: better-sqlite3 waits for a lock by blocking the event
 * loop, and the lock may be held by a Prisma transaction of this very process that is awaiting I/O, so
 * waiting in place could only time out. A busy database is retried here, a few ms apart, without blocking.
 */
import type Database from "better-sqlite3";
import { loadBetterSqlite3 } from "./driver.js";
import { READY_STATES, States } from "../states.js";
import type { TaskRecord } from "../results/backend.js";
import { COLUMNS, recordFromRow, type ResultRow } from "../results/row.js";
import { NEW_OUTBOX_COLUMNS, OUTBOX_COLUMNS, OUTBOX_JSON_COLUMNS, type NewOutboxRow, type OutboxRow, type OutboxWorkflow } from "../transaction/outbox-row.js";
import { findStatement } from "./find-statement.js";
import { RESULT_UPSERT_SET } from "./result-upsert.js";
import { percentilesOf, StoreQueries } from "./queries.js";
import type { Dialect } from "./query-statements.js";
import { groupStatements, groupValues } from "./group-statements.js";
import type { GroupRow, MemberState } from "../canvas/group-row.js";
import { unbindable, type AppliedMigration, type GroupRows, type ClaimWindow, type SqlStatement, type TaskStore } from "./store.js";

/** A lock held longer than this is reported to the caller (the writer logs it and retries later). */
const BUSY_WAIT_MS = 250;
const JSON_COLUMNS = new Set(["args", "result", "meta"]);
const TIMESTAMPS = new Set(["createdAt", "startedAt", "doneAt"]);

const q = (column: string) => `"${column}"`;
const INSERT = `INSERT INTO "TaskResult" (${COLUMNS.map(q).join(", ")}) VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})`;

/** Prisma's better-sqlite3 adapter writes DateTime as `toISOString()` with "+00:00" for "Z". */
const iso = (d: Date | null) => (d === null ? null : d.toISOString().replace("Z", "+00:00"));
/** Reads what Prisma or this store wrote; a zone-less text (CURRENT_TIMESTAMP's default) is UTC. */
function readDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return new Date(value);
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}
/** JSON is stored as text; SQLite's numeric affinity (the JSONB column type) may have turned "5" into 5. */
const readJson = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value ?? null);

const jsonText = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

function bind(row: ResultRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of COLUMNS) {
    const v = row[c];
    out[c] = JSON_COLUMNS.has(c) ? jsonText(v) : TIMESTAMPS.has(c) ? iso(v as Date | null) : v;
  }
  return out;
}

const CLAIM_ONE = `UPDATE "TaskOutbox" SET "claimedAt" = ? WHERE "id" = ? AND "dispatchedAt" IS NULL AND "claimedAt" IS NULL`;
/** One writer at a time: the single UPDATE … WHERE id IN (SELECT …) is atomic as it is. */
const CLAIM_BATCH = `UPDATE "TaskOutbox" SET "claimedAt" = ?, "attempts" = "attempts" + 1
       WHERE "id" IN (
         SELECT "id" FROM "TaskOutbox"
         WHERE "dispatchedAt" IS NULL AND "createdAt" < ? AND ("claimedAt" IS NULL OR "claimedAt" < ?)
         ORDER BY "createdAt" LIMIT ?
         )
       RETURNING ${OUTBOX_COLUMNS.map(q).join(", ")}`;
const TAKEN = `SELECT 1 AS "found" FROM "TaskResult" WHERE "id" = ?`;
/** SQLite binds no arrays: the ids go as one JSON array, read by json_each. */
const MARK_DISPATCHED = `UPDATE "TaskOutbox" SET "dispatchedAt" = ?, "lastError" = NULL WHERE "id" IN (SELECT value FROM json_each(?))`;
const RELEASE = `UPDATE "TaskOutbox" SET "claimedAt" = NULL, "lastError" = ? WHERE "id" = ? AND "dispatchedAt" IS NULL`;
const PRUNE = `DELETE FROM "TaskOutbox" WHERE "dispatchedAt" IS NOT NULL AND "dispatchedAt" < ?`;
const OUTBOX_INSERT = `INSERT INTO "TaskOutbox" (${NEW_OUTBOX_COLUMNS.map(q).join(", ")}) VALUES `;
const OUTBOX_TUPLE = `(${NEW_OUTBOX_COLUMNS.map(() => "?").join(", ")})`;

const GROUP = groupStatements({ mark: () => "?", readInstant: q });
const FIND_MANY = `SELECT ${COLUMNS.map(q).join(", ")} FROM "TaskResult" WHERE "id" IN (SELECT value FROM json_each(?))`;
const outboxValues = (row: NewOutboxRow) => NEW_OUTBOX_COLUMNS.map((c) => (OUTBOX_JSON_COLUMNS.has(c) ? jsonText(row[c]) : row[c] instanceof Date ? iso(row[c]) : row[c]));
const groupRow = (r: Record<string, unknown>): GroupRow => ({
  id: String(r.id),
  memberIds: readJson(r.memberIds) as string[],
  callback: readJson(r.callback) as GroupRow["callback"],
  callbackId: text(r.callbackId),
  firedAt: readDate(r.firedAt),
  parentId: text(r.parentId),
  rootId: text(r.rootId),
  owner: text(r.owner),
  createdAt: readDate(r.createdAt)!,
});
/** A row as read back: JSON and instants as text. */
const recordOf = (row: Record<string, unknown>): TaskRecord =>
  recordFromRow({
    ...(row as unknown as ResultRow),
    args: readJson(row.args),
    result: readJson(row.result),
    meta: readJson(row.meta),
    createdAt: readDate(row.createdAt)!,
    startedAt: readDate(row.startedAt),
    doneAt: readDate(row.doneAt),
  });

const CATALOG = `SELECT m."name" AS "table", p."name" AS "column" FROM sqlite_master AS m, pragma_table_info(m."name") AS p WHERE m."type" = 'table'`;
const APPLIED = `SELECT "migration_name" AS "name", ("finished_at" IS NOT NULL) AS "finished", ("rolled_back_at" IS NOT NULL) AS "rolledBack" FROM "_prisma_migrations"`;

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A claimed row as RETURNING gives it: JSON and timestamps as the text Prisma's adapter (or outboxInsert) wrote. */
const outboxRow = (r: Record<string, unknown>): OutboxRow => ({
  id: String(r.id),
  name: String(r.name),
  args: readJson(r.args),
  queue: String(r.queue),
  priority: r.priority === null || r.priority === undefined ? null : Number(r.priority),
  runAt: readDate(r.runAt),
  expires: readDate(r.expires),
  createdAt: readDate(r.createdAt)!,
  claimedAt: readDate(r.claimedAt),
  dispatchedAt: readDate(r.dispatchedAt),
  attempts: Number(r.attempts),
  lastError: text(r.lastError),
  owner: text(r.owner),
  workflow: readJson(r.workflow) as OutboxWorkflow | null,
});

const DIALECT: Dialect = {
  placeholder: () => "?",
  bind: (value, type) => (type === "instant" ? iso(value as Date) : type === "json" ? jsonText(value) : value),
  read: q,
  // Unary + keeps a term off any index: SQLite, without statistics (nobody runs ANALYZE), may walk the
  // wrong one (the worker's, 200,000 rows, for REVOKED + a worker: measured on 1,000,000 rows).
  residual: (c) => `+${q(c)}`,
  jsonText: q,
  // ASCII letters only: SQLite's LIKE folds no other case.
  like: "LIKE",
  // "2026-03-29T01:02" of the ISO text both Prisma and this store write.
  minuteOf: (c) => `substr(${q(c)}, 1, 16)`,
};

/** Codes of a statement refused for its values (SQLite stores NUL and any JSON text; these are what is left). */
const REFUSED = /^SQLITE_(TOOBIG|CONSTRAINT|MISMATCH)/;

const isBusy = (error: unknown) => (error as { code?: string }).code?.startsWith("SQLITE_BUSY") || (error as { code?: string }).code === "SQLITE_LOCKED";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The prepared statements, made on first use: creating an app opens nothing and reads no table. */
function prepare(db: Database.Database) {
  const upsertOne = db.prepare(`${INSERT} ON CONFLICT ("id") DO UPDATE ${RESULT_UPSERT_SET}`);
  const insertPendingOne = db.prepare(`${INSERT} ON CONFLICT ("id") DO NOTHING`);
  const upsertAll = db.transaction((rows: readonly ResultRow[]) => rows.forEach((r) => upsertOne.run(bind(r))));
  const insertPendingAll = db.transaction((rows: readonly ResultRow[]) => rows.forEach((r) => insertPendingOne.run(bind(r))));
  const ready = [...READY_STATES].map((s) => `'${s}'`).join(", ");
  return {
    upsertOne: (row: ResultRow) => upsertOne.run(bind(row)),
    upsertAll: (rows: readonly ResultRow[]) => upsertAll.immediate(rows),
    insertPendingAll: (rows: readonly ResultRow[]) => insertPendingAll.immediate(rows),
    find: db.prepare(findStatement("@id")),
    // SQLite binds no arrays: the owners go as one JSON array, read by json_each.
    findOwned: db.prepare(findStatement("@id", undefined, `IN (SELECT "value" FROM json_each(@owners))`)),
    revokeOne: db.prepare(
      `UPDATE "TaskResult" SET "status" = 'REVOKED', "errorType" = 'TaskRevokedError', "errorMessage" = ?, "doneAt" = ? WHERE "id" = ? AND "status" IN ('${States.PENDING}', '${States.RETRY}')`,
    ),
    deleteFinished: db.prepare(`DELETE FROM "TaskResult" WHERE "status" IN (${ready}) AND "doneAt" < ?`),
  };
}

export class SqliteTaskStore implements TaskStore {
  readonly dialect = "sqlite";
  private db: Database.Database | undefined;
  private prepared: ReturnType<typeof prepare> | undefined;
  /**
   * The outbox's and the schema check's statements, each prepared alone on its first use (once per
   * connection): one that names a missing table or column fails by itself, and result writes go on.
   */
  private readonly lazy = new Map<string, Database.Statement>();

  readonly queries = new StoreQueries({
    dialect: DIALECT,
    read: { instant: readDate, json: readJson, minute: (v) => readDate(`${v}:00Z`)!, outboxRow },
    all: (statement) => this.all(statement),
    // SQLite has no percentile function: the sample (bounded: see runtimeSample) is ranked in this process.
    percentiles: async (sample) => percentilesOf(await this.all(sample)),
  });

  readonly groups: GroupRows = {
    groupInsert: (row) => ({ text: GROUP.insertGroup, values: groupValues(row, iso) }),
    insertGroup: async (row) => void (await this.whenNotBusy(() => this.statement(GROUP.insertGroup).run(...groupValues(row, iso)))),
    findGroup: async (id) => {
      const r = (await this.whenNotBusy(() => this.statement(GROUP.findGroup).get(id))) as Record<string, unknown> | undefined;
      return r ? groupRow(r) : null;
    },
    deleteGroupsBefore: async (before) => (await this.whenNotBusy(() => this.statement(GROUP.deleteBefore).run(iso(before)))).changes,
    groupFinished: async (groupId) => {
      const r = (await this.whenNotBusy(() => this.statement(GROUP.finished).get(groupId))) as { finished: number; failed: number };
      return { finished: Number(r.finished), failed: Number(r.failed) };
    },
    findMany: async (ids) => ((await this.whenNotBusy(() => this.statement(FIND_MANY).all(JSON.stringify(ids)))) as Record<string, unknown>[]).map(recordOf),
    insertOutbox: async (rows) =>
      this.whenNotBusy(() => rows.flatMap((row) => (this.statement(GROUP.outboxInsert).all(...outboxValues(row)) as { id: string }[]).map((r) => r.id))),
    // One writer at a time: the read, the claim and the write are one IMMEDIATE transaction.
    fireChord: (groupId, now, decide) =>
      this.whenNotBusy(() =>
        this.connection
          .transaction(() => {
            const members = (this.statement(GROUP.members).all(groupId) as MemberState[]).map((m) => ({ ...m, result: readJson(m.result) }));
            const firing = decide(members);
            if (!firing || this.statement(GROUP.claim).run(iso(now), groupId).changes !== 1) return undefined;
            if ("send" in firing) this.statement(GROUP.outboxInsert).all(...outboxValues(firing.send));
            else this.statements.upsertOne(firing.fail);
            return firing;
          })
          .immediate(),
      ),
  };

  /** The file at a `file:` URL, opened on first use on a connection of its own (in WAL mode when the app set it: the mode is stored in the file). */
  constructor(private readonly url: string) {}

  private get connection(): Database.Database {
    return (this.db ??= new (loadBetterSqlite3())(this.url.slice("file:".length).split("?")[0], { timeout: 0 }));
  }

  private get statements(): ReturnType<typeof prepare> {
    return (this.prepared ??= prepare(this.connection));
  }

  /** Runs a synchronous statement, retrying a busy database without blocking, up to BUSY_WAIT_MS. */
  private async whenNotBusy<T>(statement: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        return statement();
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
        await sleep(wait);
      }
    }
  }

  async upsert(rows: readonly ResultRow[]): Promise<void> {
    if (rows.length) await this.whenNotBusy(() => this.statements.upsertAll(rows));
  }

  refused(error: unknown): string | undefined {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return typeof code === "string" && REFUSED.test(code) ? `${code}: ${message}` : unbindable(error);
  }

  async insertPending(rows: readonly ResultRow[]): Promise<void> {
    if (rows.length) await this.whenNotBusy(() => this.statements.insertPendingAll(rows));
  }

  async find(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null> {
    const read = () => (ownedBy ? this.statements.findOwned.get({ id, owners: JSON.stringify(ownedBy) }) : this.statements.find.get({ id }));
    const row = (await this.whenNotBusy(read)) as Record<string, unknown> | undefined;
    return row ? recordOf(row) : null;
  }

  /** `text` prepared on this connection, the first time only; call it inside whenNotBusy (preparing reads the schema). */
  private statement(text: string): Database.Statement {
    let statement = this.lazy.get(text);
    if (!statement) this.lazy.set(text, (statement = this.connection.prepare(text)));
    return statement;
  }

  /** The rows of a dashboard statement (query-statements.ts), prepared once per text; a write's RETURNING rows, or none. */
  private async all({ text, values }: { text: string; values: unknown[] }): Promise<Record<string, unknown>[]> {
    return this.whenNotBusy(() => {
      const statement = this.statement(text);
      if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
      statement.run(...values);
      return [];
    });
  }

  async revoke(id: string, reason: string, at: Date): Promise<void> {
    await this.whenNotBusy(() => this.statements.revokeOne.run(reason, iso(at), id));
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    return (await this.whenNotBusy(() => this.statements.deleteFinished.run(iso(before)))).changes;
  }

  /** One statement of a tuple per row; Prisma's SQLite adapter binds the Dates (as ISO text, as this store writes them) and the args as JSON text. */
  outboxInsert(rows: readonly NewOutboxRow[]): SqlStatement {
    const values: unknown[] = [];
    for (const row of rows) for (const c of NEW_OUTBOX_COLUMNS) values.push(OUTBOX_JSON_COLUMNS.has(c) ? jsonText(row[c]) : row[c]);
    return { text: `${OUTBOX_INSERT}${rows.map(() => OUTBOX_TUPLE).join(", ")}`, values };
  }

  async claimOne(id: string, now: Date): Promise<boolean> {
    return (await this.whenNotBusy(() => this.statement(CLAIM_ONE).run(iso(now), id))).changes === 1;
  }

  async claimBatch(now: Date, { olderThan, leaseExpired, limit }: ClaimWindow): Promise<OutboxRow[]> {
    const rows = await this.whenNotBusy(() => this.statement(CLAIM_BATCH).all(iso(now), iso(olderThan), iso(leaseExpired), limit));
    return (rows as Record<string, unknown>[]).map(outboxRow);
  }

  async taken(id: string): Promise<boolean> {
    return (await this.whenNotBusy(() => this.statement(TAKEN).get(id))) !== undefined;
  }

  async markDispatchedMany(ids: readonly string[], now: Date): Promise<void> {
    await this.whenNotBusy(() => this.statement(MARK_DISPATCHED).run(iso(now), JSON.stringify(ids)));
  }

  async release(id: string, error: string): Promise<void> {
    await this.whenNotBusy(() => this.statement(RELEASE).run(error, id));
  }

  async prune(before: Date): Promise<number> {
    return (await this.whenNotBusy(() => this.statement(PRUNE).run(iso(before)))).changes;
  }

  async columns(): Promise<Array<{ table: string; column: string }>> {
    return (await this.whenNotBusy(() => this.statement(CATALOG).all())) as Array<{ table: string; column: string }>;
  }

  async appliedMigrations(): Promise<AppliedMigration[]> {
    const rows = (await this.whenNotBusy(() => this.statement(APPLIED).all())) as Array<{ name: string; finished: number; rolledBack: number }>;
    return rows.map(({ name, finished, rolledBack }) => ({ name, finished: Boolean(finished), rolledBack: Boolean(rolledBack) }));
  }

  /** Closes the connection; the next statement opens it again. */
  makeWayForMigration(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.prepared = undefined;
    this.lazy.clear();
  }
}
