/**
 * OS signals → warm shutdown (Celery's): the first SIGTERM or SIGINT stops taking tasks and waits for the
 * running ones (bounded by the grace period), then exits 0. A second signal exits at once (cold shutdown);
 * the tasks it interrupts are redelivered to another worker. A shutdown asked another way (a worker's
 * `celeriac control shutdown`) goes through the same warm shutdown, as a first signal would.
 */
import type { Logger } from "../log.js";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** What the process says while it stops; the defaults are a worker's. */
export interface ShutdownWords {
  warm: string;
  cold: string;
  done: string;
  abandoned: string;
}

const WORKER_WORDS: ShutdownWords = {
  warm: "warm shutdown: waiting for running tasks (send the signal again to exit at once)",
  cold: "cold shutdown: exiting now; interrupted tasks will be redelivered",
  done: "all running tasks finished; bye",
  abandoned: "grace period over; unfinished tasks will be redelivered",
};

/** Installs the signal handlers; returns the warm shutdown, for a request that is not a signal (`cause` is logged). */
export function exitOnSignals(stop: () => Promise<{ drained: boolean }>, log: Logger, words: ShutdownWords = WORKER_WORDS): (cause: Record<string, string>) => void {
  let stopping = false;
  const warm = (cause: Record<string, string>) => {
    if (stopping) return;
    stopping = true;
    log.info(cause, words.warm);
    stop().then(
      ({ drained }) => {
        log.info({ drained }, drained ? words.done : words.abandoned);
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, words.cold);
      process.exit(1);
    }
    warm({ signal });
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return warm;
}
