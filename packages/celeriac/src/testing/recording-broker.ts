/**
 * An in-memory broker that records what is sent instead of sending it, and runs a recorded message on demand
 * through the eager broker (the worker's execution pipeline, in this process; a RETRY runs again at once).
 * It needs no Redis: nothing here opens a connection. Revokes are remembered (a revoked recorded task runs
 * as REVOKED) and announcements go to this process's listeners, so `AsyncResult.get()` wakes when a run
 * writes its result, as it does with a worker. Leases live in memory (a test is one process); a worker's
 * channel and inspection are refused: there is no queue.
 */
import { EagerBroker } from "../broker/eager.js";
import type { Broker, MessageHandler, PublishOptions, TaskControl, TaskTransport } from "../broker/broker.js";
import { composeBroker, unavailable } from "../broker/compose.js";
import { InProcessEvents, MemoryLeases } from "../broker/in-process.js";
import type { Outcome, TaskMessage } from "../message.js";

/** Why a fake queue has no worker and nothing to inspect, and what a test does instead. */
const FAKE_HAS_NO_QUEUE = "a fake queue (celeriac/testing) records the sends instead of queueing them: it has no worker and nothing to inspect; read queue.sent, and run the recorded tasks with runAll()";

/** One recorded send: what `.delay()`, `.applyAsync()` or a commit handed to the broker. */
export interface SentTask<A extends readonly unknown[] = unknown[]> {
  /** The task id (the AsyncResult's id). */
  readonly id: string;
  /** The task's name. */
  readonly name: string;
  /** The arguments, as a worker receives them (a JSON copy made at the send). */
  readonly args: A;
  readonly queue: string;
  /** How long a worker would wait before running it (countdown / eta), ms; 0: at once. */
  readonly delayMs: number;
  /** Set when the call or the task gave one. */
  readonly priority?: number;
  /** Who may read the result, when the call or the task's owner() gave one. */
  readonly owner?: string;
  /** The instant (ms since the epoch) after which it must not start, when the call gave `expires`. */
  readonly expires?: number;
  /** When it was sent, ms since the epoch. */
  readonly sentAt: number;
}

/** What the recording broker keeps of a send: the record shown to tests and the message a run executes. */
export interface Recorded {
  sent: SentTask;
  message: TaskMessage;
}

function record(message: TaskMessage, options: PublishOptions): Recorded {
  const copy: TaskMessage = { ...message, args: JSON.parse(JSON.stringify(message.args)) as unknown[] };
  const sent: SentTask = {
    id: copy.id,
    name: copy.task,
    args: JSON.parse(JSON.stringify(copy.args)) as unknown[],
    queue: copy.queue,
    delayMs: options.delayMs,
    ...(options.priority !== undefined && { priority: options.priority }),
    ...(copy.owner !== undefined && { owner: copy.owner }),
    ...(copy.expires !== undefined && { expires: copy.expires }),
    sentAt: copy.sentAt,
  };
  return { sent: Object.freeze(sent), message: copy };
}

export class RecordingBroker implements TaskTransport, TaskControl {
  readonly transport = "fake queue (celeriac/testing: tasks are recorded, not sent)";

  /** This recorder with in-process events, memory leases and the refused ports: what the app's slot holds. */
  readonly broker: Broker;
  /** Runs messages the way an eager app does. */
  private readonly inline: EagerBroker;
  private readonly revoked = new Set<string>();

  constructor(
    run: MessageHandler,
    private readonly onPublish: (recorded: Recorded) => void,
  ) {
    this.inline = new EagerBroker(run);
    const none = unavailable(FAKE_HAS_NO_QUEUE);
    this.broker = composeBroker({ taskTransport: this, taskControl: this, resultEvents: new InProcessEvents(), leases: new MemoryLeases(), workerChannel: none, inspection: none });
  }

  /** Records the message; nothing runs until the test asks (fakeQueue's runAll). */
  async publish(message: TaskMessage, options: PublishOptions): Promise<undefined> {
    this.onPublish(record(message, options));
    return undefined;
  }

  /** Runs a recorded message to its outcome, in this process, as the eager broker runs every message. */
  run(message: TaskMessage): Promise<Outcome> {
    return this.inline.publish(message);
  }

  async probe(): Promise<void> {}

  async close(): Promise<void> {}

  async revoke(taskId: string): Promise<void> {
    this.revoked.add(taskId);
  }

  isRevoked(taskId: string): boolean {
    return this.revoked.has(taskId);
  }

  reserveRate(): Promise<number> {
    return this.inline.reserveRate();
  }

  /** A fake queue has no worker to stop. */
  shutdownWorker(): Promise<boolean> {
    return this.inline.shutdownWorker();
  }
}
