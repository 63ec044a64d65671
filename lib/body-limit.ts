/**
 * The body limit, enforced while a request arrives, before Next sees it (lib/server-boot.ts's hook).
 *
 * Next cannot do it: because proxy.ts runs on /api/*, Next clones every request body for the proxy and,
 * after it, waits for the original stream to end, reading the whole upload (it keeps the first
 * proxyClientMaxBodySize bytes and drops the rest). A route handler, route() included, only sees the
 * request once the last byte has arrived: a client declaring gigabytes, or sending a chunked body that
 * never ends, held a socket and the server's attention for as long as it liked.
 *
 * So the HTTP server's "request" event is held back until the body has all arrived, counted as the
 * parser delivers it (Content-Length or chunked alike), and Next then gets the request with the body in
 * its buffer. A body past the limit is never handed on: its bytes are dropped as they come, and the
 * caller answers 413 and closes the connection with closeAfterAnswer(). A declared Content-Length over
 * the limit is refused before any byte of the body is read.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** How a held body ended: all of it arrived within the limit, it passed the limit, or the client went away first. */
export type BodyOutcome = "complete" | "too large" | "gone";

/** How long a refused client may go on sending after the answer before its connection is cut (RFC 9112 §9.6). */
export const LINGER_MS = 2000;

/** Whether the request's head announces a body (a chunked one, or a Content-Length above 0). */
export function announcesBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && Number(length) > 0);
}

/** Whether the request declares a Content-Length over `limit`. */
export function declaresMoreThan(request: IncomingMessage, limit: number): boolean {
  const length = request.headers["content-length"];
  return length !== undefined && Number(length) > limit;
}

/**
 * Takes the body's bytes from Node's HTTP parser as they arrive (it hands each one to `request.push`),
 * counting them. Resolves "complete" once it has ended within `limit`, the bytes then back in the request's
 * own buffer for whoever reads it; "too large" as soon as it passes `limit`, every byte after that
 * dropped; "gone" when the connection closes first.
 */
export function receiveWithin(request: IncomingMessage, limit: number): Promise<BodyOutcome> {
  const push = request.push;
  const held: Buffer[] = [];
  let received = 0;
  return new Promise<BodyOutcome>((resolve) => {
    const settle = (outcome: BodyOutcome) => {
      request.off("close", onClose);
      resolve(outcome);
    };
    const onClose = () => {
      request.push = push;
      settle("gone");
    };
    request.once("close", onClose);
    request.push = (chunk: Buffer | null) => {
      if (chunk === null) {
        request.push = push;
        for (const bytes of held) push.call(request, bytes);
        const more = push.call(request, null);
        settle("complete");
        return more;
      }
      received += chunk.byteLength;
      if (received <= limit) {
        held.push(chunk);
        return true;
      }
      held.length = 0;
      request.push = () => true;
      settle("too large");
      return true;
    };
  });
}

/**
 * Makes `response`'s connection close once the answer is sent, the way RFC 9112 §9.6 asks of a server that
 * leaves a body unread: the answer, then the write side shut (the client sees the end of the stream), while
 * whatever the client still sends is read and dropped for at most LINGER_MS; then the socket is destroyed.
 * Closing at once, with the client's bytes still arriving, makes the kernel answer with a reset that can
 * discard the answer before the client reads it. Call before writing the answer; it sets `Connection: close`.
 */
export function closeAfterAnswer(response: ServerResponse): void {
  const socket = response.socket;
  response.setHeader("Connection", "close");
  if (!socket) return;
  // Node ends a `Connection: close` answer with socket.destroySoon(): shut the write side, then destroy at once.
  socket.destroySoon = () => {
    socket.end();
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    cut.unref();
    socket.once("close", () => clearTimeout(cut));
  };
}
