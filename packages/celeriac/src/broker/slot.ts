/**
 * The app's broker as one replaceable slot: every part of an app (dispatch, transactions, the result store's
 * announcements, workers, beat, inspect) holds this broker, which forwards each call to the broker in the
 * slot. `use(broker)` puts another one there until the function it returns is called: that is how
 * celeriac/testing's fakeQueue(app) records the dispatches of the app the route handlers import (Rails'
 * queue_adapter, Laravel's Queue::fake). Nothing else changes brokers, so a production app forwards to the
 * one it was created with.
 */
import type { Outcome, StateChange, TaskMessage } from "../message.js";
import type { Broker, ConsumeOptions, Consumer, LeaseInfo, MessageHandler, OldLayoutQueue, PublishOptions } from "./broker.js";
import type { QueueCounts, ScheduledJob, SeenWorker, WorkerHeartbeat } from "./inspection.js";

export class BrokerSlot implements Broker {
  /** The brokers put in the slot, latest last; empty: the app's own. */
  private readonly replacements: Broker[] = [];

  constructor(private readonly original: Broker) {}

  private get current(): Broker {
    return this.replacements.at(-1) ?? this.original;
  }

  /**
   * Forwards every call to `broker` until the returned function is called. Calls nest: restoring the latest
   * puts back the one before it, and a restore out of order removes only its own broker.
   */
  use(broker: Broker): () => void {
    this.replacements.push(broker);
    let restored = false;
    return () => {
      if (restored) return;
      restored = true;
      this.replacements.splice(this.replacements.lastIndexOf(broker), 1);
    };
  }

  get transport(): string {
    return this.current.transport;
  }

  probe(): Promise<void> {
    return this.current.probe();
  }

  publish(message: TaskMessage, options: PublishOptions): Promise<Outcome | undefined> {
    return this.current.publish(message, options);
  }

  consume(handler: MessageHandler, options: ConsumeOptions): Promise<Consumer> {
    return this.current.consume(handler, options);
  }

  reserveRate(task: string, rate: string): Promise<number> {
    return this.current.reserveRate(task, rate);
  }

  revoke(taskId: string, terminate: boolean): Promise<void> {
    return this.current.revoke(taskId, terminate);
  }

  isRevoked(taskId: string): boolean | Promise<boolean> {
    return this.current.isRevoked(taskId);
  }

  shutdownWorker(workerId: string): Promise<boolean> {
    return this.current.shutdownWorker(workerId);
  }

  announce(changes: readonly StateChange[]): void {
    this.current.announce(changes);
  }

  onAnnounce(listener: (changes: readonly StateChange[]) => void): Promise<() => void> {
    return this.current.onAnnounce(listener);
  }

  sendHeartbeat(heartbeat: WorkerHeartbeat, ttlMs: number): Promise<void> {
    return this.current.sendHeartbeat(heartbeat, ttlMs);
  }

  removeHeartbeat(workerId: string): Promise<void> {
    return this.current.removeHeartbeat(workerId);
  }

  oldLayoutQueues(queues: readonly string[]): Promise<OldLayoutQueue[]> {
    return this.current.oldLayoutQueues(queues);
  }

  heartbeats(): Promise<WorkerHeartbeat[]> {
    return this.current.heartbeats();
  }

  workersSeen(): Promise<SeenWorker[]> {
    return this.current.workersSeen();
  }

  queueNames(): Promise<string[]> {
    return this.current.queueNames();
  }

  queueCounts(queue: string): Promise<QueueCounts> {
    return this.current.queueCounts(queue);
  }

  scheduled(queue: string, limit: number): Promise<{ total: number; jobs: ScheduledJob[] }> {
    return this.current.scheduled(queue, limit);
  }

  purge(queue: string): Promise<number> {
    return this.current.purge(queue);
  }

  pauseQueue(queue: string): Promise<void> {
    return this.current.pauseQueue(queue);
  }

  resumeQueue(queue: string): Promise<void> {
    return this.current.resumeQueue(queue);
  }

  holdLease(name: string, holder: string, ttlMs: number): Promise<number | null> {
    return this.current.holdLease(name, holder, ttlMs);
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.current.releaseLease(name, holder);
  }

  leaseHolder(name: string): Promise<LeaseInfo | null> {
    return this.current.leaseHolder(name);
  }

  /** Closes the app's own broker and every one put in the slot. */
  async close(): Promise<void> {
    for (const broker of [this.original, ...new Set(this.replacements)]) await broker.close();
  }
}
