/**
 * Ports kept in this process's memory, for brokers that have no Redis: result events (the eager app's and
 * the fake queue's, so `AsyncResult.get()` wakes when a run writes its row) and leases (the fake queue's:
 * a test is one process).
 */
import type { StateChange } from "../message.js";
import type { LeaseInfo, Leases, ResultEvents } from "./broker.js";

/** Announcements go to this process's listeners only. */
export class InProcessEvents implements ResultEvents {
  private readonly listeners = new Set<(changes: readonly StateChange[]) => void>();

  announce(changes: readonly StateChange[]): void {
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch {
        // Best effort, as the port's contract says: one listener's error does not reach the writer.
      }
    }
  }

  async onAnnounce(listener: (changes: readonly StateChange[]) => void): Promise<() => void> {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Leases in a Map: correct only while every holder lives in this process. */
export class MemoryLeases implements Leases {
  private readonly leases = new Map<string, { holder: string; term: number; until: number }>();

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
}
