/**
 * A worker's heartbeat (Celery's worker heartbeat events, kept in Redis instead of a fan-out): every
 * `intervalMs`, and soon after a task starts or ends, the worker stores a small record through the broker —
 * who it is, what it serves, what it has done and what it runs now — with a TTL of three intervals, so
 * `inspect` sees live workers only and a dead one drops out on its own. A worker that stops cleanly
 * removes its record at once.
 *
 * Counts and running tasks come from the worker's own outcomes: `track()` wraps each message the worker
 * handles. Signals would not do: with `--pool process` tasks run, and signals fire, in child processes, and
 * every worker of one app in one process shares the app's signals.
 */
import { randomBytes } from "node:crypto";
import type { WorkerChannel } from "../broker/broker.js";
import { HEARTBEAT_TTL_INTERVALS, type ActiveTask, type TaskCounts, type WorkerHeartbeat } from "../broker/inspection.js";
import { BrokerUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { HandlerResult, TaskMessage } from "../message.js";

/** @defaultValue 2000 (Celery's worker heartbeat is 2 s too) */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** A task starting or ending sends a beat this soon (at most this often), so `inspect active` is current. */
const CHANGE_GAP_MS = 500;
/** A stopping worker waits at most this long for Redis to take its last write, then leaves it to the TTL. */
const STOP_TIMEOUT_MS = 2000;

export interface HeartbeatOptions {
  broker: Pick<WorkerChannel, "sendHeartbeat" | "removeHeartbeat">;
  hostname: string;
  queues: readonly string[];
  concurrency: number;
  /** Where the worker runs its tasks (`--pool`). */
  pool: WorkerHeartbeat["pool"];
  /** The names of the tasks the worker runs, read at each beat (tasks may be defined after the start). */
  tasks: () => readonly string[];
  log: Logger;
  /** @defaultValue HEARTBEAT_INTERVAL_MS */
  intervalMs?: number;
  now?: () => number;
}

export interface Heartbeat {
  /** This worker's id in the records (`<hostname>:<pid>:<random>`). */
  readonly id: string;
  /** Runs one message through `handle`, reporting it as active meanwhile and counting its outcome. */
  track<R extends HandlerResult>(message: TaskMessage, handle: () => Promise<R>): Promise<R>;
  /** Sends the first record and beats from then on; resolves once that record was sent (or failed to be). */
  start(): Promise<void>;
  /** Sends a record now; never rejects, a failed send is logged. */
  beat(): Promise<void>;
  /** Stops sending and removes the record; never rejects, and gives up on an unreachable Redis. */
  stop(): Promise<void>;
}

/** A heartbeat that tracks at once and sends nothing until `start()`. */
export function createHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { broker, hostname, log } = options;
  const intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const id = `${hostname}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const startedAt = now();
  const counts: TaskCounts = { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0 };
  const total: Record<string, number> = {};
  const running = new Map<string, ActiveTask>();

  const record = (): WorkerHeartbeat => ({
    id,
    hostname,
    pid: process.pid,
    queues: [...options.queues],
    concurrency: options.concurrency,
    pool: options.pool,
    tasks: [...options.tasks()],
    startedAt,
    sentAt: now(),
    intervalMs,
    counts: { ...counts },
    total: { ...total },
    active: [...running.values()],
  });

  let state: "new" | "beating" | "stopped" = "new";
  let stopping: Promise<void> | undefined;
  let inFlight: Promise<void> | undefined;
  let lastBeat = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending: NodeJS.Timeout | undefined;
  const beat = (): Promise<void> => {
    if (state !== "beating") return Promise.resolve();
    lastBeat = now();
    // One send at a time: while Redis is slow or away, beats are skipped rather than queued up.
    inFlight ??= broker
      .sendHeartbeat(record(), intervalMs * HEARTBEAT_TTL_INTERVALS)
      .catch((error: unknown) => {
        // Redis away: the worker's connection errors say so already, every 2 s; this one adds only a stack.
        if (error instanceof BrokerUnavailableError) log.debug(`could not send the worker heartbeat: ${error.message}`);
        else log.warn({ err: error }, "could not send the worker heartbeat");
      })
      .finally(() => (inFlight = undefined));
    return inFlight;
  };
  /** A beat in a moment, coalescing the changes of a burst of tasks into one write. */
  const soon = (): void => {
    if (state !== "beating" || pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      void beat();
    }, Math.max(0, lastBeat + CHANGE_GAP_MS - now()));
    pending.unref();
  };
  const count = (message: TaskMessage, result: HandlerResult): void => {
    if (result.status === "DEFERRED") return; // not run: it waits for a rate-limit slot
    counts.processed++;
    total[message.task] = (total[message.task] ?? 0) + 1;
    if (result.status === "SUCCESS") counts.succeeded++;
    else if (result.status === "FAILURE") counts.failed++;
    else if (result.status === "RETRY") counts.retried++;
    else counts.revoked++;
  };

  return {
    id,
    async track(message, handle) {
      running.set(message.id, { id: message.id, task: message.task, startedAt: now() });
      soon();
      try {
        const result = await handle();
        count(message, result);
        return result;
      } finally {
        running.delete(message.id);
        soon();
      }
    },
    async start() {
      if (state !== "new") return;
      state = "beating";
      await beat();
      timer = setInterval(() => void beat(), intervalMs);
      timer.unref();
    },
    beat,
    stop() {
      return (stopping ??= (async () => {
        const wasBeating = state === "beating";
        const changed = pending !== undefined;
        clearInterval(timer);
        clearTimeout(pending);
        // The record kept after the stop (broker.workersSeen) says what the worker had done, not a task it
        // finished after its last beat as still running.
        if (wasBeating && changed) {
          await bounded(inFlight ?? Promise.resolve());
          await bounded(beat());
        }
        state = "stopped";
        if (!wasBeating) return;
        // A send still under way would write the record back after the removal: let it land first.
        await bounded(inFlight ?? Promise.resolve());
        await bounded(broker.removeHeartbeat(id)).catch((error: unknown) => log.warn({ err: error }, "could not remove the worker heartbeat"));
      })());
    },
  };
}

/** Resolves when `work` settles or after STOP_TIMEOUT_MS, whichever comes first; rejects if `work` does. */
function bounded(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
