/**
 * transaction() and onCommit(), with Django's semantics on top of Prisma's interactive transactions.
 *
 * - onCommit(cb) inside a transaction runs cb after the outermost commit, in registration order; after a
 *   rollback it never runs. Outside any transaction it runs at once. A callback that throws is logged and
 *   the ones after it still run; transaction() never rejects because of one (the data is committed).
 * - A nested transaction() joins the outer one through a SAVEPOINT (Prisma has no nested transactions):
 *   if the inner block throws, its writes are rolled back to the savepoint and its callbacks and
 *   dispatches are dropped; if the caller catches the error, the outer block goes on and commits.
 * - Dispatches made inside are sent after the commit, in order with the callbacks. A durable one writes its
 *   TaskOutbox row through the transaction just before the commit: that one insert is all it adds to the
 *   transaction; after the commit it is sent without a claim while no relay can take it yet (relays take
 *   rows older than their grace), and its "sent" mark is group-committed off the caller's path. A plain
 *   one costs the transaction nothing: its PENDING row is group-committed after the commit (an id without
 *   a row reads as PENDING anyway, and a worker's row written first wins); transaction() waits for that
 *   row only when the dispatch has an owner, who must be able to read it once the caller answers.
 */
import type { PublishOptions, TaskTransport } from "../broker/broker.js";
import { DispatchError, toErrorInfo } from "../errors.js";
import type { Logger } from "../log.js";
import type { TaskMessage } from "../message.js";
import type { ResultBackend } from "../results/backend.js";
import type { SchemaMonitor } from "../results/schema-monitor.js";
import { groupCommit } from "../group-commit.js";
import { FAST_PATH_MS, type OutboxClient, type OutboxStore } from "./outbox.js";
import { toOutboxRow } from "./outbox-row.js";
import type { GroupRows } from "../store/store.js";
import { currentScope, runInScope, runOutsideScope, Scope, type AfterCommit, type DeferredDispatch } from "./scope.js";

export interface TransactionOptions {
  /** Write dispatches to the outbox so they survive a crash between commit and enqueue. @defaultValue false */
  durable?: boolean;
  /** Prisma: how long to wait for a connection, ms. */
  maxWait?: number;
  /** Prisma: how long the transaction may run, ms. */
  timeout?: number;
  /** Prisma: the isolation level, e.g. "Serializable" (PostgreSQL). */
  isolationLevel?: string;
}

/**
 * Prisma's interactive `$transaction(fn, options)`. Typed loosely on purpose: each generated client has its
 * own tx type and isolation-level union, and the app-facing `transaction()` restores the precise types.
 */
export interface TransactionPort<Tx> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: any): Promise<R>;
}

export interface TransactionDeps<Tx> {
  prisma: TransactionPort<Tx>;
  outbox: OutboxStore;
  /** The TaskGroup table's statements: a workflow's group row is written through the transaction. */
  groups: Pick<GroupRows, "groupInsert">;
  broker: TaskTransport;
  backend: ResultBackend;
  log: Logger;
  /** A missing TaskOutbox: the durable insert rejects with its SchemaNotReadyError, failed marks are reported once a minute. */
  schema?: Pick<SchemaMonitor, "report" | "rethrow">;
}

export function makeTransactions<Tx>(deps: TransactionDeps<Tx>) {
  const { outbox, broker, backend, log, schema } = deps;

  const sentMarks = groupCommit<string>(
    (ids) => outbox.markDispatchedMany(ids, new Date()),
    (error, ids) => {
      if (!schema?.report(error)) log.warn({ err: error }, `could not mark ${ids.length} sent outbox rows; the relay will find their tasks taken or send them again (same job id)`);
    },
  );

  /** The transaction's last writes: its workflows' TaskGroup rows (before any member can run), its durable dispatches' outbox rows. */
  async function writeOutbox(scope: Scope): Promise<void> {
    const tx = scope.tx as unknown as OutboxClient;
    const rows = scope.dispatches().filter((d) => d.durable).map(toOutboxRow);
    const write = async () => {
      for (const group of scope.groups) {
        const { text, values } = deps.groups.groupInsert(group);
        await tx.$executeRawUnsafe(text, ...values);
      }
      await outbox.insert(tx, rows);
    };
    await write().catch((error: unknown) => (schema ? schema.rethrow(error) : Promise.reject(error)));
  }

  /** An outbox row younger than FAST_PATH_MS is no relay's yet and is sent at once; an older one (a slow commit) is claimed first. */
  async function sendDurable(message: TaskMessage, publish: PublishOptions): Promise<void> {
    const fresh = Date.now() - message.sentAt < FAST_PATH_MS;
    if (!fresh && !(await outbox.claimOne(message.id, new Date()))) return; // the relay has it
    try {
      await broker.publish(message, publish);
      sentMarks.add(message.id);
    } catch (error) {
      log.warn({ err: error, taskId: message.id }, "could not enqueue after commit; the outbox relay will retry");
      await outbox.release(message.id, String(error)).catch((e: unknown) => log.error({ err: e }, "could not release outbox row"));
    }
  }

  /** An owned workflow's later steps (Prepared.laterSteps), as PENDING rows; a failure to write them is logged (the commit stands). */
  async function recordLaterSteps(first: TaskMessage, laterSteps: readonly TaskMessage[]): Promise<void> {
    if (first.owner === undefined || !laterSteps.length) return;
    await Promise.all(laterSteps.map((step) => backend.pending(step))).catch((error: unknown) =>
      log.error({ err: error, taskId: first.id }, "could not record a workflow's later steps as PENDING; they have no row until a worker sends them"),
    );
  }

  /**
   * Sends one dispatch after the commit. Durable: see sendDurable; sent rows are marked off this path, a
   * failed send gives the row to the relay. Plain: sent now, its PENDING row written beside the send.
   */
  async function send({ message, publish, durable, recordPending, laterSteps = [] }: DeferredDispatch): Promise<void> {
    if (durable) {
      // A durable first step is sent for sure (by the relay if not here): its workflow's later steps are PENDING now.
      await Promise.all([sendDurable(message, publish), recordLaterSteps(message, laterSteps)]);
      return;
    }
    const recorded = recordPending ? backend.pending(message) : undefined;
    try {
      await broker.publish(message, publish);
      // An owner reads the task as soon as transaction() resolves: its PENDING row must be there by then.
      if (message.owner !== undefined) await Promise.all([recorded, recordLaterSteps(message, laterSteps)]);
    } catch (error) {
      // Committed, but the broker refused: say so on the PENDING row instead of leaving it PENDING forever.
      log.error({ err: error, taskId: message.id, task: message.task }, "could not enqueue after commit; the task is lost");
      const failed = new DispatchError(`could not enqueue after commit: ${(error as Error).message}`);
      const now = new Date();
      await backend
        .finished({ message, worker: "dispatch", startedAt: now, doneAt: now, outcome: { status: "FAILURE", error: toErrorInfo(failed) } })
        .catch((e: unknown) => log.error({ err: e }, "could not record the failed dispatch"));
    }
  }

  async function runCallback(run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      log.error({ err: error }, "an onCommit callback threw; the transaction stays committed");
    }
  }

  async function runAfterCommit(items: readonly AfterCommit[]): Promise<void> {
    for (const item of items) await (item.kind === "callback" ? runCallback(item.run) : send(item.dispatch));
  }

  async function nested<T>(outer: Scope, fn: (tx: Tx) => Promise<T>, durable: boolean): Promise<T> {
    const scope = outer.child(durable);
    const tx = outer.tx as OutboxClient; // a savepoint is a raw statement on the transaction, as the outbox's insert is
    const savepoint = `celeriac_sp_${scope.depth}`;
    await tx.$executeRawUnsafe(`SAVEPOINT ${savepoint}`);
    try {
      const value = await runInScope(scope, () => fn(outer.tx as Tx));
      await tx.$executeRawUnsafe(`RELEASE SAVEPOINT ${savepoint}`);
      scope.mergeIntoParent();
      return value;
    } catch (error) {
      await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      throw error;
    }
  }

  /** Runs `fn` in a database transaction; see the module comment for what happens on commit and rollback. */
  async function transaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const { durable = false, ...prismaOptions } = options;
    const outer = currentScope();
    if (outer) return nested(outer, fn, durable);
    let scope: Scope | undefined;
    const value = await deps.prisma.$transaction(async (tx) => {
      scope = new Scope(tx, durable);
      const result = await runInScope(scope, () => fn(tx));
      await writeOutbox(scope);
      return result;
    }, prismaOptions);
    await runOutsideScope(() => runAfterCommit(scope!.afterCommit));
    return value;
  }

  /** Runs `callback` after the current transaction commits (never after a rollback), or now outside one. */
  function onCommit(callback: () => unknown): void {
    const scope = currentScope();
    if (scope) scope.afterCommit.push({ kind: "callback", run: callback });
    else void runCallback(callback);
  }

  return { transaction, onCommit, idle: () => sentMarks.idle() };
}
