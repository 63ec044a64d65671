/**
 * The one warning a worker gives at start when jobs of its app sit in Redis under celeriac 0.2's key layout,
 * which it does not read (redisKeyLayout "per-queue"): those jobs would never run, and nothing else would
 * say why. Checked once per start for the worker's own queues (a few commands each, no SCAN of the
 * keyspace), off the start-up path.
 */
import type { OldLayoutQueue, WorkerChannel } from "../broker/broker.js";
import type { Logger } from "../log.js";

export function oldLayoutWarning(queues: readonly OldLayoutQueue[], keyPrefix: string): string {
  const total = queues.reduce((sum, q) => sum + q.jobs, 0);
  const listed = queues.map((q) => `${q.queue} (${q.jobs})`).join(", ");
  return (
    `${total} ${total === 1 ? "job" : "jobs"} of this app ${total === 1 ? "is" : "are"} in Redis under celeriac 0.2's key layout ({${keyPrefix}}:<queue>:…), ` +
    `which this worker does not read: ${queues.length === 1 ? "queue" : "queues"} ${listed}. ` +
    'To run them, stop the workers and move them with `npx celeriac migrate-redis-keys`, or set redisKeyLayout: "one-slot" to keep the old layout'
  );
}

/** Logs oldLayoutWarning() once if the broker finds such queues among the worker's; never rejects (a failed check is only a debug line). */
export async function warnOfOldLayoutQueues(broker: Pick<WorkerChannel, "oldLayoutQueues">, log: Logger, keyPrefix: string, workerQueues: readonly string[]): Promise<void> {
  let queues: OldLayoutQueue[];
  try {
    queues = await broker.oldLayoutQueues(workerQueues);
  } catch (error) {
    log.debug({ err: error }, "could not look for queues under the old key layout");
    return;
  }
  if (queues.length > 0) log.warn({ oldLayoutQueues: queues }, oldLayoutWarning(queues, keyPrefix));
}
