/**
 * One run's ctx.progress(): validates each call at once (a bad one throws in the task) and throttles the
 * writes, so a task that reports a million times costs a few rows a second: the first report is written
 * at once, later ones at most one per interval, the latest value winning (those in between are dropped).
 * end() — called when the run is over, before its outcome is handed to the result writer — drops a write
 * still waiting and ignores later calls (a callback the task left behind): a progress is never written
 * after the outcome.
 */
import { InvalidProgressError } from "../errors.js";
import { progressOf, progressProblem, type TaskProgress } from "../task/progress.js";

/** At most one progress write per run per this many ms. */
export const PROGRESS_INTERVAL_MS = 250;

export class ProgressReporter {
  private latest: TaskProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = -Infinity;
  private ended = false;

  constructor(
    private readonly write: (progress: TaskProgress) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  report(input: unknown): void {
    const problem = progressProblem(input);
    if (problem) throw new InvalidProgressError(`ctx.progress(): ${problem}`);
    if (this.ended) return;
    this.latest = progressOf(input)!; // a copy: the task may change its object after the call
    if (this.timer) return;
    const waitMs = this.lastWriteAt + this.intervalMs - performance.now();
    if (waitMs <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), waitMs);
  }

  end(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const progress = this.latest;
    this.latest = undefined;
    if (!progress) return;
    this.lastWriteAt = performance.now();
    this.write(progress);
  }
}
