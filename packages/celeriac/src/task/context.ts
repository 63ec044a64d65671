import type { Logger } from "../log.js";

/** What a running task knows about itself (Celery's `self.request` for bound tasks). */
export interface TaskContext {
  /** The task id: the same as the AsyncResult id and the TaskResult row id. */
  readonly id: string;
  /** The registered task name, e.g. "demo.add". */
  readonly name: string;
  /** The queue the task was taken from ("eager" when run inline). */
  readonly queue: string;
  /** How many times this task has been retried before this run. */
  readonly retries: number;
  /** The worker's name, `celeriac@<hostname>`. */
  readonly hostname: string;
  /** Aborted when the worker gives up on this run; pass it to fetch() and other cancellable calls. */
  readonly signal: AbortSignal;
  /** A logger bound to this task's id and name. */
  readonly log: Logger;
  /**
   * Runs the task again later (Celery: self.retry). Throws, so write `throw ctx.retry(...)` or just call it.
   * `countdown` in seconds (default: the task's backoff policy); `error` is stored as the reason, and is the
   * task's error if no retry is left (maxRetries).
   */
  retry(options?: { countdown?: number; error?: unknown }): never;
}
