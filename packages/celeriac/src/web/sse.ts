/**
 * Server-sent events (the `text/event-stream` format of the HTML standard, read by the browser's
 * `EventSource`): `sseEvent()` writes one event. A response body that sends a `: keep-alive` comment every
 * 15 s (so proxies and load balancers do not time it out) and ends when the client goes away (the
 * request's signal, or the reader cancelling) is one of:
 *
 *   eventStream()     events are pushed into it as they happen (`send()`), by whoever holds it
 *   eventStreamOf()   it sends each string of an async iterable, and closes after the last
 *
 * Answer with `new Response(body, { headers: SSE_HEADERS })`.
 */

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  // no-cache: every connection asks the server. no-transform: compression middleware (`next start`'s gzip
  // honours it) and proxies must not hold the stream back to transform it.
  "cache-control": "no-cache, no-transform",
  // nginx: pass each event on at once instead of buffering the response.
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

/** How often an idle stream sends a comment. */
export const KEEP_ALIVE_MS = 15_000;

export interface SseEvent {
  /** The event type (`addEventListener(type)` in the browser); none: a "message" event. */
  event?: string;
  /** The event id; the browser sends the last one back as `Last-Event-ID` when it reconnects. */
  id?: string;
  /** The data; each line becomes one `data:` line, and the browser joins them with "\n". */
  data: string;
  /** How long the browser waits before reconnecting, in ms. */
  retry?: number;
}

/** One event, in the wire format, ending with its blank line. */
export function sseEvent({ event, id, data, retry }: SseEvent): string {
  if (event !== undefined && /[\r\n]/.test(event)) throw new Error("an SSE event type cannot contain a line break");
  if (id !== undefined && /[\r\n\0]/.test(id)) throw new Error("an SSE event id cannot contain a line break or NUL");
  let frame = "";
  if (event !== undefined) frame += `event: ${event}\n`;
  if (id !== undefined) frame += `id: ${id}\n`;
  if (retry !== undefined) frame += `retry: ${Math.max(0, Math.trunc(retry))}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

export interface EventStream {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  /** Whether the stream has ended. */
  readonly closed: boolean;
  /** Sends a frame (made with sseEvent()); ignored once the stream ended. */
  send(frame: string): void;
  /** Ends the stream (the browser reconnects after its retry delay). */
  close(): void;
}

export interface EventStreamOptions {
  /** Ends the stream when it aborts: pass the request's signal. */
  signal?: AbortSignal;
  /** Called once when the stream ends, whoever ended it (at once for a signal already aborted): release what feeds it here. */
  onClose?: () => void;
  /** @defaultValue KEEP_ALIVE_MS */
  keepAliveMs?: number;
}

/** A stream that frames are pushed into (see the module comment). */
export function eventStream({ signal, onClose, keepAliveMs = KEEP_ALIVE_MS }: EventStreamOptions = {}): EventStream {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let finished = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const end = () => {
    if (finished) return;
    finished = true;
    clearInterval(timer);
    signal?.removeEventListener("abort", end);
    try {
      controller?.close();
    } catch {
      // already cancelled by its reader
    }
    onClose?.();
  };
  const send = (frame: string) => {
    if (!finished) controller?.enqueue(encoder.encode(frame));
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (signal?.aborted) return end();
      signal?.addEventListener("abort", end, { once: true });
      timer = setInterval(() => send(": keep-alive\n\n"), keepAliveMs);
    },
    cancel: end,
  });
  return {
    body,
    get closed() {
      return finished;
    },
    send,
    close: end,
  };
}

export interface IterableStreamOptions extends Omit<EventStreamOptions, "onClose"> {
  /**
   * Called once when the stream ends early: its reader cancelled it, or `signal` aborted. Abort whatever
   * produces the events here, so a pending `next()` settles. (`events` is returned too, but a generator
   * returned before it started runs no `finally`: close what it wraps here as well.)
   */
  onStop?: () => void;
  /** Called with an error the events threw; the stream then ends (the browser reconnects). */
  onError?: (error: unknown) => void;
}

/**
 * A response body that sends each string of `events` (made with `sseEvent()`) as it comes. It closes after
 * the last event, or when `signal` aborts or its reader cancels (then `onStop` runs and `events` is
 * returned, so its `finally` blocks run).
 */
export function eventStreamOf(events: AsyncIterable<string>, { onStop, onError, ...options }: IterableStreamOptions = {}): ReadableStream<Uint8Array> {
  const iterator = events[Symbol.asyncIterator]();
  let drained = false;
  const stream = eventStream({
    ...options,
    onClose() {
      if (!drained) onStop?.();
      // Queued behind a pending next(), which onStop made settle; errors have nowhere to go once ended.
      void Promise.resolve(iterator.return?.()).catch(() => {});
    },
  });
  // A signal already aborted ended the stream in eventStream(): then the events are never started.
  if (!stream.closed) {
    void (async () => {
      try {
        for (let next = await iterator.next(); !next.done && !stream.closed; next = await iterator.next()) stream.send(next.value);
      } catch (error) {
        if (!stream.closed) onError?.(error);
      }
      drained = true;
      stream.close();
    })();
  }
  return stream.body;
}
