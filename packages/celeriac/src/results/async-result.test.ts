/**
 * AsyncResult's waits with a fake source (the store and the announcements in memory): it wakes on an
 * announcement, uses an announced row without reading the store, reads when the row did not come along,
 * and still finds a result whose announcement was lost, at the poll interval.
 */
import { describe, expect, it } from "vitest";
import { SyncSubtaskError } from "../errors.js";
import { runInsideTask } from "../task/running.js";
import type { StateChange } from "../message.js";
import type { AnnouncedRow } from "./row.js";
import { AsyncResult, type ResultSource } from "./async-result.js";
import type { ResultBackend, TaskRecord } from "./backend.js";

function fakeSource(pollIntervalMs: number) {
  let stored: TaskRecord | null = null;
  const listeners = new Set<(changes: readonly StateChange<AnnouncedRow>[]) => void>();
  const counts = { reads: 0 };
  // As the store does: with ownedBy, another owner's row is no row.
  const inScope = (r: TaskRecord | null, ownedBy?: readonly string[]) => (r && (!ownedBy || (r.owner !== null && ownedBy.includes(r.owner))) ? r : null);
  const backend = { get: async (_id: string, ownedBy?: readonly string[]) => (counts.reads++, inScope(stored, ownedBy)) } as unknown as ResultBackend;
  const source: ResultSource = {
    backend,
    pollIntervalMs,
    revoke: async () => undefined,
    onAnnounce: async (listener) => (listeners.add(listener), () => void listeners.delete(listener)),
  };
  const row = (over: Partial<AnnouncedRow> = {}): AnnouncedRow => ({
    id: "t1", name: "t", status: "SUCCESS", args: [], result: 42, error: null, queue: "q", worker: "w", retries: 0, createdAt: 1, startedAt: 2, doneAt: 3, runtimeMs: 1, owner: null, parentId: null, rootId: null, groupId: null, meta: null, ...over,
  });
  return {
    source,
    counts,
    listeners,
    store: (r: AnnouncedRow) => void (stored = { ...r, createdAt: new Date(r.createdAt), startedAt: new Date(r.startedAt!), doneAt: new Date(r.doneAt!) }),
    announce: (changes: StateChange<AnnouncedRow>[]) => listeners.forEach((l) => l(changes)),
    row,
  };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe("AsyncResult.get()", () => {
  it("resolves from an announced row without reading the store again", async () => {
    const f = fakeSource(60_000);
    const got = new AsyncResult<number>("t1", f.source).get({ timeout: 5_000 });
    await tick();
    expect(f.counts.reads).toBe(1); // the first look, before any announcement
    f.announce([["other", "SUCCESS"], ["t1", "SUCCESS", f.row({ result: 7 })]]);
    expect(await got).toBe(7);
    expect(f.counts.reads).toBe(1);
    expect(f.listeners.size).toBe(0); // stopped listening
  });

  it("reads the store when the announcement came without the row", async () => {
    const f = fakeSource(60_000);
    const got = new AsyncResult<number>("t1", f.source).get({ timeout: 5_000 });
    await tick();
    f.store(f.row({ result: 9 }));
    f.announce([["t1", "SUCCESS"]]);
    expect(await got).toBe(9);
    expect(f.counts.reads).toBe(2);
  });

  it("finds a result whose announcement was lost, at the poll interval", async () => {
    const f = fakeSource(50);
    const got = new AsyncResult<number>("t1", f.source).get({ timeout: 5_000 });
    await tick();
    f.store(f.row({ result: 3 }));
    expect(await got).toBe(3);
  });

  it("with ownedBy, takes no announced row of another owner: it reads the store, which answers no row", async () => {
    const f = fakeSource(60_000);
    const scoped = new AsyncResult<number>("t1", f.source, undefined, { ownedBy: ["user:1"] });
    const got = scoped.get({ timeout: 300 });
    await tick();
    const theirs = f.row({ result: 7, owner: "user:2" });
    f.store(theirs);
    f.announce([["t1", "SUCCESS", theirs]]);
    await expect(got).rejects.toThrow(/did not finish within 300 ms/); // not 7: that row is not this scope's
    const mine = f.row({ result: 8, owner: "user:1" });
    f.store(mine);
    expect(await scoped.result()).toBe(8);
  });

  it("changes() yields each state once, ending after the finished one", async () => {
    const f = fakeSource(60_000);
    const seen: string[] = [];
    const done = (async () => {
      for await (const r of new AsyncResult("t1", f.source).changes()) seen.push(r?.status ?? "PENDING");
    })();
    await tick();
    f.announce([["t1", "STARTED"]]);
    await tick();
    f.announce([["t1", "SUCCESS", f.row()]]);
    await done;
    // STARTED came without its row: the store still said nothing, so that read is PENDING again (not yielded twice).
    expect(seen).toEqual(["PENDING", "SUCCESS"]);
  });
});

describe("AsyncResult and PROGRESS", () => {
  it("progress() reads a PROGRESS row's meta, and null in any other state", async () => {
    const f = fakeSource(60_000);
    const r = new AsyncResult("t1", f.source);
    expect(await r.progress()).toBeNull(); // no row
    f.store(f.row({ status: "PROGRESS", result: null, meta: { current: 2, total: 5, message: "rows" } }));
    expect(await r.progress()).toEqual({ current: 2, total: 5, message: "rows" });
    f.store(f.row({ status: "STARTED", result: null, meta: null }));
    expect(await r.progress()).toBeNull();
    f.store(f.row({ status: "SUCCESS", meta: null }));
    expect(await r.progress()).toBeNull();
  });

  it("changes() yields each new progress (PROGRESS after PROGRESS) and get() waits through them", async () => {
    const f = fakeSource(60_000);
    const r = new AsyncResult<number>("t1", f.source);
    const got = r.get({ timeout: 5_000 });
    const seen: unknown[] = [];
    const watching = (async () => {
      for await (const record of r.changes()) seen.push(record && [record.status, record.meta]);
    })();
    await tick();
    for (const current of [1, 1, 2]) {
      f.store(f.row({ status: "PROGRESS", result: null, meta: { current, total: 2 } }));
      f.announce([["t1", "PROGRESS"]]);
      await tick();
    }
    f.announce([["t1", "SUCCESS", f.row({ result: 5 })]]);
    expect(await got).toBe(5);
    await watching;
    expect(seen).toEqual([null, ["PROGRESS", { current: 1, total: 2 }], ["PROGRESS", { current: 2, total: 2 }], ["SUCCESS", null]]);
  });
});

describe("AsyncResult.get()'s guard", () => {
  it("throws SyncSubtaskError inside a task's run, before reading anything; waits with allowInsideTask and outside any task", async () => {
    const f = fakeSource(60_000);
    f.store(f.row({ result: 3 }));
    const r = new AsyncResult<number>("t1", f.source);
    await runInsideTask({ id: "outer-1", name: "demo.outer" }, async () => {
      await expect(r.get()).rejects.toBeInstanceOf(SyncSubtaskError);
      await expect(r.get()).rejects.toThrow("task demo.outer (outer-1) waited for t1; use a chain");
      expect(f.counts.reads).toBe(0);
      expect(await r.get({ allowInsideTask: true })).toBe(3);
      expect(await r.result()).toBe(3); // no wait, no guard
    });
    expect(await r.get()).toBe(3);
  });
});
