/**
 * nodeHandler(dashboard): the dashboard as Express / Connect / node:http middleware. A request for one of
 * the dashboard's paths (pages, API, metrics) becomes a fetch Request for `dashboard.handle()`, and its
 * Response is written back, streamed as it comes (the live feed's events go out one by one); any other
 * path goes to `next()`, or is a 404 without one.
 *
 * The body is read from the Node request itself as the handler asks for it; when a body parser ran before
 * (express.json() left `req.body`), that parsed body is handed on as JSON instead. The request's signal
 * aborts when the client goes away, which ends a live feed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Dashboard } from "./index.js";

/** An Express request carries the path it was mounted under in originalUrl, and a parsed body in `body`. */
type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** The Node request's body as a web stream; cancelled (the handler read enough), the rest is read and dropped. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Buffer) => {
        if (done) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => {
        if (!done) controller.close();
        done = true;
      });
      req.once("error", (error) => {
        if (!done) controller.error(error);
        done = true;
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      done = true;
      req.resume();
    },
  });
}

function bodyOf(req: NodeRequest): RequestInit["body"] {
  if (req.method === "GET" || req.method === "HEAD") return null;
  if (req.body !== undefined && req.readableEnded) {
    if (typeof req.body === "string") return req.body;
    // A copy: BodyInit takes a view of an ArrayBuffer only, and a Buffer may be a view of a shared one.
    if (Buffer.isBuffer(req.body)) return new Uint8Array(req.body);
    return JSON.stringify(req.body);
  }
  return bodyStream(req);
}

/** The fetch Request for a Node request; `signal` aborts when the client goes away. */
function toRequest(req: NodeRequest, signal: AbortSignal): Request {
  const protocol = (req.socket as TLSSocket | undefined)?.encrypted ? "https" : "http";
  const url = new URL(req.originalUrl ?? req.url ?? "/", `${protocol}://${req.headers.host ?? "localhost"}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each);
  }
  const body = bodyOf(req);
  return new Request(url, { method: req.method, headers, body, signal, ...(body instanceof ReadableStream && { duplex: "half" }) });
}

/** Writes a fetch Response to the Node response, its body streamed with backpressure; stops when the client goes away. */
async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  // A body the handler left unread (refused early) would hold the connection: close it after this answer.
  if (!req.complete && req.method !== "GET" && req.method !== "HEAD") res.setHeader("connection", "close");
  if (response.body === null || req.method === "HEAD") {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const gone = () => void reader.cancel().catch(() => {});
  res.once("close", gone);
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      if (!res.write(read.value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
      if (res.destroyed) break;
    }
  } finally {
    res.off("close", gone);
    res.end();
  }
}

export function nodeHandler(dashboard: Dashboard): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void {
  return (req, res, next) => {
    const nodeRequest = req as NodeRequest;
    const pathname = (nodeRequest.originalUrl ?? req.url ?? "/").split("?")[0];
    if (!dashboard.serves(pathname)) {
      if (next) return next();
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      return;
    }
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    void (async () => {
      let request: Request;
      try {
        request = toRequest(nodeRequest, gone.signal);
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "malformed request" }));
        return;
      }
      await writeResponse(await dashboard.handle(request), req, res);
    })().catch((error: unknown) => {
      if (next) next(error);
      else if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "internal error" }));
      else res.destroy();
    });
  };
}
