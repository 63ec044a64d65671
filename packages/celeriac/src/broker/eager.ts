/**
 * Celery's task_always_eager as a broker: publish runs the message at once, in this process, through the
 * same execution pipeline a worker uses, and resolves with its outcome. Countdown and eta are ignored
 * (as in Celery); nothing is queued, so there is nothing to consume.
 */
import { ConfigError } from "../errors.js";
import type { Outcome, TaskMessage } from "../message.js";
import type { Broker, Consumer, LeaseInfo, MessageHandler } from "./broker.js";
import type { QueueCounts, ScheduledJob } from "./inspection.js";

export class EagerBroker implements Broker {
  readonly transport = "eager (tasks run inline, in the calling process)";

  /** An eager app is one process: its leases live in memory. */
  private readonly leases = new Map<string, { holder: string; term: number; until: number }>();

  constructor(private readonly run: MessageHandler) {}

  /** Runs the message now; a RETRY runs it again at once (countdowns are ignored, as in Celery's eager mode). */
  async publish(message: TaskMessage): Promise<Outcome> {
    for (let attempt = message; ; attempt = { ...attempt, retries: attempt.retries + 1 }) {
      const result = await this.run(attempt);
      if (result.status !== "RETRY" && result.status !== "DEFERRED") return result;
    }
  }

  consume(): Promise<Consumer> {
    return Promise.reject(new ConfigError("an eager app has no queue to consume: unset alwaysEager to run a worker"));
  }

  /** No broker to reach: an eager app is ready at once. */
  async probe(): Promise<void> {}

  /** Eager tasks run inside `.delay()`: there is no queue to wait in, so nothing to limit or revoke. */
  async reserveRate(): Promise<number> {
    return 0;
  }

  async revoke(): Promise<void> {}

  isRevoked(): boolean {
    return false;
  }

  /** Eager results are settled inside `.delay()`: nobody waits for an announcement. */
  announce(): void {}

  async onAnnounce(): Promise<() => void> {
    return () => undefined;
  }

  /** No workers and no queues: inspect finds nothing, purge removes nothing. */
  async sendHeartbeat(): Promise<void> {}

  async removeHeartbeat(): Promise<void> {}

  async heartbeats(): Promise<[]> {
    return [];
  }

  async queueNames(): Promise<string[]> {
    return [];
  }

  async queueCounts(): Promise<QueueCounts> {
    return { waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0 };
  }

  async scheduled(): Promise<{ total: number; jobs: ScheduledJob[] }> {
    return { total: 0, jobs: [] };
  }

  async holdLease(name: string, holder: string, ttlMs: number): Promise<number | null> {
    const lease = this.leases.get(name);
    const now = Date.now();
    if (lease && lease.until > now && lease.holder !== holder) return null;
    const term = lease && lease.until > now ? lease.term : (lease?.term ?? 0) + 1;
    this.leases.set(name, { holder, term, until: now + ttlMs });
    return term;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    const lease = this.leases.get(name);
    if (lease?.holder === holder) lease.until = 0;
  }

  async leaseHolder(name: string): Promise<LeaseInfo | null> {
    const lease = this.leases.get(name);
    const ttlMs = (lease?.until ?? 0) - Date.now();
    return lease && ttlMs > 0 ? { holder: lease.holder, term: lease.term, ttlMs } : null;
  }

  async purge(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}
