/**
 * Celery's task_always_eager as a broker: publish runs the message at once, in this process, through the
 * same execution pipeline a worker uses, and resolves with its outcome. Countdown and eta are ignored
 * (as in Celery). Nothing is queued, so nothing waits to be revoked or rate limited, and result events stay
 * in this process; what needs a queue (a worker consuming, beat's lease, inspect) is refused with one
 * message (eagerBroker()).
 */
import type { Outcome, TaskMessage } from "../message.js";
import type { Broker, MessageHandler, TaskControl, TaskTransport } from "./broker.js";
import { composeBroker, unavailable } from "./compose.js";
import { InProcessEvents } from "./in-process.js";

/** Why an eager app has no worker, beat or inspect, and what to do: the message of every call refused. */
export const EAGER_HAS_NO_QUEUE =
  "an eager app (alwaysEager) runs each task inline in .delay(): it has no queue for a worker to consume or inspect to read, and no lease for beat; unset alwaysEager to run a worker, beat or inspect";

export class EagerBroker implements TaskTransport, TaskControl {
  readonly transport = "eager (tasks run inline, in the calling process)";

  constructor(private readonly run: MessageHandler) {}

  /** No broker to reach: an eager app is ready at once. */
  async probe(): Promise<void> {}

  /** Runs the message now; a RETRY runs it again at once (countdowns are ignored, as in Celery's eager mode). */
  async publish(message: TaskMessage): Promise<Outcome> {
    for (let attempt = message; ; attempt = { ...attempt, retries: attempt.retries + 1 }) {
      const result = await this.run(attempt);
      if (result.status !== "RETRY" && result.status !== "DEFERRED") return result;
    }
  }

  async close(): Promise<void> {}

  /** Eager tasks run inside `.delay()`: there is no queue to wait in, so nothing to revoke or limit. */
  async revoke(): Promise<void> {}

  isRevoked(): boolean {
    return false;
  }

  async reserveRate(): Promise<number> {
    return 0;
  }

  /** No worker runs an eager app's tasks, so none can be asked to stop. */
  async shutdownWorker(): Promise<boolean> {
    return false;
  }
}

/** An eager app's broker: EagerBroker, events in this process, and the ports that need a queue refused. */
export function eagerBroker(run: MessageHandler): Broker {
  const eager = new EagerBroker(run);
  const none = unavailable(EAGER_HAS_NO_QUEUE);
  return composeBroker({ taskTransport: eager, taskControl: eager, resultEvents: new InProcessEvents(), workerChannel: none, leases: none, inspection: none });
}
