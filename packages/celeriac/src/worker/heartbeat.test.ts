/** The heartbeat against a recording broker: what a record holds, when it is sent, and the clean stop. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkerHeartbeat } from "../broker/inspection.js";
import { createLogger } from "../log.js";
import type { HandlerResult, TaskMessage } from "../message.js";
import { createHeartbeat, type HeartbeatOptions } from "./heartbeat.js";

function recorder() {
  const sent: Array<{ record: WorkerHeartbeat; ttlMs: number }> = [];
  const removed: string[] = [];
  return {
    sent,
    removed,
    broker: {
      sendHeartbeat: async (record: WorkerHeartbeat, ttlMs: number) => void sent.push({ record, ttlMs }),
      removeHeartbeat: async (id: string) => void removed.push(id),
    },
  };
}

function options(overrides: Partial<HeartbeatOptions> = {}): HeartbeatOptions {
  return {
    broker: recorder().broker,
    hostname: "celeriac@unit",
    queues: ["default", "heavy"],
    concurrency: 4,
    pool: "process",
    tasks: () => ["a.one", "a.two"],
    log: createLogger("silent", "json"),
    intervalMs: 1000,
    ...overrides,
  };
}

const message = (id: string, task = "a.one"): TaskMessage => ({ id, task, args: [], queue: "default", sentAt: 0, retries: 0 });

/** A handler that stays running until `finish(result)`. */
function pendingRun() {
  let finish!: (result: HandlerResult) => void;
  const promise = new Promise<HandlerResult>((resolve) => (finish = resolve));
  return { finish, handle: () => promise };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createHeartbeat", () => {
  it("start sends a first record before resolving, with a TTL of three intervals", async () => {
    const r = recorder();
    const hb = createHeartbeat(options({ broker: r.broker, now: () => 5_000 }));
    expect(r.sent).toHaveLength(0); // nothing before start
    await hb.start();
    expect(r.sent).toHaveLength(1);
    expect(r.sent[0].ttlMs).toBe(3000);
    expect(r.sent[0].record).toEqual({
      id: hb.id,
      hostname: "celeriac@unit",
      pid: process.pid,
      queues: ["default", "heavy"],
      concurrency: 4,
      pool: "process",
      tasks: ["a.one", "a.two"],
      startedAt: 5_000,
      sentAt: 5_000,
      intervalMs: 1000,
      counts: { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0 },
      total: {},
      active: [],
    });
    expect(hb.id).toMatch(new RegExp(`^celeriac@unit:${process.pid}:[0-9a-f]{6}$`));
    await hb.stop();
  });

  it("reports the messages it tracks as active while they run, and counts their outcomes", async () => {
    const r = recorder();
    const hb = createHeartbeat(options({ broker: r.broker, now: () => 7_000 }));
    await hb.start();
    const slow = pendingRun();
    const tracked = hb.track(message("t1"), slow.handle);
    await hb.beat();
    expect(r.sent.at(-1)!.record.active).toEqual([{ id: "t1", task: "a.one", startedAt: 7_000 }]);
    slow.finish({ status: "SUCCESS", result: 1 });
    expect(await tracked).toEqual({ status: "SUCCESS", result: 1 });

    const error = { type: "Error", message: "x" };
    await hb.track(message("t2", "a.two"), async () => ({ status: "FAILURE", error }));
    await hb.track(message("t3", "a.two"), async () => ({ status: "RETRY", error, countdownMs: 10 }));
    await hb.track(message("t4"), async () => ({ status: "REVOKED", reason: "expired" }));
    await hb.track(message("t5"), async () => ({ status: "DEFERRED", delayMs: 100 })); // waits for a rate-limit slot: not run
    await expect(hb.track(message("t6"), () => Promise.reject(new Error("shutdown")))).rejects.toThrow("shutdown");
    await hb.beat();
    const last = r.sent.at(-1)!.record;
    expect(last.counts).toEqual({ processed: 4, succeeded: 1, failed: 1, retried: 1, revoked: 1 });
    expect(last.total).toEqual({ "a.one": 2, "a.two": 2 });
    expect(last.active).toEqual([]);
    await hb.stop();
  });

  it("beats every interval, and soon after a task starts", async () => {
    vi.useFakeTimers();
    const r = recorder();
    const hb = createHeartbeat(options({ broker: r.broker }));
    await hb.start();
    expect(r.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.sent).toHaveLength(2);
    const slow = pendingRun();
    void hb.track(message("t1"), slow.handle);
    await vi.advanceTimersByTimeAsync(600);
    expect(r.sent).toHaveLength(3);
    expect(r.sent[2].record.active.map((t) => t.id)).toEqual(["t1"]);
    slow.finish({ status: "SUCCESS", result: null });
    await hb.stop();
  });

  it("stop removes the record and sends nothing after; a heartbeat never started removes nothing", async () => {
    const r = recorder();
    const hb = createHeartbeat(options({ broker: r.broker }));
    await hb.start();
    await hb.stop();
    expect(r.removed).toEqual([hb.id]);
    await hb.beat();
    expect(r.sent).toHaveLength(1);
    await hb.stop();
    expect(r.removed).toHaveLength(1);
    const never = createHeartbeat(options({ broker: r.broker }));
    await never.stop();
    expect(r.removed).toHaveLength(1);
  });

  it("a stop right after a task ended sends that change before removing the record", async () => {
    const r = recorder();
    const hb = createHeartbeat(options({ broker: r.broker }));
    await hb.start();
    await hb.track(message("t1"), async () => ({ status: "SUCCESS", result: null }));
    await hb.stop();
    expect(r.sent).toHaveLength(2);
    expect(r.sent[1].record).toMatchObject({ active: [], counts: { processed: 1, succeeded: 1 } });
    expect(r.removed).toEqual([hb.id]);
  });

  it("a failing send is logged, not thrown; a hanging Redis does not hold up stop for ever", async () => {
    const warn = vi.fn();
    const log = { ...createLogger("silent", "json"), warn } as unknown as HeartbeatOptions["log"];
    let calls = 0;
    const broker = {
      sendHeartbeat: () => (++calls === 1 ? Promise.reject(new Error("ECONNREFUSED")) : new Promise<void>(() => undefined)),
      removeHeartbeat: () => new Promise<void>(() => undefined),
    };
    const hb = createHeartbeat(options({ broker, log }));
    await hb.start();
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), "could not send the worker heartbeat");
    void hb.beat(); // hangs
    vi.useFakeTimers();
    const stopped = hb.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(stopped).resolves.toBeUndefined();
  });
});
