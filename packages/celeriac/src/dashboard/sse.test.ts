import { describe, expect, it, vi } from "vitest";
import { eventStream, sseEvent } from "./sse.js";

describe("sseEvent", () => {
  it("writes the fields, one data line per line, and the blank line", () => {
    expect(sseEvent({ event: "tasks", id: "7", data: '[{"a":1}]' })).toBe('event: tasks\nid: 7\ndata: [{"a":1}]\n\n');
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
      stop.abort();
      expect((await reader.read()).done).toBe(true);
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
    expect((await stream.body.getReader().read()).done).toBe(true);
  });
});
