import type { Logger } from "../log.js";
import type { TaskProgress } from "./progress.js";

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
  /**
   * Reports how far the task has got (Celery: self.update_state(state="PROGRESS", meta=…)): the row's state
   * becomes PROGRESS with `meta` = { current, total, message? }, read by AsyncResult.progress(). Call it
   * as often as you like: it returns at once, writes the first report at once and then at most one every
   * 250 ms (the latest wins), and never after the task's outcome. Throws InvalidProgressError when current
   * or total is not a finite number ≥ 0, or message is not a string of at most 200 characters. A task
   * that keeps no result (ignoreResult) reports nothing.
   */
  progress(progress: TaskProgress): void;
}
