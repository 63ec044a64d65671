/**
 * A running worker: consumes its queues through the broker and runs each message through the execution
 * pipeline. Lifecycle: start → (serve) → stop, where stop stops taking messages and waits for the running
 * ones up to the grace period; past it, ctx.signal aborts and unfinished messages are redelivered later.
 * A shutdown asked through the broker (TaskControl.shutdownWorker, `celeriac control shutdown`) is that
 * same stop, begun by the worker itself.
 */
import type { TaskControl, TaskTransport, WorkerChannel } from "../broker/broker.js";
import type { ResolvedConfig } from "../config.js";
import { TaskRevokedError } from "../errors.js";
import type { Signals } from "../signals.js";
import type { Logger } from "../log.js";
import type { ResultBackend } from "../results/backend.js";
import type { Registry } from "../task/registry.js";
import type { HandlerResult, TaskMessage } from "../message.js";
import { executeMessage } from "./execute.js";
import type { ContinueWorkflow } from "../canvas/continue.js";
import { createHeartbeat } from "./heartbeat.js";
import { warnOfOldLayoutQueues } from "./old-layout-warning.js";

/** Where messages run when not in this process: the process pool (process-pool.ts). */
export interface Pool {
  run(message: TaskMessage): Promise<HandlerResult>;
  /** Revoke with terminate: stop the run of this task if it is in the pool. */
  terminate(taskId: string): void;
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** Where messages come from (the channel) and what each is checked against (control); `transport` names it in logs. */
  broker: Pick<TaskTransport, "transport"> & WorkerChannel & TaskControl;
  config: ResolvedConfig;
  signals: Signals;
  backend: ResultBackend;
  registry: Registry;
  queues: readonly string[];
  concurrency: number;
  hostname: string;
  graceMs: number;
  log: Logger;
  /** Run messages in this pool instead of in this process (`--pool process`). */
  pool?: Pool;
  /** Sends what follows a workflow's message when it ends (the app's). */
  continueWorkflow?: ContinueWorkflow;
}

export interface RunningWorker {
  /** Warm shutdown: resolves once running tasks are done, or the grace period is over. */
  stop(): Promise<{ drained: boolean }>;
  /**
   * Resolves when a client asked this worker to shut down through the broker; the worker has begun its
   * warm shutdown then (stop() returns that same shutdown). Never resolves otherwise.
   */
  readonly shutdownRequested: Promise<void>;
}

/** A Redis that stays away is said at most this often (its connections report each reconnect attempt). */
const BROKER_OUTAGE_LOG_MS = 2000;

/**
 * While Redis is away every connection of the worker reports every reconnect attempt (several a second):
 * a network error is said once per BROKER_OUTAGE_LOG_MS, without a stack; any other broker error is logged as is.
 */
function brokerErrorLog(log: Logger, transport: string): (error: Error) => void {
  let saidAt = Number.NEGATIVE_INFINITY;
  return (error) => {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string") return void log.error({ err: error }, `broker error: ${error.message}`);
    if (Date.now() - saidAt < BROKER_OUTAGE_LOG_MS) return;
    saidAt = Date.now();
    log.warn(`Redis at ${transport} does not answer (${code}); reconnecting, running tasks go on and new ones wait`);
  };
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { broker, backend, registry, hostname, log, config, signals } = options;
  const abort = new AbortController();
  const running = new Map<string, AbortController>();
  const deps = {
    lookup: (name: string) => registry.get(name),
    backend,
    config,
    signals,
    hostname,
    log,
    signal: abort.signal,
    running,
    isRevoked: (id: string) => broker.isRevoked(id),
    reserveRate: (task: string, rate: string) => broker.reserveRate(task, rate),
    continueWorkflow: options.continueWorkflow,
  };
  const { pool } = options;
  // What `npm run celeriac -- inspect` reads; sent until the running tasks are done or given up.
  const heartbeat = createHeartbeat({
    broker,
    hostname,
    queues: options.queues,
    concurrency: options.concurrency,
    pool: pool ? "process" : "async",
    tasks: () => registry.names(),
    log,
  });
  // Settled by the control channel, acted on once the consumer exists (below).
  let askedToShutDown!: () => void;
  const shutdownRequested = new Promise<void>((resolve) => (askedToShutDown = resolve));
  const consumer = await broker.consume((message) => heartbeat.track(message, () => (pool ? pool.run(message) : executeMessage(deps, message))), {
    queues: options.queues,
    concurrency: options.concurrency,
    hostname,
    workerId: heartbeat.id,
    onError: brokerErrorLog(log, broker.transport),
    onTerminate: (taskId) => (pool ? pool.terminate(taskId) : running.get(taskId)?.abort(new TaskRevokedError(taskId, "terminated"))),
    onShutdown: () => askedToShutDown(),
  });
  await heartbeat.start();
  void warnOfOldLayoutQueues(broker, log, config.keyPrefix, options.queues);
  signals.emit("workerReady", { hostname, queues: options.queues });
  let stopping: Promise<{ drained: boolean }> | undefined;
  const stop = () =>
    (stopping ??= consumer.close(options.graceMs).finally(() => heartbeat.stop()).then(async (result) => {
      if (!result.drained) abort.abort(new Error("worker shut down before the task finished"));
      await pool?.close();
      signals.emit("workerShutdown", { hostname, drained: result.drained });
      return result;
    }));
  void shutdownRequested.then(() => {
    log.info({ workerId: heartbeat.id }, "shutdown requested through the broker (celeriac control shutdown): warm shutdown");
    return stop().catch((error: unknown) => log.error({ err: error }, "error during shutdown"));
  });
  return { stop, shutdownRequested };
}
