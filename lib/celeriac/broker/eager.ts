/**
 * Celery's task_always_eager as a broker: publish runs the message at once, in this process, through the
 * same execution pipeline a worker uses, and resolves with its outcome. Countdown and eta are ignored
 * (as in Celery); nothing is queued, so there is nothing to consume.
 */
import { ConfigError } from "../errors";
import type { Outcome, TaskMessage } from "../message";
import type { Broker, Consumer, MessageHandler } from "./broker";

export class EagerBroker implements Broker {
  readonly transport = "eager (tasks run inline, in the calling process)";

  constructor(private readonly run: MessageHandler) {}

  publish(message: TaskMessage): Promise<Outcome> {
    return this.run(message);
  }

  consume(): Promise<Consumer> {
    return Promise.reject(new ConfigError("an eager app has no queue to consume: unset alwaysEager to run a worker"));
  }

  async close(): Promise<void> {}
}
