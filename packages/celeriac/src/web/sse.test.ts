import { describe, expect, it, vi } from "vitest";
import { eventStream, eventStreamOf, sseEvent } from "./sse.js";

/** Reads a stream to its end, as text. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** An async generator that yields `items`, then waits until `signal` aborts; `state.closed` says its finally ran. */
function source(items: string[], signal?: AbortSignal) {
  const state = { closed: false };
  async function* generate() {
    try {
      for (const item of items) yield item;
      await new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true }));
    } finally {
      state.closed = true;
    }
  }
  return { events: generate(), state };
}

describe("sseEvent", () => {
  it("writes the fields, one data line per line, and the blank line", () => {
    expect(sseEvent({ event: "tasks", id: "7", data: '[{"a":1}]' })).toBe('event: tasks\nid: 7\ndata: [{"a":1}]\n\n');
    expect(sseEvent({ event: "state", id: "STARTED", data: '{"a":1}' })).toBe('event: state\nid: STARTED\ndata: {"a":1}\n\n');
    expect(sseEvent({ data: "one\ntwo\r\nthree" })).toBe("data: one\ndata: two\ndata: three\n\n");
    expect(sseEvent({ data: "", retry: 1500 })).toBe("retry: 1500\ndata: \n\n");
  });

  it("refuses a line break in the event type or id (it would start another field)", () => {
    expect(() => sseEvent({ event: "a\nb", data: "" })).toThrow(/line break/);
    expect(() => sseEvent({ id: "a\rdata: x", data: "" })).toThrow(/line break/);
  });
});

describe("eventStream", () => {
  const decoder = new TextDecoder();

  it("sends what is pushed, a keep-alive comment while nothing is, and ends when the signal aborts", async () => {
    vi.useFakeTimers();
    try {
      const stop = new AbortController();
      const onClose = vi.fn();
      const stream = eventStream({ signal: stop.signal, onClose, keepAliveMs: 1000 });
      const reader = stream.body.getReader();
      stream.send(sseEvent({ event: "queues", data: "[]" }));
      expect(decoder.decode((await reader.read()).value)).toBe("event: queues\ndata: []\n\n");
      vi.advanceTimersByTime(1000);
      expect(decoder.decode((await reader.read()).value)).toBe(": keep-alive\n\n");
      expect(stream.closed).toBe(false);
      stop.abort();
      expect((await reader.read()).done).toBe(true);
      expect(stream.closed).toBe(true);
      expect(onClose).toHaveBeenCalledOnce();
      stream.send("ignored once ended");
      stream.close();
      expect(onClose).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });

  it("ends when its reader cancels, and at once for a signal already aborted", async () => {
    const onClose = vi.fn();
    await eventStream({ onClose }).body.cancel();
    expect(onClose).toHaveBeenCalledOnce();
    const aborted = new AbortController();
    aborted.abort();
    const late = vi.fn();
    const stream = eventStream({ signal: aborted.signal, onClose: late });
    expect(late).toHaveBeenCalledOnce();
    expect(stream.closed).toBe(true);
    expect((await stream.body.getReader().read()).done).toBe(true);
  });
});

describe("eventStreamOf", () => {
  it("sends each event, then closes after the last (not an early end: no onStop)", async () => {
    async function* two() {
      yield sseEvent({ data: "1" });
      yield sseEvent({ data: "2" });
    }
    const onStop = vi.fn();
    expect(await readAll(eventStreamOf(two(), { onStop }))).toBe("data: 1\n\ndata: 2\n\n");
    expect(onStop).not.toHaveBeenCalled();
  });

  it("sends a keep-alive comment while no event comes", async () => {
    const stop = new AbortController();
    const { events } = source([sseEvent({ data: "first" })], stop.signal);
    const reader = eventStreamOf(events, { signal: stop.signal, keepAliveMs: 20 }).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe("data: first\n\n");
    expect(decoder.decode((await reader.read()).value)).toBe(": keep-alive\n\n");
    expect(decoder.decode((await reader.read()).value)).toBe(": keep-alive\n\n");
    stop.abort();
    expect((await reader.read()).done).toBe(true);
  });

  it("ends, stops the producer and returns the events when the signal aborts (the client went away)", async () => {
    const client = new AbortController();
    const producer = new AbortController();
    const { events, state } = source([sseEvent({ data: "x" })], producer.signal);
    const onStop = vi.fn(() => producer.abort());
    const reader = eventStreamOf(events, { signal: client.signal, onStop }).getReader();
    await reader.read();
    client.abort();
    expect((await reader.read()).done).toBe(true);
    expect(onStop).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(state.closed).toBe(true));
  });

  it("stops the producer and returns the events when its reader cancels", async () => {
    const producer = new AbortController();
    const { events, state } = source([sseEvent({ data: "x" })], producer.signal);
    const onStop = vi.fn(() => producer.abort());
    const reader = eventStreamOf(events, { onStop }).getReader();
    await reader.read();
    await reader.cancel();
    expect(onStop).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(state.closed).toBe(true));
  });

  it("sends nothing, stops the producer and returns the events when the signal has already aborted", async () => {
    const { events } = source(["never"]);
    const onStop = vi.fn();
    const stream = eventStreamOf(events, { signal: AbortSignal.abort(), onStop });
    expect(await readAll(stream)).toBe("");
    expect(onStop).toHaveBeenCalledOnce();
    expect(await events.next()).toEqual({ done: true, value: undefined }); // returned before it started
    const next = vi.fn(async () => ({ done: false as const, value: "never" }));
    const returned = vi.fn(async () => ({ done: true as const, value: undefined }));
    await readAll(eventStreamOf({ [Symbol.asyncIterator]: () => ({ next, return: returned }) }, { signal: AbortSignal.abort() }));
    expect(next).not.toHaveBeenCalled(); // an iterator that is not a generator is not asked either
    expect(returned).toHaveBeenCalledOnce();
  });

  it("ends the stream after an error of the events, and reports it, without calling onStop", async () => {
    async function* failing() {
      yield sseEvent({ data: "ok" });
      throw new Error("store down");
    }
    const onError = vi.fn();
    const onStop = vi.fn();
    expect(await readAll(eventStreamOf(failing(), { onError, onStop }))).toBe("data: ok\n\n");
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: "store down" }));
    expect(onStop).not.toHaveBeenCalled();
  });
});
