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
}
