/**
 * A running beat: the scheduler's turns in a loop until stop(). Stopping wakes the loop, waits for the
 * turn in progress (a send in flight completes), and releases the lease so another beat leads at once.
 */
import { Scheduler, type BeatSend, type SchedulerDeps } from "./scheduler.js";

export interface RunningBeat {
  /** This beat's id in the lease: `<hostname>:<pid>:<random>`. */
  readonly holder: string;
  /** True while this beat holds the lease and sends. */
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function startBeat(deps: SchedulerDeps, onSend?: (send: BeatSend) => void): RunningBeat {
  const scheduler = new Scheduler(deps, onSend);
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      let sleepMs: number;
      try {
        sleepMs = await scheduler.turn();
      } catch (error) {
        if (!deps.schema?.report(error)) deps.log.error({ err: error }, "beat turn failed (database unreachable?); trying again");
        sleepMs = deps.config.beatMaxLoopIntervalMs;
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    holder: deps.lease.holder,
    isLeader: () => deps.lease.isLeader(),
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await deps.lease.release().catch((error: unknown) => deps.log.warn({ err: error }, "could not release the beat lease; it lapses on its own"));
    },
  };
}
