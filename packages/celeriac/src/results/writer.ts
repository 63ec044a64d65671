/**
 * Group commit for result rows (PostgreSQL's own group commit, Sidekiq's and Oban's batched acks): each
 * state change is handed to the writer, which flushes at once when idle — a lone task pays no added
 * wait — and, while a flush is in flight, gathers what arrives into the next one, one statement for the
 * lot. `write()` resolves when the row is durable: the worker acknowledges the job to BullMQ only then.
 *
 * Rows of one id merge while they wait, and are written in the order they came: an outcome replaces a
 * running row (STARTED, PROGRESS) still waiting (a short task costs one write; a long one still shows
 * STARTED), a later progress replaces an earlier one (the latest wins), a later outcome replaces an
 * earlier one. A running row that follows a waiting outcome (a retry run at once) waits for the next
 * flush, so the outcome is written first and never replaced by what came before it. A flush that fails (database down) is retried with a growing pause, in order, until it
 * succeeds or the writer is closed: an outage delays results and never loses one.
 *
 * A flush the database refuses for a row's values (`refused`: text or JSON it cannot hold) would fail
 * every time, and its batch holds up to maxBatch other tasks' rows whose jobs wait for it: the batch is
 * halved until the refused row is alone (about 2·log2(n) statements, and only then), the others are
 * written, and that row is stored as unstorableRow() says: the task ends with a row that says why, its
 * job is acknowledged. Should even that be refused (an id the database cannot hold), its writes reject:
 * its job fails alone, and the broker delivers it again after a backoff.
 */
import { WriterClosedError } from "../errors.js";
import type { Logger } from "../log.js";
import { RUNNING_STATES } from "../states.js";
import { unstorableRow, type ResultRow } from "./row.js";

export interface WriterOptions {
  /** Writes one batch (distinct ids), all or none. */
  flush(rows: readonly ResultRow[]): Promise<void>;
  /** Called after each successful flush with its rows (the announcement of the state changes). */
  flushed?: (rows: readonly ResultRow[]) => void;
  log: Logger;
  /**
   * Told of each failed flush before it is retried; true when it reported the failure itself (a missing
   * table, logged once a minute by the schema monitor), and then the writer does not log the attempt.
   */
  reported?: (error: unknown) => boolean;
  /**
   * Why the database refused the rows' values (e.g. "unsupported Unicode escape sequence"), when `error`
   * says it did: retrying cannot mend that, so the refused row is found and stored without them. Undefined
   * for any other error (an outage, a lock, a missing table), which is retried. @defaultValue never refused
   */
  refused?: (error: unknown) => string | undefined;
  /** Most rows in one statement. @defaultValue 500 */
  maxBatch?: number;
}

interface Waiting {
  row: ResultRow;
  done: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

export { WriterClosedError };

export class ResultWriter {
  /** Rows not yet in flight, in generations: a generation holds each id at most once. */
  private readonly generations: Map<string, Waiting>[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly maxBatch: number;

  constructor(private readonly options: WriterOptions) {
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** Queues the row; resolves once it (or a row that replaced it) is in the database. */
  write(row: ResultRow): Promise<void> {
    if (this.closed) return Promise.reject(new WriterClosedError("the result writer is closed"));
    return new Promise<void>((resolve, reject) => {
      this.place(row, { resolve, reject });
      this.schedule();
    });
  }

  private place(row: ResultRow, waiter: Waiting["done"][number]): void {
    const gens = this.generations;
    let at = -1;
    for (let i = gens.length - 1; i >= 0; i--) if (gens[i].has(row.id)) (at = i), (i = -1);
    if (at >= 0) {
      const waiting = gens[at].get(row.id)!;
      if (!RUNNING_STATES.has(row.status) || RUNNING_STATES.has(waiting.row.status)) {
        waiting.row = row;
        waiting.done.push(waiter);
        return;
      }
      at++; // a running row after an outcome: in the next generation, written after it
    } else at = 0;
    while (gens.length <= at) gens.push(new Map());
    gens[at].set(row.id, { row, done: [waiter] });
  }

  /** A flush on the next turn of the event loop, so the rows of every callback of this turn go together. */
  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing ??= this.drain().finally(() => {
        this.flushing = undefined;
        // A row written after the last take() but before this callback ran would wait for nothing.
        if (this.generations.length) this.schedule();
      });
    });
  }

  private take(): Waiting[] {
    const first = this.generations[0];
    if (!first) return [];
    const batch: Waiting[] = [];
    for (const [id, waiting] of first) {
      if (batch.length >= this.maxBatch) break;
      batch.push(waiting);
      first.delete(id);
    }
    if (first.size === 0) this.generations.shift();
    return batch;
  }

  /** Flushes batch after batch until nothing waits. */
  private async drain(): Promise<void> {
    for (let batch = this.take(); batch.length; batch = this.take()) await this.flushBatch(batch);
  }

  /** Writes `batch` and settles its writes; a refused batch is halved until the refused row is alone. */
  private async flushBatch(batch: Waiting[]): Promise<void> {
    let refusal: string | undefined;
    try {
      refusal = await this.flushDurably(batch.map((w) => w.row));
    } catch (error) {
      return this.reject(batch, error);
    }
    if (refusal === undefined) return this.resolve(batch);
    if (batch.length === 1) return this.storeUnstorable(batch[0], refusal);
    const half = Math.ceil(batch.length / 2);
    await this.flushBatch(batch.slice(0, half));
    await this.flushBatch(batch.slice(half));
  }

  /** Stores the row the database refused (alone) as unstorableRow(); its writes resolve on that row. */
  private async storeUnstorable(waiting: Waiting, why: string): Promise<void> {
    const { id, status } = waiting.row;
    const stored = { row: unstorableRow(waiting.row, why), done: waiting.done };
    this.options.log.error({ taskId: id, status, why }, `the database refused task ${id}'s ${status} row (${why}); storing it as ${stored.row.status} without its arguments and result`);
    let refusal: string | undefined;
    try {
      refusal = await this.flushDurably([stored.row]);
    } catch (error) {
      return this.reject([waiting], error);
    }
    if (refusal === undefined) return this.resolve([stored]);
    this.options.log.error({ taskId: id, why: refusal }, `the database refused task ${id}'s row even without its values (${refusal}); its job fails, to be delivered again after a backoff`);
    this.reject([waiting], new Error(`the database refused task ${id}'s result row: ${refusal}`));
  }

  private resolve(batch: readonly Waiting[]): void {
    for (const w of batch) w.done.forEach((d) => d.resolve());
    try {
      this.options.flushed?.(batch.map((w) => w.row));
    } catch (error) {
      this.options.log.error({ err: error }, "announcing written results failed");
    }
  }

  private reject(batch: readonly Waiting[], error: unknown): void {
    for (const w of batch) w.done.forEach((d) => d.reject(error));
  }

  /**
   * Writes `rows`, retrying a failure with a growing pause until it succeeds (resolves undefined) or the
   * writer closes (throws); a refusal of the rows' values is not retried: resolves why.
   */
  private async flushDurably(rows: readonly ResultRow[]): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.flush(rows);
        return undefined;
      } catch (error) {
        const refusal = this.options.refused?.(error);
        if (refusal !== undefined) return refusal;
        if (this.closed) throw error;
        const waitMs = Math.min(5000, 100 * 2 ** attempt);
        if (!this.options.reported?.(error)) this.options.log.warn({ err: error, attempt, waitMs, rows: rows.length }, `could not write ${rows.length} task results; retrying`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        if (this.closed) throw new WriterClosedError(`the result writer closed before ${rows.length} results could be written`, { cause: error });
      }
    }
  }

  /** Resolves once every row written so far is durable (or given up on by close()). */
  async idle(): Promise<void> {
    while (this.flushing || this.scheduled || this.generations.length) {
      await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  /**
   * Stops taking rows after flushing what waits, for up to `timeoutMs`; past it (the database is down)
   * the flush in progress is given up after its pause, and the waiting writes reject: their jobs were not
   * acknowledged and are delivered again later.
   */
  async close(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.closed = true;
    for (const gen of this.generations.splice(0)) for (const w of gen.values()) w.done.forEach((d) => d.reject(new WriterClosedError("the result writer closed")));
    await this.flushing?.catch(() => undefined);
  }
}
