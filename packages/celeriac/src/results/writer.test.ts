import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { TaskMessage } from "../message.js";
import { finishedRow, progressRow, startedRow, unstorableRow, type ResultRow } from "./row.js";
import { ResultWriter, WriterClosedError } from "./writer.js";

const log = pino({ level: "silent" });
const message = (id: string): TaskMessage => ({ id, task: "t", args: [], queue: "q", sentAt: 0, retries: 0 });
const started = (id: string) => startedRow({ message: message(id), worker: "w", startedAt: new Date(1) });
const progress = (id: string, current: number) => progressRow({ message: message(id), worker: "w", startedAt: new Date(1) }, { current, total: 10 });
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

  it("merges waiting progress: STARTED and earlier progress give way to the latest, and all of it to the outcome", async () => {
    const store = gatedStore();
    const writer = new ResultWriter({ flush: store.flush, log });
    const blocker = writer.write(outcome("x"));
    await new Promise((r) => setImmediate(r));
    const writes = [writer.write(started("a")), writer.write(progress("a", 1)), writer.write(progress("a", 2)), writer.write(started("b")), writer.write(progress("b", 3))];
    writes.push(writer.write(outcome("b")));
    await store.open();
    await store.open();
    await Promise.all([blocker, ...writes]);
    expect(store.batches).toEqual([[outcome("x")], [progress("a", 2), outcome("b")]]);
  });

  it("writes a progress that follows a waiting outcome after it, so the outcome is never replaced by it", async () => {
    const store = gatedStore();
    const writer = new ResultWriter({ flush: store.flush, log });
    const blocker = writer.write(outcome("x"));
    await new Promise((r) => setImmediate(r));
    const writes = [writer.write(outcome("a", "RETRY")), writer.write(progress("a", 1)), writer.write(progress("a", 2))];
    for (let i = 0; i < 3; i++) await store.open();
    await Promise.all([blocker, ...writes]);
    expect(store.batches.map((b) => b.map((r) => `${r.id}:${r.status}`))).toEqual([["x:SUCCESS"], ["a:RETRY"], ["a:PROGRESS"]]);
    expect(store.batches[2][0].meta).toEqual({ current: 2, total: 10 });
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

  it("retries a failure that is not a refusal of the values with the whole batch, never splitting it", async () => {
    let failures = 2;
    const sizes: number[] = [];
    const writer = new ResultWriter({
      flush: async (rows) => {
        sizes.push(rows.length);
        if (failures-- > 0) throw new Error("database down");
      },
      refused: (error) => ((error as Error).message === "refused" ? "refused" : undefined),
      log,
    });
    await Promise.all(["a", "b", "c", "d"].map((id) => writer.write(outcome(id))));
    expect(sizes).toEqual([4, 4, 4]);
  });

  /** A store that refuses (at once, as the database does) every statement holding one of `bad`'s rows. */
  function refusingStore(bad: (row: ResultRow) => boolean) {
    const statements: string[][] = [];
    const stored = new Map<string, ResultRow>();
    const flush = async (rows: readonly ResultRow[]) => {
      statements.push(rows.map((r) => r.id));
      if (rows.some(bad)) throw Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" });
      for (const r of rows) stored.set(r.id, r);
    };
    const refused = (error: unknown) => ((error as { code?: string }).code === "22P05" ? (error as Error).message : undefined);
    return { statements, stored, flush, refused };
  }

  it("halves a batch the database refuses until the refused row is alone: the others are written, it is stored as a ResultNotStoredError", async () => {
    const store = refusingStore((r) => r.id === "bad" && r.args !== null);
    const announced: ResultRow[] = [];
    const writer = new ResultWriter({ ...store, flushed: (rows) => announced.push(...rows), log });
    const ids = Array.from({ length: 64 }, (_, i) => (i === 37 ? "bad" : `ok${i}`));
    await Promise.all(ids.map((id) => writer.write({ ...outcome(id), args: [{ [id]: 1 }] })));

    expect(store.statements[0]).toHaveLength(64); // one statement while nothing is refused
    expect(store.statements.length).toBeLessThanOrEqual(2 * Math.log2(64) + 2);
    expect([...store.stored.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids.filter((i) => i !== "bad")) expect(store.stored.get(id)).toEqual({ ...outcome(id), args: [{ [id]: 1 }] });
    expect(store.stored.get("bad")).toMatchObject({
      status: "FAILURE",
      args: null,
      result: null,
      errorType: "ResultNotStoredError",
      errorMessage: "the database refused this task's row (unsupported Unicode escape sequence), so it is stored without its arguments and result; the task's outcome was SUCCESS",
      errorStack: null,
    });
    expect(announced.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(announced.find((r) => r.id === "bad")).toEqual(store.stored.get("bad"));
  });

  it("rejects only the writes of a row refused even without its values; the rest of its batch is written", async () => {
    const store = refusingStore((r) => r.id === "bad");
    const writer = new ResultWriter({ ...store, log });
    const writes = ["a", "bad", "b"].map((id) => writer.write(outcome(id)));
    await expect(writes[1]).rejects.toThrow("the database refused task bad's result row: unsupported Unicode escape sequence");
    await Promise.all([writes[0], writes[2]]);
    expect([...store.stored.keys()].sort()).toEqual(["a", "b"]);
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

describe("unstorableRow (what the writer stores instead of a refused row)", () => {
  const refusedBecause = "unsupported Unicode escape sequence";

  it("keeps a STARTED row STARTED, without its arguments, its text escaped and an invalid sent time replaced", () => {
    const row = { ...started("a"), name: "t\u0000", owner: "user:\ud800", args: [{ "a\u0000": 1 }], createdAt: new Date(Number.NaN) };
    const stored = unstorableRow(row, refusedBecause);
    expect(stored).toMatchObject({ id: "a", status: "STARTED", name: "t\\u0000", owner: "user:\\ud800", args: null, errorType: null, worker: "w" });
    expect(Number.isNaN(stored.createdAt.getTime())).toBe(false);
  });

  it("keeps a RETRY a RETRY (the task runs again), with an error that says why and what the outcome was", () => {
    expect(unstorableRow(outcome("a", "RETRY"), refusedBecause)).toMatchObject({
      status: "RETRY",
      args: null,
      errorType: "ResultNotStoredError",
      errorMessage: `the database refused this task's row (${refusedBecause}), so it is stored without its arguments and result; the task's outcome was RETRY (E: m)`,
      errorStack: null,
    });
  });
});
