/**
 * createCeleriac(): the framework's composition root, called once by the app's lib/celery.ts (Django's
 * proj/celery.py). It resolves settings, picks the broker (BullMQ, or eager) and the result store, and
 * hands out `task()` and `AsyncResult.from()` bound to them. Creating an app opens no connection: the
 * broker connects on first use, so importing a task module from a route handler is free.
 */
import { randomBytes } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { z } from "zod";
import { startBeat, type RunningBeat } from "./beat/beat.js";
import { LeaderLease } from "./beat/leader.js";
import { BACKEND_CLEANUP, type BeatSend } from "./beat/scheduler.js";
import { PERIODIC_TASK_TABLES, PeriodicTaskStore, type PeriodicTaskClient } from "./beat/store.js";
import type { Broker } from "./broker/broker.js";
import { BullmqBroker } from "./broker/bullmq.js";
import { GROUP_COLUMNS } from "./canvas/group-row.js";
import { workflowContinuation, type ContinueWorkflow } from "./canvas/continue.js";
import { GroupResult } from "./canvas/group-result.js";
import { groupCommit } from "./group-commit.js";
import { eagerBroker } from "./broker/eager.js";
import { BrokerSlot } from "./broker/slot.js";
import { concurrencyFor, resolveConfig, type ResolvedConfig, type Settings } from "./config.js";
import { bindTask, type Task } from "./dispatch/apply.js";
import { createLogger, type Logger } from "./log.js";
import { AsyncResult, type ReadScope } from "./results/async-result.js";
import type { ResultBackend } from "./results/backend.js";
import type { Outcome, StateChange, TaskMessage } from "./message.js";
import { AuditLog } from "./results/audit.js";
import { TaskQueries } from "./results/queries.js";
import { COLUMNS, type AnnouncedRow } from "./results/row.js";
import type { RequiredTables } from "./results/schema-check.js";
import { SchemaMonitor } from "./results/schema-monitor.js";
import { SqlResultBackend } from "./results/sql-backend.js";
import { openTaskStore } from "./store/open.js";
import { QUERY_TABLES } from "./store/query-statements.js";
import { defineTask, type ArgsSchema, type ResultOf, type TaskOptions } from "./task/define.js";
import { Signals } from "./signals.js";
import { Registry } from "./task/registry.js";
import { OutboxStore, type OutboxClient } from "./transaction/outbox.js";
import { OUTBOX_COLUMNS } from "./transaction/outbox-row.js";
import { makeTransactions, type TransactionOptions, type TransactionPort } from "./transaction/transaction.js";
import { isPostgresUrl, redactUrl } from "./url.js";
import { executeMessage } from "./worker/execute.js";
import { startWorker, type RunningWorker, type WorkerOptions } from "./worker/worker.js";

/**
 * What celeriac needs of the app's Prisma client: any client generated from prisma/models fits. Results and
 * the outbox need only `$transaction` and, on its transaction client, `$executeRawUnsafe` (savepoints, the
 * outbox insert); every other statement of theirs goes through the task store (store/store.ts). Beat's
 * PeriodicTaskClient stays Prisma-shaped (model delegates, Prisma's argument shapes) on purpose: the periodic
 * tasks are the admin's rows, with relations (a schedule table per kind) that Prisma's nested writes and
 * includes keep simple, off any hot path; and beat's claim on a row commits in the same Prisma transaction
 * as the slot's outbox insert.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each generated client has its own tx type
export type CeleriacPrisma = OutboxClient & PeriodicTaskClient & TransactionPort<any>;

/** The transaction client Prisma hands to `$transaction(fn)`: the client less what a transaction may not do. */
export type TxOf<P> = Omit<P, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends" | "$use">;

export interface CeleriacOptions<P extends CeleriacPrisma = CeleriacPrisma> extends Settings {
  /** The app's Prisma client: any client generated from prisma/models (TaskResult, TaskOutbox). */
  prisma: P;
  /**
   * The database URL the Prisma client uses (`file:…` or `postgresql://…`): result and outbox rows are
   * written and read through the driver itself on a connection of their own (store/store.ts); shown without its
   * password in the worker banner.
   */
  databaseUrl: string;
  /**
   * The names of the migrations this build ships, oldest first (read when the schema is checked; undefined
   * when they are not deployed beside the code). The worker, beat and the CLI then refuse a database that
   * has not applied one of them, which covers the app's own tables too; without it they check celeriac's
   * tables and columns only.
   */
  migrations?: () => readonly string[] | undefined;
  /** The command that migrates the database, named in "not migrated" messages. @defaultValue "npx prisma migrate deploy" */
  migrateCommand?: string;
}

/** celeriac's own tables, with every column its statements use (the schema check at start). */
export const CELERIAC_TABLES: RequiredTables = {
  TaskResult: [...COLUMNS, ...QUERY_TABLES.TaskResult],
  TaskOutbox: OUTBOX_COLUMNS,
  ...PERIODIC_TASK_TABLES,
  AuditLog: QUERY_TABLES.AuditLog,
  TaskGroup: GROUP_COLUMNS,
};

export interface Celeriac<P extends CeleriacPrisma = CeleriacPrisma> {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  /** Every task defined through this app, by name (the worker uses the discovered ones instead). */
  readonly registry: Registry;
  readonly broker: Broker;
  /**
   * Sends every message of this app through `broker` instead (dispatch, transactions, workers, beat) until
   * the returned function is called. For tests: celeriac/testing's fakeQueue(app) is built on it.
   */
  useBroker(broker: Broker): () => void;
  readonly backend: ResultBackend;
  /**
   * Whether the database is migrated for this build: `assertReady()` (the worker, beat and the CLI call it
   * at start), `explain(error)` (a missing table's error as a SchemaNotReadyError with the fix, for HTTP 503).
   */
  readonly schema: SchemaMonitor;
  /** `celeriac@<host>`. */
  readonly hostname: string;
  /** What a worker runs when a workflow's message ends (canvas/continue.ts); the process pool's children use it too. */
  readonly continueWorkflow: ContinueWorkflow;
  /** A group's handle from its id (Celery: GroupResult.restore); null when no such group was recorded. */
  groupResult(id: string): Promise<GroupResult | null>;
  /** Celery's signals: `signals.on("taskFailure", ({ taskId, error }) => …)`. */
  readonly signals: Signals;
  /** Defines a task bound to this app: `task({ name, args: z.tuple([…]), run })`. */
  task<S extends ArgsSchema, R>(options: TaskOptions<S, R>): Task<S, R>;
  /**
   * `AsyncResult.from<typeof someTask>(id)`: a typed handle on a task id received earlier; with
   * `{ ownedBy: [...] }`, one that reads only a result of those owners (see ReadScope).
   */
  readonly AsyncResult: { from<T = unknown>(id: string, scope?: ReadScope): AsyncResult<ResultOf<T>> };
  /**
   * Runs `fn` in a Prisma interactive transaction. onCommit callbacks and `.delay()` calls inside run after
   * the commit and never after a rollback; `{ durable: true }` writes dispatches to the outbox first.
   */
  transaction<T>(fn: (tx: TxOf<P>) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `callback` after the current transaction commits (Django's transaction.on_commit); at once outside one. */
  onCommit(callback: () => unknown): void;
  /** The durable-dispatch outbox; workers run its relay. */
  readonly outbox: OutboxStore;
  /**
   * Starts a worker in this process (what `npm run worker` does after discovery). Defaults: the tasks
   * defined through this app, the default queue, settings.concurrency, settings.shutdownGraceMs.
   */
  startWorker(options?: Partial<Pick<WorkerOptions, "registry" | "queues" | "concurrency" | "hostname" | "graceMs" | "log" | "pool">>): Promise<RunningWorker>;
  /**
   * Deletes finished results older than settings.resultExpires (Celery's celery.backend_cleanup);
   * resultExpires 0 keeps everything. Returns how many rows went.
   */
  cleanupResults(now?: Date): Promise<number>;
  /** The PeriodicTask table: what beat runs, and what the admin edits. */
  readonly periodicTasks: PeriodicTaskStore;
  /**
   * The dashboard's reads of the task results (the Tasks list with filters and keyset pages, one task with
   * its retries and outbox row, counts, the overview's aggregates) and the retry's link: bounded work on a
   * table of any size, on the store's own connection.
   */
  readonly taskQueries: TaskQueries;
  /** The audit log of the dashboard's actions (who, when, what), idempotent by each action's request key. */
  readonly audit: AuditLog;
  /** Tasks every app has (Celery's built-ins): celeriac.backendCleanup. Workers and beat register them. */
  readonly builtinTasks: readonly Task[];
  /**
   * Starts a beat in this process (what `npm run beat` does after discovery): it leads when it holds the
   * lease, syncs settings.beatSchedule into managed rows, and sends due periodic tasks through `registry`'s
   * tasks (default: the tasks defined through this app).
   */
  startBeat(options?: { registry?: Registry; hostname?: string; log?: Logger; onSend?: (send: BeatSend) => void }): RunningBeat;
  /** Writes the results still waiting (for a few seconds at most) and closes the broker's and the store's connections. */
  close(): Promise<void>;
}

export function createCeleriac<P extends CeleriacPrisma>(options: CeleriacOptions<P>): Celeriac<P> {
  const { prisma, databaseUrl, migrations, migrateCommand, ...settings } = options;
  const config = resolveConfig(settings);
  const log = createLogger(config.logLevel, config.logFormat, { app: config.appName });
  const hostname = `celeriac@${osHostname()}`;
  const registry = new Registry();
  const signals = new Signals((signal, error) => log.error({ err: error, signal }, "a signal handler threw"));
  // Every part of the app holds the slot, so useBroker() reaches all of them.
  const broker = new BrokerSlot(
    config.alwaysEager
      ? eagerBroker((message) => executeMessage({ lookup: (name) => registry.get(name), backend, config, signals, hostname, log, continueWorkflow }, message))
      : new BullmqBroker({ redisUrl: config.redisUrl, keyPrefix: config.keyPrefix, keyLayout: config.redisKeyLayout, waitReplicas: config.redisWaitReplicas, waitTimeoutMs: config.redisWaitTimeoutMs, lockMs: config.workerLockMs }),
  );
  // One connection (SQLite) or pool (PostgreSQL) of celeriac's own, beneath Prisma: result rows, the outbox, the schema check.
  const store = openTaskStore(databaseUrl);
  const schema = new SchemaMonitor({
    store,
    where: redactUrl(databaseUrl),
    tables: CELERIAC_TABLES,
    migrations,
    fix: migrateCommand,
    log,
    reportIntervalMs: config.schemaReportIntervalMs,
  });
  const backend = new SqlResultBackend(store, redactUrl(databaseUrl), { log, announce: (changes) => broker.announce(changes), schema });
  const outbox = new OutboxStore(store);
  const { transaction, onCommit, idle: dispatchesMarked } = makeTransactions<TxOf<P>>({
    prisma: prisma as unknown as TransactionPort<TxOf<P>>,
    outbox,
    groups: store.groups,
    broker,
    backend,
    log,
    schema,
  });
  const results = {
    backend,
    pollIntervalMs: config.resultPollIntervalMs,
    revoke: (id: string, terminate: boolean) => broker.revoke(id, terminate),
    // The broker carries what the result store announced: rows of the store's AnnouncedRow shape.
    onAnnounce: (listener: (changes: readonly StateChange<AnnouncedRow>[]) => void) => broker.onAnnounce(listener as (changes: readonly StateChange[]) => void),
  };
  const deps = { config, broker, results, log, groups: store.groups };
  // The continuation's "sent" marks, group-committed as a durable dispatch's are.
  const workflowSentMarks = groupCommit<string>(
    (ids) => outbox.markDispatchedMany(ids, new Date()),
    (error, ids) => log.warn({ err: error }, `could not mark ${ids.length} sent workflow messages; the relay will find their tasks taken or send them again (same job id)`),
  );
  function continueWorkflow(message: TaskMessage, outcome: Outcome): Promise<void> {
    return continuation(message, outcome);
  }
  const continuation = workflowContinuation({
    groups: store.groups,
    publish: ({ message, publish }) => broker.publish(message, publish),
    markSent: (id) => void workflowSentMarks.add(id),
    finished: (run) => backend.finished(run),
    hostname,
    log,
  });
  const cleanupResults = async (now = new Date()) => {
    if (config.resultExpires === 0) return 0;
    const before = new Date(now.getTime() - config.resultExpires * 1000);
    await store.groups.deleteGroupsBefore(before);
    return backend.deleteFinishedBefore(before);
  };
  const builtinTasks = [
    bindTask(defineTask({ name: BACKEND_CLEANUP, args: z.tuple([]), run: async () => ({ deleted: await cleanupResults() }) }), deps),
  ];
  for (const builtin of builtinTasks) registry.register(builtin);
  const periodicTasks = new PeriodicTaskStore(prisma, config.maxPayloadBytes);
  return {
    config,
    log,
    registry,
    broker,
    useBroker: (replacement) => broker.use(replacement),
    backend,
    schema,
    signals,
    hostname,
    task(taskOptions) {
      const task = bindTask(defineTask(taskOptions), deps);
      registry.register(task);
      return task;
    },
    AsyncResult: {
      from: (id, scope) => new AsyncResult(id, results, undefined, scope),
    },
    transaction,
    onCommit,
    outbox,
    continueWorkflow,
    groupResult: async (id) => {
      const row = await store.groups.findGroup(id);
      return row && new GroupResult(row.id, row.memberIds.map((memberId) => new AsyncResult(memberId, results)), deps);
    },
    startWorker: (workerOptions = {}) =>
      startWorker({
        continueWorkflow,
        broker,
        backend,
        config,
        signals,
        registry,
        queues: [config.defaultQueue],
        concurrency: concurrencyFor(config, workerOptions.pool ? "process" : "async"),
        hostname,
        graceMs: config.shutdownGraceMs,
        log,
        ...workerOptions,
      }),
    cleanupResults,
    periodicTasks,
    taskQueries: new TaskQueries(store.queries),
    audit: new AuditLog(store.queries),
    builtinTasks,
    startBeat: (beatOptions = {}) =>
      startBeat(
        {
          config,
          broker,
          outbox,
          store: periodicTasks,
          backend,
          registry: beatOptions.registry ?? registry,
          lease: new LeaderLease(broker, `${beatOptions.hostname ?? hostname}:${process.pid}:${randomBytes(4).toString("hex")}`, config.beatLockMs),
          transaction: transaction as <T>(fn: (tx: unknown) => Promise<T>, options?: TransactionOptions) => Promise<T>,
          onCommit,
          schema,
          boundClaimLocks: isPostgresUrl(databaseUrl),
          log: beatOptions.log ?? log,
        },
        beatOptions.onSend,
      ),
    close: async () => {
      await Promise.all([dispatchesMarked(), workflowSentMarks.idle()]);
      await backend.close();
      await broker.close();
    },
  };
}
