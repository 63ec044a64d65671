/**
 * The durable-dispatch outbox (the TaskOutbox table, through the store's OutboxRows: store/store.ts). Rows
 * are written through the caller's transaction. A relay's send starts with a claim — an atomic conditional
 * UPDATE — so any number of relays never send one row twice while a claim is fresh; the fast path sends a
 * row younger than FAST_PATH_MS without one (no relay takes rows that young) and claims an older one like a
 * relay. A claim older than the lease (its sender died) may be taken over; the taker first checks whether a
 * worker already took the task.
 */
import type { ClaimWindow, OutboxRows } from "../store/store.js";
import type { NewOutboxRow, OutboxRow } from "./outbox-row.js";

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

/** The part of a Prisma transaction client the outbox uses: its rows are inserted through the caller's transaction, one raw statement. */
export interface OutboxClient {
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
}

/**
 * The outbox's operations, on the store's own connection (`pg` or better-sqlite3), not Prisma's, but for
 * the insert, which must commit with the caller's writes: the store spells it, the caller's transaction
 * client runs it.
 */
export class OutboxStore {
  constructor(private readonly store: OutboxRows) {}

  /**
   * Writes rows through the caller's transaction client, as one raw INSERT: Prisma's createMany compiles
   * the query anew each call (its WASM query compiler was a quarter of a durable dispatch's CPU).
   */
  async insert(tx: OutboxClient, rows: readonly NewOutboxRow[]): Promise<void> {
    if (!rows.length) return;
    const { text, values } = this.store.outboxInsert(rows);
    await tx.$executeRawUnsafe(text, ...values);
  }

  /** The fast path's claim of one row it just committed: true if this caller may send it. */
  claimOne(id: string, now: Date): Promise<boolean> {
    return this.store.claimOne(id, now);
  }

  /**
   * The relay's claim: unsent rows older than `olderThan`, unclaimed or with a claim older than the lease,
   * oldest first. Concurrent relays split the rows between them.
   */
  async claimBatch(now: Date, window: ClaimWindow): Promise<OutboxRow[]> {
    return (await this.store.claimBatch(now, window)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** True when a worker has already recorded the task: a re-send after a lost claim must not run it again. */
  taken(id: string): Promise<boolean> {
    return this.store.taken(id);
  }

  markDispatched(id: string, now: Date): Promise<void> {
    return this.store.markDispatchedMany([id], now);
  }

  /** One statement for many rows: the fast path's marks are group-committed. */
  markDispatchedMany(ids: readonly string[], now: Date): Promise<void> {
    return this.store.markDispatchedMany(ids, now);
  }

  /** Gives a row back to the relay after a failed send. */
  release(id: string, error: string): Promise<void> {
    return this.store.release(id, error);
  }

  /** Deletes rows sent before `before`. */
  prune(before: Date): Promise<number> {
    return this.store.prune(before);
  }
}
