/** The eager broker's ports: what it really does, and the rest refused in one place with one message. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import type { HandlerResult, StateChange, TaskMessage } from "../message.js";
import { EAGER_HAS_NO_QUEUE, eagerBroker } from "./eager.js";

const message: TaskMessage = { id: "t-1", task: "e.t", args: [], queue: "default", sentAt: 0, retries: 0 };

describe("eagerBroker", () => {
  it("publish runs the message inline and resolves its outcome; a RETRY runs again at once", async () => {
    const runs: number[] = [];
    const broker = eagerBroker(async (m): Promise<HandlerResult> => {
      runs.push(m.retries);
      return m.retries < 2 ? { status: "RETRY", error: { type: "Error", message: "again" }, countdownMs: 60_000 } : { status: "SUCCESS", result: m.retries };
    });
    expect(await broker.publish(message, { delayMs: 5000 })).toEqual({ status: "SUCCESS", result: 2 });
    expect(runs).toEqual([0, 1, 2]);
    expect(broker.transport).toMatch(/^eager/);
    await expect(broker.probe()).resolves.toBeUndefined();
  });

  it("nothing waits in a queue: no id is revoked, every rate slot is now", async () => {
    const broker = eagerBroker(async () => ({ status: "SUCCESS", result: null }));
    await broker.revoke("t-1", true);
    expect(broker.isRevoked("t-1")).toBe(false);
    expect(await broker.reserveRate("e.t", "1/m")).toBe(0);
    expect(await broker.reserveRate("e.t", "1/m")).toBe(0);
  });

  it("announcements reach this process's listeners until they stop listening", async () => {
    const broker = eagerBroker(async () => ({ status: "SUCCESS", result: null }));
    const heard: (readonly StateChange[])[] = [];
    const stop = await broker.onAnnounce((changes) => heard.push(changes));
    await broker.onAnnounce(() => {
      throw new Error("a listener's error stays with it");
    });
    broker.announce([["t-1", "SUCCESS"]]);
    stop();
    broker.announce([["t-2", "SUCCESS"]]);
    expect(heard).toEqual([[["t-1", "SUCCESS"]]]);
  });

  it("a worker, beat's lease and inspect are refused with one ConfigError naming alwaysEager (a rejection, not a throw)", async () => {
    const broker = eagerBroker(async () => ({ status: "SUCCESS", result: null }));
    const calls = {
      consume: () => broker.consume(async () => ({ status: "SUCCESS", result: null }), { queues: ["default"], concurrency: 1, hostname: "h", workerId: "h:1:w" }),
      sendHeartbeat: () => broker.sendHeartbeat({} as never, 1000),
      removeHeartbeat: () => broker.removeHeartbeat("w"),
      oldLayoutQueues: () => broker.oldLayoutQueues(["default"]),
      holdLease: () => broker.holdLease("beat", "b", 1000),
      releaseLease: () => broker.releaseLease("beat", "b"),
      leaseHolder: () => broker.leaseHolder("beat"),
      heartbeats: () => broker.heartbeats(),
      workersSeen: () => broker.workersSeen(),
      queueNames: () => broker.queueNames(),
      queueCounts: () => broker.queueCounts("default"),
      scheduled: () => broker.scheduled("default", 10),
      purge: () => broker.purge("default"),
      pauseQueue: () => broker.pauseQueue("default"),
      resumeQueue: () => broker.resumeQueue("default"),
    };
    for (const [name, call] of Object.entries(calls)) {
      const refused = call();
      expect(refused).toBeInstanceOf(Promise);
      const error = await (refused as Promise<unknown>).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(`${EAGER_HAS_NO_QUEUE} (broker.${name})`);
    }
    expect(EAGER_HAS_NO_QUEUE).toMatch(/unset alwaysEager/);
  });
});
