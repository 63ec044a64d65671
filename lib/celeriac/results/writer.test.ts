import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { TaskMessage } from "../message";
import { finishedRow, startedRow, type ResultRow } from "./row";
import { ResultWriter, WriterClosedError } from "./writer";

const log = pino({ level: "silent" });
const message = (id: string): TaskMessage => ({ id, task: "t", args: [], queue: "q", sentAt: 0, retries: 0 });
const started = (id: string) => startedRow({ message: message(id), worker: "w", startedAt: new Date(1) });
const outcome = (id: string, status: "SUCCESS" | "RETRY" = "SUCCESS") =>
  finishedRow({
    message: message(id),
    worker: "w",
    startedAt: new Date(1),
    doneAt: new Date(2),
    outcome: status === "SUCCESS" ? { status, result: id } : { status, error: { type: "E", message: "m" }, countdownMs: 0 },
  });

/** A store whose flushes finish when the test says so. */
function gatedStore() {
  const batches: ResultRow[][] = [];
  const gates: Array<() => void> = [];
  const flush = (rows: readonly ResultRow[]) => {
    batches.push([...rows]);
    return new Promise<void>((resolve) => gates.push(resolve));
  };
  const open = async () => {
    while (!gates.length) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { batches, flush, open };
}

describe("ResultWriter", () => {
  it("flushes a lone write at once, and gathers what arrives during a flush into one next flush", async () => {
    const store = gatedStore();
    const announced: string[][] = [];
    const writer = new ResultWriter({ flush: store.flush, flushed: (rows) => announced.push(rows.map((r) => r.id)), log });
    const first = writer.write(outcome("a"));
    await new Promise((r) => setImmediate(r));
    expect(store.batches).toEqual([[outcome("a")]]);
    const later = ["b", "c", "d"].map((id) => writer.write(outcome(id)));
    await store.open();
    await first;
    expect(store.batches.map((b) => b.map((r) => r.id))).toEqual([["a"], ["b", "c", "d"]]);
    await store.open();
    await Promise.all(later);
    expect(announced).toEqual([["a"], ["b", "c", "d"]]);
  });

  it("resolves a write only once its row is durable", async () => {
    const store = gatedStore();
    const writer = new ResultWriter({ flush: store.flush, log });
    let done = false;
    const write = writer.write(outcome("a")).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    await store.open();
    await write;
    expect(done).toBe(true);
  });

  it("merges a waiting STARTED into its outcome: one row, both writes resolve", async () => {
    const store = gatedStore();
    const writer = new ResultWriter({ flush: store.flush, log });
    const blocker = writer.write(outcome("x"));
    await new Promise((r) => setImmediate(r));
    const s = writer.write(started("a"));
    const o = writer.write(outcome("a"));
    await store.open();
    await store.open();
    await Promise.all([blocker, s, o]);
    expect(store.batches).toEqual([[outcome("x")], [outcome("a")]]);
  });

  it("writes a STARTED that follows a waiting outcome after it, never merged into it", async () => {
    const store = gatedStore();
    const writer = new ResultWriter({ flush: store.flush, log });
    const blocker = writer.write(outcome("x"));
    await new Promise((r) => setImmediate(r));
    const writes = [writer.write(outcome("a", "RETRY")), writer.write(started("a")), writer.write(outcome("b"))];
    for (let i = 0; i < 3; i++) await store.open();
    await Promise.all([blocker, ...writes]);
    expect(store.batches.map((b) => b.map((r) => `${r.id}:${r.status}`))).toEqual([["x:SUCCESS"], ["a:RETRY", "b:SUCCESS"], ["a:STARTED"]]);
  });

  it("retries a failed flush, in order, until it succeeds", async () => {
    let failures = 2;
    const written: string[] = [];
    const writer = new ResultWriter({
      flush: async (rows) => {
        if (failures-- > 0) throw new Error("database down");
        written.push(...rows.map((r) => r.id));
      },
      log,
    });
    await Promise.all([writer.write(outcome("a")), writer.write(outcome("b"))]);
    expect(written).toEqual(["a", "b"]);
  });

  it("close() gives up on a database that stays down: the waiting writes reject", async () => {
    const writer = new ResultWriter({ flush: () => Promise.reject(new Error("down")), log });
    const write = writer.write(outcome("a"));
    await writer.close(150);
    await expect(write).rejects.toThrow();
    await expect(writer.write(outcome("b"))).rejects.toBeInstanceOf(WriterClosedError);
  });

  it("splits more rows than maxBatch into several statements", async () => {
    const sizes: number[] = [];
    const writer = new ResultWriter({ flush: async (rows) => void sizes.push(rows.length), log, maxBatch: 2 });
    await Promise.all(["a", "b", "c", "d", "e"].map((id) => writer.write(outcome(id))));
    expect(sizes).toEqual([2, 2, 1]);
  });
});
