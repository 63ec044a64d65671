/**
 * Server-sent events (the `text/event-stream` format of the HTML standard, read by the browser's
 * `EventSource`) for route handlers: `sseEvent()` writes one event, `eventStream()` turns an async iterable
 * of them into a response body that also sends a `: keep-alive` comment every 15 s and ends when the
 * client goes away. Answer with `new Response(eventStream(…), { headers: SSE_HEADERS })`.
 */

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  // no-cache: every connection asks the server. no-transform: `next start`'s gzip (the compression
  // middleware honours it) and other proxies must not hold the stream back to transform it.
  "cache-control": "no-cache, no-transform",
  // nginx: pass each event on at once instead of buffering the response.
  "x-accel-buffering": "no",
} as const;

/** How often an idle stream sends a comment, so proxies and load balancers do not time it out. */
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

export interface EventStreamOptions {
  /** Ends the stream (and `return()`s the events) when it aborts: pass the request's signal, or one that follows it. */
  signal?: AbortSignal;
  /**
   * Called once when the stream ends early: its reader cancelled it, or `signal` aborted. Abort whatever
   * produces the events here, so a pending `next()` settles. (`events` is returned too, but a generator
   * returned before it started runs no `finally`: close what it wraps here as well.)
   */
  onStop?: () => void;
  /** Called with an error the events threw; the stream then ends (the browser reconnects). */
  onError?: (error: unknown) => void;
  /** @defaultValue KEEP_ALIVE_MS */
  keepAliveMs?: number;
}

/**
 * A response body that sends each string of `events` (made with `sseEvent()`) as it comes, and a
 * `: keep-alive` comment every `keepAliveMs`. It closes after the last event, or when `signal` aborts or
 * its reader cancels (then `onStop` runs and `events` is returned, so its `finally` blocks run).
 */
export function eventStream(events: AsyncIterable<string>, options: EventStreamOptions = {}): ReadableStream<Uint8Array> {
  const { signal, onStop, onError, keepAliveMs = KEEP_ALIVE_MS } = options;
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let finished = false;
  let end: (early: boolean) => void = () => {};

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (chunk: string) => {
        if (!finished) controller.enqueue(encoder.encode(chunk));
      };
      const timer = setInterval(() => send(": keep-alive\n\n"), keepAliveMs);
      const abort = () => end(true);
      end = (early) => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        signal?.removeEventListener("abort", abort);
        if (early) onStop?.();
        try {
          controller.close();
        } catch {
          // already cancelled by the reader
        }
        // Queued behind a pending next(), which onStop made settle; errors have nowhere to go once ended.
        void Promise.resolve(iterator.return?.()).catch(() => {});
      };
      if (signal?.aborted) return end(true);
      signal?.addEventListener("abort", abort, { once: true });
      void (async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done || finished) break;
            send(next.value);
          }
        } catch (error) {
          if (!finished) onError?.(error);
        }
        end(false);
      })();
    },
    cancel() {
      end(true);
    },
  });
}
