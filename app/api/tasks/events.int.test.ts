/**
 * GET /api/tasks/[id]/events against the real app glue: the route handler called with a Request, a real
 * worker in this process running demo.add (it sleeps 2 s), the real Redis and the run's database. The tasks
 * here are an anonymous visitor's (owner ANYONE: whoever holds the id reads them); who else may read what is
 * app/api/tasks/access.int.test.ts's business.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { AsyncResult as AsyncResultClass } from "celeriac/results/async-result";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("task-events");
const { celeriac, task } = await import("@/lib/celery");
const { add } = await import("@/tasks/demo");
const { ANYONE } = await import("@/lib/result-access");
const events = await import("./[id]/events/route");
const status = await import("./[id]/route");

const fails = task({
  name: "test.events.fails",
  args: z.tuple([]),
  async run() {
    throw new TypeError("no such thing");
  },
});

/** Two reports 400 ms apart (more than ctx.progress()'s 250 ms throttle: both are written), then a result. */
const reports = task({
  name: "test.events.reports",
  args: z.tuple([]),
  async run(ctx) {
    for (const current of [1, 2]) {
      ctx.progress({ current, total: 2, message: `step ${current}` });
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    return "reported";
  },
});

// Counts the AsyncResult.changes() generators that have started and not finished, to see that none is left behind.
const changes = AsyncResultClass.prototype.changes;
let running = 0;
vi.spyOn(AsyncResultClass.prototype, "changes").mockImplementation(async function* (this: AsyncResultClass, options) {
  running += 1;
  try {
    yield* changes.call(this, options);
  } finally {
    running -= 1;
  }
});

let stop: () => Promise<unknown>;

/** A queue no worker here serves: a task sent there stays PENDING for ever. */
const IDLE = "events-idle";
const queued = async () => (await add.applyAsync([0, 0], { queue: IDLE, owner: ANYONE })).id;

beforeAll(async () => {
  const worker = await celeriac.startWorker({ concurrency: 2 });
  stop = worker.stop;
});
afterAll(async () => {
  await stop();
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

function context(id: string) {
  return { params: Promise.resolve({ id }) };
}

function open(id: string, init: RequestInit = {}): Promise<Response> {
  return events.GET(new Request(`http://test/api/tasks/${encodeURIComponent(id)}/events`, init), context(id));
}

interface Event {
  event?: string;
  id?: string;
  data: string;
}

/** Parses a text/event-stream body as it arrives: `next()` resolves the next event, or null once the stream ended. */
function eventReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    comments: [] as string[],
    async next(): Promise<Event | null> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: Event = { data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) this.comments.push(line);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
            else if (line.startsWith("event: ")) event.event = line.slice(7);
            else if (line.startsWith("id: ")) event.id = line.slice(4);
          }
          if (!data.length) continue; // a comment: EventSource dispatches no event for it
          event.data = data.join("\n");
          return event;
        }
        const { done, value } = await reader.read();
        if (done) return null;
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

/** Reads every event until the stream ends (the test's timeout bounds it). */
async function readAll(response: Response): Promise<Event[]> {
  const reader = eventReader(response);
  const all: Event[] = [];
  for (let event = await reader.next(); event; event = await reader.next()) all.push(event);
  return all;
}

async function currentBody(id: string): Promise<unknown> {
  const response = await status.GET(new Request(`http://test/api/tasks/${id}`), context(id));
  expect(response.status).toBe(200);
  return response.json();
}

describe("GET /api/tasks/[id]/events", () => {
  it("streams PENDING, STARTED and SUCCESS of a real task in order, each with GET /api/tasks/[id]'s body, then ends", async () => {
    // Due in a second: it is still PENDING when the stream opens.
    const { id } = await add.applyAsync([2, 3], { countdown: 1, owner: ANYONE });
    const response = await open(id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const reader = eventReader(response);

    expect(await reader.next()).toEqual({ event: "state", id: "PENDING", data: JSON.stringify({ id, name: "demo.add", status: "PENDING" }) });

    const started = await reader.next();
    expect(started).toMatchObject({ event: "state", id: "STARTED" });
    expect(JSON.parse(started!.data)).toEqual({ id, name: "demo.add", status: "STARTED" });

    const success = await reader.next();
    expect(success).toMatchObject({ event: "state", id: "SUCCESS" });
    expect(JSON.parse(success!.data)).toEqual({ id, name: "demo.add", status: "SUCCESS", result: 5 });
    expect(JSON.parse(success!.data)).toEqual(await currentBody(id)); // one presenter for both routes

    expect(await reader.next()).toEqual({ event: "end", data: JSON.stringify({ id, status: "SUCCESS" }) });
    expect(await reader.next()).toBeNull(); // the stream closed
    await vi.waitFor(() => expect(running).toBe(0));
  });

  it("streams a failure's type and message, never its stack", async () => {
    const result = await fails.applyAsync([], { owner: ANYONE });
    const all = await readAll(await open(result.id));
    const failure = all.find((event) => event.id === "FAILURE")!;
    expect(JSON.parse(failure.data)).toEqual({
      id: result.id,
      name: "test.events.fails",
      status: "FAILURE",
      error: { type: "TypeError", message: "no such thing" },
    });
    expect(failure.data).not.toMatch(/stack|at run/);
    expect(all.at(-1)).toMatchObject({ event: "end" });
    expect(all.map((event) => event.id).filter(Boolean)).toEqual(expect.arrayContaining(["FAILURE"]));
  });

  it("streams each progress report as its own PROGRESS state event (the same event id each time), with its progress", async () => {
    const result = await reports.applyAsync([], { owner: ANYONE });
    const reader = eventReader(await open(result.id));
    const all: Event[] = [];
    for (let event = await reader.next(); event; event = await reader.next()) all.push(event);
    const progress = all.filter((event) => event.id === "PROGRESS").map((event) => JSON.parse(event.data));
    expect(progress).toEqual([
      { id: result.id, name: "test.events.reports", status: "PROGRESS", progress: { current: 1, total: 2, message: "step 1" } },
      { id: result.id, name: "test.events.reports", status: "PROGRESS", progress: { current: 2, total: 2, message: "step 2" } },
    ]);
    expect(all.slice(-2).map((event) => event.id ?? event.event)).toEqual(["SUCCESS", "end"]);
  });

  it("answers a finished task with its state and end at once; a reconnection after a finished state gets 204 (no retry loop)", async () => {
    const result = await add.applyAsync([1, 1], { owner: ANYONE });
    await result.get({ timeout: 15_000 });

    const all = await readAll(await open(result.id));
    expect(all).toEqual([
      { event: "state", id: "SUCCESS", data: JSON.stringify({ id: result.id, name: "demo.add", status: "SUCCESS", result: 2 }) },
      { event: "end", data: JSON.stringify({ id: result.id, status: "SUCCESS" }) },
    ]);

    // EventSource sends the last event id back when it reconnects; a finished state never changes.
    for (const finished of ["SUCCESS", "FAILURE", "REVOKED"]) {
      const again = await open(result.id, { headers: { "last-event-id": finished } });
      expect(again.status).toBe(204);
      expect(await again.text()).toBe("");
    }
    // An unfinished last id (the stream broke mid-task) gets the state now.
    const resumed = await readAll(await open(result.id, { headers: { "last-event-id": "STARTED" } }));
    expect(resumed.map((event) => event.event)).toEqual(["state", "end"]);
    await vi.waitFor(() => expect(running).toBe(0));
  });

  it("answers a malformed id with a 400 JSON error, as GET /api/tasks/[id] does, and starts no stream", async () => {
    for (const id of ["bad id", "", "x".repeat(201), "a/b", "ü"]) {
      const response = await open(id);
      expect(response.status, id).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect((await response.json()).error).toMatch(/invalid task id/);
      expect((await status.GET(new Request("http://test/api/tasks/x"), context(id))).status).toBe(400);
    }
    expect(running).toBe(0);
  });

  it("stops the server's changes() generator when the client disconnects mid-stream", async () => {
    const client = new AbortController();
    const response = await open(await queued(), { signal: client.signal });
    const reader = eventReader(response);
    expect(await reader.next()).toMatchObject({ event: "state", id: "PENDING" });
    expect(running).toBe(1);

    client.abort();
    expect(await reader.next()).toBeNull(); // the response stream closed
    await vi.waitFor(() => expect(running).toBe(0), { timeout: 2_000 });
  });

  it("starts no stream for a request aborted before the handler ran (nothing read, nothing shown), and leaves no generator", async () => {
    const response = await open(await queued(), { signal: AbortSignal.abort() });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    await vi.waitFor(() => expect(running).toBe(0), { timeout: 2_000 });
  });

  it("stops the generator when the response body is cancelled (its reader went away)", async () => {
    const reader = eventReader(await open(await queued()));
    expect(await reader.next()).toMatchObject({ id: "PENDING" });
    await reader.cancel();
    await vi.waitFor(() => expect(running).toBe(0), { timeout: 2_000 });
  });
});
