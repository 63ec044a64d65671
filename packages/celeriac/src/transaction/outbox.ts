/**
 * The TaskOutbox table (durable dispatch). Rows are written through the caller's transaction. A relay's
 * send starts with a claim — an atomic conditional UPDATE — so any number of relays never send one row
 * twice while a claim is fresh; the fast path sends a row younger than FAST_PATH_MS without one (no relay
 * takes rows that young) and claims an older one like a relay. A claim older than the lease (its sender
 * died) may be taken over; the taker first checks whether a worker already took the task.
 */
import type { PublishOptions } from "../broker/broker.js";
import type { TaskMessage } from "../message.js";
import { columnsOf } from "../results/schema-check.js";
import type { ResultSql } from "../results/sql.js";

export type Dialect = "sqlite" | "postgresql";

/**
 * The fast path sends a row this young without claiming it: relays take only rows older than their grace
 * (RELAY_GRACE_MS, longer), so nobody else can be sending it.
 */
export const FAST_PATH_MS = 2_000;
/** Rows younger than this are left to the fast path by relays. */
export const RELAY_GRACE_MS = 5_000;
/**
 * The least grace a relay may be given: a row the fast path judged fresh just before its send must not
 * become a relay's while that send is under way, so relays wait a second longer than FAST_PATH_MS.
 */
export const MIN_RELAY_GRACE_MS = FAST_PATH_MS + 1_000;

export interface OutboxRow {
  id: string;
  name: string;
  args: unknown;
  queue: string;
  priority: number | null;
  runAt: Date | null;
  expires: Date | null;
  createdAt: Date;
  claimedAt: Date | null;
  dispatchedAt: Date | null;
  attempts: number;
  lastError: string | null;
  /** The dispatch's owner (TaskMessage.owner): the outbox row's PENDING record and the re-sent message carry it. */
  owner: string | null;
}

/** Every column of the table, as the relay reads it back (and the schema check expects it). */
export const OUTBOX_COLUMNS = columnsOf<OutboxRow>()(["id", "name", "args", "queue", "priority", "runAt", "expires", "createdAt", "claimedAt", "dispatchedAt", "attempts", "lastError", "owner"]);
const OUTBOX_DATES = new Set<string>(["runAt", "expires", "createdAt", "claimedAt", "dispatchedAt"]);

type NewRow = Pick<OutboxRow, "id" | "name" | "queue" | "priority" | "runAt" | "expires" | "createdAt" | "owner"> & { args: never };

/** The part of a Prisma client (or transaction client) the outbox uses: rows are inserted through the caller's transaction. */
export interface OutboxClient {
  taskOutbox: { createMany(args: { data: NewRow[] }): Promise<unknown> };
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
}

export function toOutboxRow({ message, publish }: { message: TaskMessage; publish: PublishOptions }): NewRow {
  return {
    id: message.id,
    name: message.task,
    args: message.args as never,
    queue: message.queue,
    priority: publish.priority ?? null,
    runAt: publish.delayMs > 0 ? new Date(message.sentAt + publish.delayMs) : null,
    expires: message.expires === undefined ? null : new Date(message.expires),
    createdAt: new Date(message.sentAt),
    owner: message.owner ?? null,
  };
}

/** Rebuilds the message from a row; the delay counts from now, so a late re-send still starts on time. */
export function fromOutboxRow(row: OutboxRow, now: number): { message: TaskMessage; publish: PublishOptions } {
  const message: TaskMessage = {
    id: row.id,
    task: row.name,
    args: row.args as unknown[],
    queue: row.queue,
    sentAt: row.createdAt.getTime(),
    retries: 0,
  };
  if (row.expires) message.expires = row.expires.getTime();
  if (row.owner !== null) message.owner = row.owner;
  const publish: PublishOptions = { delayMs: row.runAt ? Math.max(0, row.runAt.getTime() - now) : 0 };
  if (row.priority !== null) publish.priority = row.priority;
  return { message, publish };
}

/** How each dialect spells a placeholder, a timestamp going in and coming out, and an id list. */
const DIALECTS = {
  postgresql: {
    at: (i: number) => `$${i}::timestamp(3)`,
    param: (i: number) => `$${i}`,
    anyOf: (i: number) => `= ANY($${i}::text[])`,
    /** TIMESTAMP(3) without a zone holds UTC wall time. */
    date: (d: Date) => d.toISOString().slice(0, -1),
    ids: (ids: string[]) => ids,
    readAt: (c: string) => `(EXTRACT(EPOCH FROM "${c}") * 1000)::float8 AS "${c}"`,
    skipLocked: "FOR UPDATE SKIP LOCKED",
  },
  sqlite: {
    at: () => "?",
    param: () => "?",
    anyOf: () => "IN (SELECT value FROM json_each(?))",
    /** As Prisma's SQLite adapter stores DateTime. */
    date: (d: Date) => d.toISOString().replace("Z", "+00:00"),
    ids: (ids: string[]) => JSON.stringify(ids),
    readAt: (c: string) => `"${c}"`,
    // One writer at a time: the single UPDATE … WHERE id IN (SELECT …) is atomic as it is.
    skipLocked: "",
  },
} as const;

const readDate = (v: unknown): Date | null =>
  v === null || v === undefined ? null : new Date(typeof v === "number" ? v : /[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? String(v) : `${String(v).replace(" ", "T")}Z`);

/**
 * The outbox table's statements after the insert, on the result store's own connection (`pg` or
 * better-sqlite3, results/sql.ts), not Prisma's: the relay runs in every worker, and going through
 * Prisma loaded its query compiler there (~50 MB, measured) for a query a second.
 */
export class OutboxStore {
  private readonly d: (typeof DIALECTS)[Dialect];

  constructor(private readonly sql: Pick<ResultSql, "run" | "dialect">) {
    this.d = DIALECTS[sql.dialect];
  }

  private get dialect(): Dialect {
    return this.sql.dialect;
  }

  private row(raw: Record<string, unknown>): OutboxRow {
    return {
      id: String(raw.id),
      name: String(raw.name),
      args: typeof raw.args === "string" ? JSON.parse(raw.args) : raw.args,
      queue: String(raw.queue),
      priority: raw.priority === null || raw.priority === undefined ? null : Number(raw.priority),
      runAt: readDate(raw.runAt),
      expires: readDate(raw.expires),
      createdAt: readDate(raw.createdAt)!,
      claimedAt: readDate(raw.claimedAt),
      dispatchedAt: readDate(raw.dispatchedAt),
      attempts: Number(raw.attempts),
      lastError: raw.lastError === null || raw.lastError === undefined ? null : String(raw.lastError),
      owner: raw.owner === null || raw.owner === undefined ? null : String(raw.owner),
    };
  }

  /**
   * Writes rows through the caller's transaction client, as one raw INSERT: Prisma's createMany compiles
   * the query anew each call (its WASM query compiler was a quarter of a durable dispatch's CPU).
   */
  async insert(tx: Pick<OutboxClient, "$executeRawUnsafe">, rows: NewRow[]): Promise<void> {
    if (!rows.length) return;
    const columns = ["id", "name", "args", "queue", "priority", "runAt", "expires", "createdAt", "owner"] as const;
    const pg = this.dialect === "postgresql";
    const values: unknown[] = [];
    const tuples = rows.map((row) => {
      const marks = columns.map((c) => {
        values.push(c === "args" ? JSON.stringify(row.args) : row[c]);
        return pg ? `$${values.length}${c === "args" ? "::jsonb" : ""}` : "?";
      });
      return `(${marks.join(", ")})`;
    });
    await tx.$executeRawUnsafe(`INSERT INTO "TaskOutbox" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")}`, ...values);
  }

  /** The fast path's claim of one row it just committed: true if this caller may send it. */
  async claimOne(id: string, now: Date): Promise<boolean> {
    const { d } = this;
    const { count } = await this.sql.run(
      `UPDATE "TaskOutbox" SET "claimedAt" = ${d.at(1)} WHERE "id" = ${d.param(2)} AND "dispatchedAt" IS NULL AND "claimedAt" IS NULL`,
      [d.date(now), id],
    );
    return count === 1;
  }

  /**
   * The relay's claim: unsent rows older than `olderThan`, unclaimed or with a claim older than the lease,
   * in one UPDATE. PostgreSQL takes them with FOR UPDATE SKIP LOCKED, so concurrent relays split the rows
   * between them; SQLite has one writer at a time.
   */
  async claimBatch(now: Date, { olderThan, leaseExpired, limit }: { olderThan: Date; leaseExpired: Date; limit: number }): Promise<OutboxRow[]> {
    const { d } = this;
    const returning = OUTBOX_COLUMNS.map((c) => (OUTBOX_DATES.has(c) ? d.readAt(c) : `"${c}"`));
    const { rows } = await this.sql.run<Record<string, unknown>>(
      `UPDATE "TaskOutbox" SET "claimedAt" = ${d.at(1)}, "attempts" = "attempts" + 1
       WHERE "id" IN (
         SELECT "id" FROM "TaskOutbox"
         WHERE "dispatchedAt" IS NULL AND "createdAt" < ${d.at(2)} AND ("claimedAt" IS NULL OR "claimedAt" < ${d.at(3)})
         ORDER BY "createdAt" LIMIT ${d.param(4)}
         ${d.skipLocked})
       RETURNING ${returning.join(", ")}`,
      [d.date(now), d.date(olderThan), d.date(leaseExpired), limit],
    );
    return rows.map((r) => this.row(r)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** True when a worker has already recorded the task: a re-send after a lost claim must not run it again. */
  async taken(id: string): Promise<boolean> {
    const { rows } = await this.sql.run(`SELECT 1 AS "found" FROM "TaskResult" WHERE "id" = ${this.d.param(1)}`, [id]);
    return rows.length > 0;
  }

  async markDispatched(id: string, now: Date): Promise<void> {
    await this.markDispatchedMany([id], now);
  }

  /** One statement for many rows: the fast path's marks are group-committed. */
  async markDispatchedMany(ids: string[], now: Date): Promise<void> {
    const { d } = this;
    await this.sql.run(`UPDATE "TaskOutbox" SET "dispatchedAt" = ${d.at(1)}, "lastError" = NULL WHERE "id" ${d.anyOf(2)}`, [d.date(now), d.ids(ids)]);
  }

  /** Gives a row back to the relay after a failed send. */
  async release(id: string, error: string): Promise<void> {
    const { d } = this;
    await this.sql.run(`UPDATE "TaskOutbox" SET "claimedAt" = NULL, "lastError" = ${d.param(1)} WHERE "id" = ${d.param(2)} AND "dispatchedAt" IS NULL`, [error, id]);
  }

  /** Deletes rows sent before `before`. */
  async prune(before: Date): Promise<number> {
    const { count } = await this.sql.run(`DELETE FROM "TaskOutbox" WHERE "dispatchedAt" IS NOT NULL AND "dispatchedAt" < ${this.d.at(1)}`, [this.d.date(before)]);
    return count;
  }
}
