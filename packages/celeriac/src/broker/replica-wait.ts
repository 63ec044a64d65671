/**
 * Redis WAIT for sends that share a connection (redisWaitReplicas). WAIT answers for every write its
 * connection made before it, and it holds the connection while it waits: one WAIT per send would make the
 * sends take turns, one replica round trip each (a 2 ms round trip held a producer to ~500 sends/s, 64 at a
 * time). So sends share WAITs, as a group commit does: a send whose write has been answered joins the next
 * WAIT, which goes out once the one in flight (sent perhaps before that write) has returned.
 */
import type { Redis } from "ioredis";

export class ReplicaWait {
  /** Counts the connection's (re)connections: a write and a WAIT made on different ones prove nothing. */
  private connections = 0;
  private inFlight: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  constructor(
    private readonly node: Redis,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {
    node.on("ready", () => this.connections++);
  }

  /**
   * Runs `write` (commands on this node's connection) and resolves with how many replicas acknowledged it
   * within the timeout (at most twice it, when the WAIT in flight has to return first); 0 when the
   * connection was re-established meanwhile: the WAIT may have reached another server (a new master) than
   * the write.
   */
  async acknowledged(write: () => Promise<unknown>): Promise<number> {
    const connection = this.connections;
    await write();
    const replicas = await this.next();
    return this.connections === connection ? replicas : 0;
  }

  /** A WAIT sent after this call. */
  private next(): Promise<number> {
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.send();
    const settled = this.inFlight.then(
      () => undefined,
      () => undefined,
    );
    this.queued = settled.then(() => {
      this.queued = undefined;
      return this.send();
    });
    return this.queued;
  }

  private send(): Promise<number> {
    const wait = this.node.wait(this.replicas, this.timeoutMs);
    this.inFlight = wait;
    const done = () => {
      if (this.inFlight === wait) this.inFlight = undefined;
    };
    wait.then(done, done);
    return wait;
  }
}
