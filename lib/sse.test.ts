import { describe, expect, it, vi } from "vitest";
import { eventStream, sseEvent } from "./sse";

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
  it("sends each event, then closes after the last", async () => {
    async function* two() {
      yield sseEvent({ data: "1" });
      yield sseEvent({ data: "2" });
    }
    expect(await readAll(eventStream(two()))).toBe("data: 1\n\ndata: 2\n\n");
  });

  it("sends a keep-alive comment while no event comes", async () => {
    const stop = new AbortController();
    const { events } = source([sseEvent({ data: "first" })], stop.signal);
    const reader = eventStream(events, { signal: stop.signal, keepAliveMs: 20 }).getReader();
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
    const reader = eventStream(events, { signal: client.signal, onStop }).getReader();
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
    const reader = eventStream(events, { onStop }).getReader();
    await reader.read();
    await reader.cancel();
    expect(onStop).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(state.closed).toBe(true));
  });

  it("sends nothing, stops the producer and returns the events when the signal has already aborted", async () => {
    const { events } = source(["never"]);
    const onStop = vi.fn();
    const stream = eventStream(events, { signal: AbortSignal.abort(), onStop });
    expect(await readAll(stream)).toBe("");
    expect(onStop).toHaveBeenCalledOnce();
    expect(await events.next()).toEqual({ done: true, value: undefined }); // returned before it started
  });

  it("ends the stream after an error of the events, and reports it", async () => {
    async function* failing() {
      yield sseEvent({ data: "ok" });
      throw new Error("store down");
    }
    const onError = vi.fn();
    expect(await readAll(eventStream(failing(), { onError }))).toBe("data: ok\n\n");
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: "store down" }));
  });
});
