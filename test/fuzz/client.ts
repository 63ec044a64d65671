/**
 * A raw HTTP/1.1 client for the fuzz suite. fetch() and node:http normalise what the suite must send as is:
 * they upper-case methods, refuse TRACE, resolve `%2e%2e` and reject odd header bytes. This one writes the
 * request line and headers byte for byte (latin1) on a fresh connection, reads the answer until its framing
 * (content-length, chunked, or the server closing) says it is complete, and closes the connection: status,
 * headers, and the body with chunked transfer and gzip, deflate or brotli content encoding undone. An event
 * stream (`text/event-stream`) is read up to its first event and then dropped, since it stays open for as
 * long as its task runs.
 *
 * The connection is not marked `connection: close`: a server that answers before reading a large body (a
 * 413, a redirect) then reads the rest and discards it, instead of closing with unread bytes, which resets
 * the connection and can lose the answer before the client reads it.
 *
 * The outcome is an answer, or a transport failure (refused, reset before the answer was complete, no
 * answer within the timeout).
 */
import { connect } from "node:net";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: "/api/tasks/%ZZ?x=1". */
  path: string;
  /** In order; repeated names are sent as repeated lines. A `host` here replaces the default one. */
  headers: [string, string][];
  body?: Buffer;
  /** Send the body with `transfer-encoding: chunked` instead of a content-length. */
  chunked?: boolean;
  /** Send no Host header at all. */
  noHost?: boolean;
}

export interface Answer {
  kind: "answer";
  status: number;
  /** Lower-case names. */
  headers: Map<string, string[]>;
  /** Decoded (transfer and content encoding undone). */
  body: Buffer;
  /** An event stream, read up to its first event only. */
  stream: boolean;
  ms: number;
}

export interface TransportFailure {
  kind: "transport";
  /** "ECONNREFUSED", "ECONNRESET before a complete answer", "no answer within 15000 ms", … */
  error: string;
  ms: number;
}

export type Outcome = Answer | TransportFailure;

const HEAD_END = Buffer.from("\r\n\r\n");
const EVENT_END = /\r?\n\r?\n/;

/** The request line and headers as `send()` writes them, up to the blank line. */
export function encodeHead(request: RawRequest, host: string): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  if (!request.noHost && !names.has("host")) lines.push(`host: ${host}`);
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const length = request.body?.length ?? 0;
  if (request.chunked) lines.push("transfer-encoding: chunked");
  else if (length > 0 || request.method === "POST" || request.method === "PUT" || request.method === "PATCH") lines.push(`content-length: ${length}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/** The bytes of a request as `send()` writes them (exported for the failure report's byte count and tests). */
export function encodeRequest(request: RawRequest, host: string): Buffer {
  const head = encodeHead(request, host);
  const body = request.body ?? Buffer.alloc(0);
  if (!request.chunked) return Buffer.concat([head, body]);
  const chunks = body.length ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n")] : [];
  return Buffer.concat([head, ...chunks, Buffer.from("0\r\n\r\n")]);
}

interface Head {
  status: number;
  headers: Map<string, string[]>;
  bodyStart: number;
}

/** The final (non-1xx) status line and headers in `data`, or undefined while incomplete. */
function parseHead(data: Buffer): Head | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf(HEAD_END, start);
    if (end < 0) return undefined;
    const [statusLine, ...lines] = data.subarray(start, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    if (!(status >= 100 && status < 200)) {
      const headers = new Map<string, string[]>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      return { status, headers, bodyStart: end + HEAD_END.length };
    }
    start = end + HEAD_END.length; // 100 Continue and friends: the real answer follows
  }
}

/** A chunked body decoded, or undefined when it stops before its last chunk. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    const from = lineEnd + 2;
    if (data.length < from + size) return undefined;
    parts.push(data.subarray(from, from + size));
    at = from + size + 2;
  }
}

function decodeContent(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.toLowerCase()) {
    case "gzip":
      return gunzipSync(body);
    case "deflate":
      return inflateSync(body);
    case "br":
      return brotliDecompressSync(body);
    default:
      return body;
  }
}

/**
 * The body framed by `head`, decoded, or undefined while the bytes stop before the framing says it ends.
 * `closed`: the server closed the connection, which ends a body that has neither length nor chunks.
 */
function completeBody(method: string, head: Head, raw: Buffer, closed: boolean): Buffer | undefined {
  if (method.toUpperCase() === "HEAD" || head.status === 204 || head.status === 304) return Buffer.alloc(0);
  const transfer = head.headers.get("transfer-encoding")?.join(",").toLowerCase();
  const length = head.headers.get("content-length")?.[0];
  let body: Buffer | undefined;
  if (transfer?.includes("chunked")) body = dechunk(raw);
  else if (length !== undefined) body = raw.length >= Number(length) ? raw.subarray(0, Number(length)) : undefined;
  else body = closed ? raw : undefined;
  return body && decodeContent(body, head.headers.get("content-encoding")?.[0]);
}

/** Sends `request` to 127.0.0.1:`port` and reads the answer (see the module comment). */
export function send(port: number, request: RawRequest, timeoutMs: number): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = Buffer.alloc(0);
    let head: Head | undefined;
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const answer = (body: Buffer, stream: boolean): Answer => ({ kind: "answer", status: head!.status, headers: head!.headers, body, stream, ms: Date.now() - started });
    const failure = (error: string): TransportFailure => ({ kind: "transport", error, ms: Date.now() - started });
    const isStream = () => head?.status === 200 && /text\/event-stream/i.test(head.headers.get("content-type")?.[0] ?? "");
    /** What the bytes so far amount to when the connection ends (`reason`) or is given up. */
    const conclude = (reason: string) => {
      if (!head) return finish(failure(`${reason} before any answer`));
      const raw = data.subarray(head.bodyStart);
      if (isStream()) return finish(answer(raw, true));
      try {
        const body = completeBody(request.method, head, raw, true);
        finish(body ? answer(body, false) : failure(`${reason} in the middle of a ${head.status} answer (${raw.length} body bytes)`));
      } catch (error) {
        finish(failure(`${head.status} answer whose body does not decode: ${(error as Error).message}`));
      }
    };
    /** Finishes once the answer is complete by its own framing (the connection may stay open). */
    const finishIfComplete = () => {
      if (!head || isStream()) return;
      try {
        const body = completeBody(request.method, head, data.subarray(head.bodyStart), false);
        if (body) finish(answer(body, false));
      } catch (error) {
        finish(failure(`${head.status} answer whose body does not decode: ${(error as Error).message}`));
      }
    };
    const timer = setTimeout(() => (isStream() ? conclude("stream") : finish(failure(`no complete answer within ${timeoutMs} ms`))), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      head ??= parseHead(data);
      if (isStream() && EVENT_END.test(data.subarray(head!.bodyStart).toString("utf8"))) conclude("stream");
      else finishIfComplete();
    });
    socket.on("end", () => conclude("connection closed"));
    socket.on("error", (error: NodeJS.ErrnoException) => conclude(error.code ?? error.message));
    // write, not end: Node's HTTP server drops a request whose client half-closes (httpAllowHalfOpen false).
    socket.on("connect", () => socket.write(encodeRequest(request, `127.0.0.1:${port}`)));
  });
}
