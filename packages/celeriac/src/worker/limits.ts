/**
 * Time limits for one run in the async pool (Celery's soft_time_limit and time_limit):
 * - soft: ctx.signal aborts with SoftTimeLimitExceeded; a task that honours its signal can clean up and
 *   throw (ctx.signal.throwIfAborted()), which fails or retries it as any error would;
 * - hard: the run is abandoned and ends as TimeLimitExceeded; the worker's slot is free at once.
 * JavaScript cannot stop a running promise: an abandoned run that ignores its signal keeps whatever it
 * holds (timers, sockets) until it settles on its own. The process pool kills the child instead.
 */
import { SoftTimeLimitExceeded, TimeLimitExceeded } from "../errors.js";

export type RunResult = { ok: true; value: unknown } | { ok: false; thrown: unknown };

export interface Limits {
  softTimeLimitMs?: number;
  timeLimitMs?: number;
  /** The worker's own signal (shutdown): aborts the run's signal too. */
  parent?: AbortSignal;
  /** Abandons the run at once when aborted (revoke with terminate), ending it with the signal's reason. */
  cancel?: AbortSignal;
}

export async function runWithLimits(run: (signal: AbortSignal) => unknown, { softTimeLimitMs, timeLimitMs, parent, cancel }: Limits): Promise<RunResult> {
  // One controller the others abort through listeners: AbortSignal.any() cost ~3 % of a no-op task's CPU.
  const controller = new AbortController();
  const signal = controller.signal;
  const unlink: (() => void)[] = [];
  for (const outer of [parent, cancel]) {
    if (!outer) continue;
    if (outer.aborted) controller.abort(outer.reason);
    else {
      const forward = () => controller.abort(outer.reason);
      outer.addEventListener("abort", forward, { once: true });
      unlink.push(() => outer.removeEventListener("abort", forward));
    }
  }
  const timers: NodeJS.Timeout[] = [];
  const contenders: Promise<RunResult>[] = [
    (async () => {
      try {
        return { ok: true as const, value: await run(signal) };
      } catch (thrown) {
        return { ok: false as const, thrown };
      }
    })(),
  ];
  if (cancel) {
    contenders.push(
      new Promise((resolve) => {
        const stop = () => resolve({ ok: false, thrown: cancel.reason });
        if (cancel.aborted) stop();
        else cancel.addEventListener("abort", stop, { once: true });
      }),
    );
  }
  if (softTimeLimitMs) timers.push(setTimeout(() => controller.abort(new SoftTimeLimitExceeded(softTimeLimitMs)), softTimeLimitMs));
  if (timeLimitMs) {
    contenders.push(
      new Promise((resolve) => {
        timers.push(
          setTimeout(() => {
            const error = new TimeLimitExceeded(timeLimitMs);
            controller.abort(error);
            resolve({ ok: false, thrown: error });
          }, timeLimitMs),
        );
      }),
    );
  }
  try {
    return await Promise.race(contenders);
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const u of unlink) u();
  }
}
