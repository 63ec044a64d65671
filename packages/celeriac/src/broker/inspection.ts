/**
 * What a broker stores and reports for `inspect` (Celery's inspect/control): the heartbeat record each
 * running worker publishes, the delayed jobs of a queue, and a queue's job counts. Plain JSON shapes, so
 * they travel through Redis and out of the CLI's --json unchanged; times are ms since the epoch.
 */

/** A task a worker is running now. */
export interface ActiveTask {
  /** Task id (also the job id). */
  id: string;
  /** Task name. */
  task: string;
  /** When its body started, ms since the epoch. */
  startedAt: number;
}

/** What a worker has done since it started. */
export interface TaskCounts {
  /** Tasks that finished, whatever the outcome (succeeded + failed + retried + revoked). */
  processed: number;
  succeeded: number;
  /** Failed for good (no retry left). */
  failed: number;
  /** Failed and sent to run again. */
  retried: number;
  /** Expired, revoked before they started, or terminated. */
  revoked: number;
}

/**
 * A heartbeat lives this many of its worker's intervals unless renewed (its TTL): one or two lost beats do
 * not hide a live worker, and past that the worker is offline.
 */
export const HEARTBEAT_TTL_INTERVALS = 3;

/**
 * One worker's heartbeat: replaced every few seconds while the worker runs, gone a few intervals after
 * it stops sending (a dead worker disappears), removed at once by a worker that stops cleanly.
 */
export interface WorkerHeartbeat {
  /** Unique per running worker (several workers may share a hostname): `<hostname>:<pid>:<random>`. */
  id: string;
  /** `celeriac@<host>` or the worker's -n name. */
  hostname: string;
  pid: number;
  queues: string[];
  /** Tasks run at once, per queue. */
  concurrency: number;
  /** Where its tasks run: in the worker's process (async) or each in a child process (`--pool process`). */
  pool: "async" | "process";
  /** Names of the tasks this worker runs. */
  tasks: string[];
  startedAt: number;
  /** When this record was sent. */
  sentAt: number;
  /** How often the worker sends it, ms. */
  intervalMs: number;
  counts: TaskCounts;
  /** Finished tasks per task name (Celery's stats `total`). */
  total: Record<string, number>;
  active: ActiveTask[];
}

/**
 * Where a worker seen lately stands: `online` while its heartbeat is live (younger than
 * HEARTBEAT_TTL_INTERVALS of its intervals), `offline` once it stopped sending without saying goodbye
 * (killed, crashed, cut off from Redis), `stopped` when it stopped cleanly and removed its heartbeat.
 */
export type WorkerState = "online" | "offline" | "stopped";

/** A worker whose last heartbeat is recent enough to be kept (broker.workersSeen()), with where it stands. */
export interface SeenWorker {
  /** Its last heartbeat: for an offline worker, what it was doing when it went silent. */
  heartbeat: WorkerHeartbeat;
  state: WorkerState;
}

/** A job waiting for its time: a countdown or eta, a retry's backoff, or a rate-limit slot. */
export interface ScheduledJob {
  id: string;
  task: string;
  args: unknown[];
  queue: string;
  /** When it becomes due, ms since the epoch. */
  eta: number;
  /** Retries so far: more than 0 means it waits to be retried. */
  retries: number;
}

/** A queue's jobs by state, as BullMQ counts them. */
export interface QueueCounts {
  waiting: number;
  /** Waiting, with a priority (BullMQ keeps them apart from the plain waiting list). */
  prioritized: number;
  /** Taken by a worker and running. */
  active: number;
  /** Waiting for their time (countdown, eta, retry backoff, rate limit). */
  delayed: number;
  /** Failed for good; kept a while for inspection. */
  failed: number;
  /** Paused (BullMQ's own pause): workers take no new job from it; its running ones go on. */
  paused: boolean;
}
