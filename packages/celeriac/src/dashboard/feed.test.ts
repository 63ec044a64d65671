import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FeedEvents, TaskRow } from "./api-types.js";
import { FeedHub, POLL_MS, TASKS_BATCH_MS, type FeedSources } from "./feed.js";

const log = pino({ level: "silent" });

/** Sources whose values the test sets, counting how often each is read. */
function sources() {
  const values = { workers: [] as unknown[], queues: [] as unknown[], periodic: [] as unknown[], overview: { now: "t0", workersOnline: 0 } as unknown };
  const reads = { workers: 0, queues: 0, periodic: 0, overview: 0 };
  let push: ((rows: readonly TaskRow[]) => void) | undefined;
  const stopped = vi.fn();
  const poll = Object.fromEntries(
    (Object.keys(values) as (keyof typeof values)[]).map((name) => [
      name,
      async () => {
        reads[name]++;
        if (values[name] instanceof Error) throw values[name];
        return values[name];
      },
    ]),
  ) as unknown as FeedSources["poll"];
  const feed: FeedSources = {
    poll,
    changeKey: { overview: ({ now: _now, ...rest }: FeedEvents["overview"]) => rest },
    onTasks: async (listener) => {
      push = listener;
      return stopped;
    },
  };
  return { feed, values, reads, push: (rows: TaskRow[]) => push!(rows), stopped };
}

const client = () => {
  const frames: string[] = [];
  return { frames, send: (frame: string) => frames.push(frame), close: vi.fn() };
};
const events = (frames: string[]) => frames.map((f) => /^event: (\w+)/.exec(f)?.[1]);

describe("FeedHub: one feed for every page of the process", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("polls once per turn for all clients, sends a value only when it changed, and gives a late client the latest at once", async () => {
    const s = sources();
    const hub = new FeedHub(s.feed, log);
    const a = client();
    hub.subscribe(a);
    await vi.advanceTimersByTimeAsync(0);
    expect(events(a.frames).sort()).toEqual(["overview", "periodic", "queues", "workers"]);
    const b = client();
    hub.subscribe(b);
    expect(events(b.frames).sort()).toEqual(["overview", "periodic", "queues", "workers"]);

    s.values.queues = [{ name: "default" }];
    s.values.overview = { now: "t1", workersOnline: 0 }; // only the clock moved: no event
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(s.reads.queues).toBe(2);
    expect(a.frames.slice(4)).toEqual(['event: queues\ndata: [{"name":"default"}]\n\n']);
    expect(b.frames.slice(4)).toEqual(a.frames.slice(4));
    hub.close();
    expect(a.close).toHaveBeenCalledOnce();
  });

  it("batches announced task rows, the latest per id, into one event", async () => {
    const s = sources();
    const hub = new FeedHub(s.feed, log);
    const a = client();
    hub.subscribe(a);
    await vi.advanceTimersByTimeAsync(0);
    a.frames.length = 0;
    s.push([{ id: "t1", status: "STARTED" } as TaskRow, { id: "t2", status: "STARTED" } as TaskRow]);
    s.push([{ id: "t1", status: "SUCCESS" } as TaskRow]);
    await vi.advanceTimersByTimeAsync(TASKS_BATCH_MS);
    expect(a.frames).toEqual(['event: tasks\ndata: [{"id":"t1","status":"SUCCESS"},{"id":"t2","status":"STARTED"}]\n\n']);
    hub.close();
  });

  it("stops polling and listening when the last client leaves, and a failing source only skips its event", async () => {
    const s = sources();
    s.values.workers = new Error("Redis away") as never;
    const hub = new FeedHub(s.feed, log);
    const a = client();
    const leave = hub.subscribe(a);
    await vi.advanceTimersByTimeAsync(0);
    expect(events(a.frames).sort()).toEqual(["overview", "periodic", "queues"]);
    leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.stopped).toHaveBeenCalledOnce();
    const before = s.reads.queues;
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(s.reads.queues).toBe(before);
  });
});
