/**
 * One active beat among several (Oban's Peer): the one holding the `beat` lease in Redis sends, the others
 * wait. The holder renews the lease on every loop; if it dies, the lease lapses after `ttlMs` and the next
 * beat to try takes it. A holder counts itself leader only until `ttlMs` after the start of its last
 * successful renewal, minus a margin, so it stops sending before anyone else can take over, even when
 * Redis is unreachable or the process was paused. What a paused ex-leader could still do is fenced by the
 * database: each send is a compare-and-set on the row's lastRunAt (store.ts, claim).
 */
import type { Leases } from "../broker/broker.js";

export const LEASE_NAME = "beat";
/** The share of the lease a holder trusts: clocks of two machines may run at slightly different rates. */
const TRUSTED_SHARE = 0.8;

export class LeaderLease {
  private term: number | null = null;
  private validUntil = 0;

  constructor(
    private readonly broker: Pick<Leases, "holdLease" | "releaseLease">,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  /**
   * Takes or renews the lease; resolves the term while this beat leads, null otherwise. A Redis error
   * counts as not leading (and is thrown to the caller to log).
   */
  async renew(now: () => number = Date.now): Promise<number | null> {
    const startedAt = now();
    try {
      this.term = await this.broker.holdLease(LEASE_NAME, this.holder, this.ttlMs);
    } catch (error) {
      this.term = null;
      throw error;
    }
    this.validUntil = this.term === null ? 0 : startedAt + this.ttlMs * TRUSTED_SHARE;
    return this.term;
  }

  /** True while this beat may send: it holds the lease and the last renewal is recent enough. */
  isLeader(now = Date.now()): boolean {
    return this.term !== null && now < this.validUntil;
  }

  /** Lets another beat take over at once (a stopping beat). */
  async release(): Promise<void> {
    if (this.term === null) return;
    this.term = null;
    this.validUntil = 0;
    await this.broker.releaseLease(LEASE_NAME, this.holder);
  }
}
