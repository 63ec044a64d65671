/**
 * The TaskOutbox table (durable dispatch). Rows are written through the caller's transaction; sending a
 * row starts with a claim — an atomic conditional UPDATE — so the fast path and any number of relays
 * never send one row twice while a claim is fresh. A claim older than the lease (its sender died) may be
 * taken over; the taker first checks whether a worker already took the task.
 */
import type { PublishOptions } from "../broker/broker";
import type { TaskMessage } from "../message";

export type Dialect = "sqlite" | "postgresql";

/**
 * The fast path sends a row this young without claiming it: relays take only rows older than their grace
 * (RELAY_GRACE_MS, longer), so nobody else can be sending it.
 */
export const FAST_PATH_MS = 2_000;
/** Rows younger than this are left to the fast path by relays. */
export const RELAY_GRACE_MS = 5_000;

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
}

type NewRow = Pick<OutboxRow, "id" | "name" | "queue" | "priority" | "runAt" | "expires" | "createdAt"> & { args: never };

interface Where {
  id?: string | { in: string[] };
  dispatchedAt?: null | { not: null; lt?: Date };
  createdAt?: { lt: Date };
  claimedAt?: null;
  OR?: ({ claimedAt: null } | { claimedAt: { lt: Date } })[];
}

/** The part of a Prisma client (or transaction client) the outbox uses. */
export interface OutboxClient {
  taskOutbox: {
    createMany(args: { data: NewRow[] }): Promise<unknown>;
    updateMany(args: { where: Where; data: Partial<Pick<OutboxRow, "claimedAt" | "dispatchedAt" | "lastError">> & { attempts?: { increment: number } } }): Promise<{ count: number }>;
    findMany(args: { where: Where; orderBy?: { createdAt: "asc" }; take?: number }): Promise<OutboxRow[]>;
    deleteMany(args: { where: Where }): Promise<{ count: number }>;
  };
  taskResult: { count(args: { where: { id: string } }): Promise<number> };
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
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
  const publish: PublishOptions = { delayMs: row.runAt ? Math.max(0, row.runAt.getTime() - now) : 0 };
  if (row.priority !== null) publish.priority = row.priority;
  return { message, publish };
}

export class OutboxStore {
  constructor(
    private readonly prisma: OutboxClient,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Writes rows through the caller's transaction client, as one raw INSERT: Prisma's createMany compiles
   * the query anew each call (its WASM query compiler was a quarter of a durable dispatch's CPU).
   */
  async insert(tx: Pick<OutboxClient, "$executeRawUnsafe">, rows: NewRow[]): Promise<void> {
    if (!rows.length) return;
    const columns = ["id", "name", "args", "queue", "priority", "runAt", "expires", "createdAt"] as const;
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
    const { count } = await this.prisma.taskOutbox.updateMany({
      where: { id, dispatchedAt: null, claimedAt: null },
      data: { claimedAt: now },
    });
    return count === 1;
  }

  /**
   * The relay's claim: unsent rows older than `olderThan`, unclaimed or with a claim older than the lease.
   * PostgreSQL takes them with FOR UPDATE SKIP LOCKED, so concurrent relays split the rows between them;
   * SQLite has one writer at a time, and each row's conditional UPDATE decides who has it.
   */
  async claimBatch(now: Date, { olderThan, leaseExpired, limit }: { olderThan: Date; leaseExpired: Date; limit: number }): Promise<OutboxRow[]> {
    if (this.dialect === "postgresql") {
      return this.prisma.$queryRawUnsafe<OutboxRow[]>(
        `UPDATE "TaskOutbox" SET "claimedAt" = $1, "attempts" = "attempts" + 1
         WHERE "id" IN (
           SELECT "id" FROM "TaskOutbox"
           WHERE "dispatchedAt" IS NULL AND "createdAt" < $2 AND ("claimedAt" IS NULL OR "claimedAt" < $3)
           ORDER BY "createdAt" LIMIT $4
           FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        now,
        olderThan,
        leaseExpired,
        limit,
      );
    }
    const claimable: Where = { dispatchedAt: null, OR: [{ claimedAt: null }, { claimedAt: { lt: leaseExpired } }] };
    const candidates = await this.prisma.taskOutbox.findMany({
      where: { ...claimable, createdAt: { lt: olderThan } },
      orderBy: { createdAt: "asc" },
      take: limit,
    });
    const claimed: OutboxRow[] = [];
    for (const row of candidates) {
      const { count } = await this.prisma.taskOutbox.updateMany({
        where: { ...claimable, id: row.id },
        data: { claimedAt: now, attempts: { increment: 1 } },
      });
      if (count === 1) claimed.push({ ...row, claimedAt: now, attempts: row.attempts + 1 });
    }
    return claimed;
  }

  /** True when a worker has already recorded the task: a re-send after a lost claim must not run it again. */
  async taken(id: string): Promise<boolean> {
    return (await this.prisma.taskResult.count({ where: { id } })) > 0;
  }

  async markDispatched(id: string, now: Date): Promise<void> {
    await this.markDispatchedMany([id], now);
  }

  /** One statement for many rows: the fast path's marks are group-committed. */
  async markDispatchedMany(ids: string[], now: Date): Promise<void> {
    await this.prisma.taskOutbox.updateMany({ where: { id: { in: ids } }, data: { dispatchedAt: now, lastError: null } });
  }

  /** Gives a row back to the relay after a failed send. */
  async release(id: string, error: string): Promise<void> {
    await this.prisma.taskOutbox.updateMany({ where: { id, dispatchedAt: null }, data: { claimedAt: null, lastError: error } });
  }

  /** Deletes rows sent before `before`. */
  async prune(before: Date): Promise<number> {
    const { count } = await this.prisma.taskOutbox.deleteMany({ where: { dispatchedAt: { not: null, lt: before } } });
    return count;
  }
}
