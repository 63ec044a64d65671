/**
 * An in-memory broker that records what is sent instead of sending it, and runs a recorded message on demand
 * through the eager broker (the worker's execution pipeline, in this process; a RETRY runs again at once).
 * It needs no Redis: nothing here opens a connection. Revokes are remembered (a revoked recorded task runs
 * as REVOKED) and announcements go to this process's listeners, so `AsyncResult.get()` wakes when a run
 * writes its result, as it does with a worker.
 */
import { ConfigError } from "../errors.js";
import { EagerBroker } from "../broker/eager.js";
import type { Broker, Consumer, LeaseInfo, MessageHandler, PublishOptions } from "../broker/broker.js";
import type { QueueCounts, ScheduledJob } from "../broker/inspection.js";
import type { Outcome, StateChange, TaskMessage } from "../message.js";

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

export class RecordingBroker implements Broker {
  readonly transport = "fake queue (celeriac/testing: tasks are recorded, not sent)";

  /** Runs messages the way an eager app does; also the in-memory leases and the empty inspection answers. */
  private readonly inline: EagerBroker;
  private readonly revoked = new Set<string>();
  private readonly listeners = new Set<(changes: readonly StateChange[]) => void>();

  constructor(
    run: MessageHandler,
    private readonly onPublish: (recorded: Recorded) => void,
  ) {
    this.inline = new EagerBroker(run);
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

  consume(): Promise<Consumer> {
    return Promise.reject(new ConfigError("a fake queue has no worker: run the recorded tasks with runAll()"));
  }

  async probe(): Promise<void> {}

  async reserveRate(): Promise<number> {
    return 0;
  }

  async revoke(taskId: string): Promise<void> {
    this.revoked.add(taskId);
  }

  isRevoked(taskId: string): boolean {
    return this.revoked.has(taskId);
  }

  announce(changes: readonly StateChange[]): void {
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch {
        // Best effort, as the broker's contract says: one listener's error does not reach the writer.
      }
    }
  }

  async onAnnounce(listener: (changes: readonly StateChange[]) => void): Promise<() => void> {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  sendHeartbeat(): Promise<void> {
    return this.inline.sendHeartbeat();
  }

  removeHeartbeat(): Promise<void> {
    return this.inline.removeHeartbeat();
  }

  heartbeats(): Promise<[]> {
    return this.inline.heartbeats();
  }

  queueNames(): Promise<string[]> {
    return this.inline.queueNames();
  }

  queueCounts(): Promise<QueueCounts> {
    return this.inline.queueCounts();
  }

  scheduled(): Promise<{ total: number; jobs: ScheduledJob[] }> {
    return this.inline.scheduled();
  }

  purge(): Promise<number> {
    return this.inline.purge();
  }

  holdLease(name: string, holder: string, ttlMs: number): Promise<number | null> {
    return this.inline.holdLease(name, holder, ttlMs);
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.inline.releaseLease(name, holder);
  }

  leaseHolder(name: string): Promise<LeaseInfo | null> {
    return this.inline.leaseHolder(name);
  }

  async close(): Promise<void> {}
}
