/**
 * HTTP/1.1 over a raw socket, for what fetch cannot send: a Content-Length the body does not match, a
 * chunked body sent while the answer is awaited, a client that goes on sending after it. Used against the
 * body limit before Next (lib/body-limit.test.ts, e2e/server-boot.spec.ts).
 */
import { connect } from "node:net";

export interface Exchange {
  /** Everything the server sent, head and body. */
  received: string;
  /** Bytes of body the client had written when the first byte of the answer came (-1: none came). */
  sentBeforeAnswer: number;
  /** ms from the request's head to the answer's first byte. */
  answeredAfterMs: number;
  /** ms from the request's head until the connection closed. */
  closedAfterMs: number;
}

export interface ExchangeOptions {
  /** Go on writing the body after the answer came (else writing stops there). */
  keepSending?: boolean;
  /** Keep the client's side open after the server ended its own (then writing goes on until a write fails). */
  halfOpen?: boolean;
  /** A pause after each chunk, ms. */
  pauseMs?: number;
  /** Writing stops after this long whatever happens, ms. */
  writeForMs?: number;
}

/** Sends `head`, then the body `chunks()` yields, one write each, and resolves once the connection is closed. */
export function exchange(port: number, head: string, chunks: () => Iterable<Buffer>, { keepSending = false, halfOpen = false, pauseMs = 0, writeForMs = 10_000 }: ExchangeOptions = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: halfOpen });
    const started = Date.now();
    let received = "";
    let sent = 0;
    let sentBeforeAnswer = -1;
    let answeredAfterMs = -1;
    socket.on("data", (data) => {
      if (sentBeforeAnswer < 0) [sentBeforeAnswer, answeredAfterMs] = [sent, Date.now() - started];
      received += data;
    });
    // A write after the server closed may fail: what matters is what was received, and when it closed.
    socket.on("error", () => {});
    socket.on("close", () => resolve({ received, sentBeforeAnswer, answeredAfterMs, closedAfterMs: Date.now() - started }));
    socket.on("connect", async () => {
      socket.write(head);
      try {
        for (const chunk of chunks()) {
          if (socket.destroyed || (!keepSending && sentBeforeAnswer >= 0) || Date.now() - started > writeForMs) break;
          sent += chunk.length;
          if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r).once("close", r));
          if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        }
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** A chunked body of `total` bytes of `fill` (Infinity: without end), in chunks of `size`, then its last chunk. */
export function* chunked(total: number, size = 16 * 1024, fill = 0x20): Iterable<Buffer> {
  for (let done = 0; done < total; done += size) {
    const n = Math.min(size, total - done);
    yield Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, fill), Buffer.from("\r\n")]);
  }
  yield Buffer.from("0\r\n\r\n");
}

/** `bytes` as one chunk of a chunked body, followed by the last chunk. */
export function oneChunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n0\r\n\r\n")]);
}

/** The pieces of `bytes`, `size` each: one write apiece. */
export function* pieces(bytes: Buffer, size = 1000): Iterable<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A request head: `framing` holds the body's header lines (Content-Length or Transfer-Encoding), each ending in CRLF. */
export function requestHead(method: string, path: string, framing: string, host = "127.0.0.1"): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${framing}\r\n`;
}

/** The first answer in `received`: its status, headers (lower-case names) and body. */
export function parseAnswer(received: string): { status: number; headers: Record<string, string>; body: string } {
  const end = received.indexOf("\r\n\r\n");
  const [status, ...lines] = received.slice(0, end).split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(status.split(" ")[1]), headers, body: received.slice(end + 4) };
}
