/** The fuzz suite's raw HTTP client against real local servers that answer as it needs them to. */
import { createServer as createHttpServer, type RequestListener } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { encodeRequest, send, type Answer } from "./client";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

const http = (handler: RequestListener) => listen(createHttpServer(handler));

/** A TCP server that hands each connection's first bytes to `onRequest`. */
function raw(onRequest: (request: string, socket: Socket) => void) {
  return listen(
    createNetServer((socket) => {
      socket.once("data", (data) => onRequest(data.toString("latin1"), socket));
      socket.on("error", () => undefined);
    }),
  );
}

describe("send()", () => {
  it("writes the method, path and header bytes exactly as given", async () => {
    let seen = "";
    const port = await raw((request, socket) => {
      seen = request;
      socket.end("HTTP/1.1 204 No Content\r\n\r\n");
    });
    const outcome = await send(port, { method: "get", path: "/api/x/%ZZ/..%2f..?a=%", headers: [["x-odd", "caf\xe9"], ["cookie", "a=1"], ["cookie", "b=2"]] }, 2_000);
    expect(outcome).toMatchObject({ kind: "answer", status: 204 });
    expect(seen.split("\r\n")).toEqual([`get /api/x/%ZZ/..%2f..?a=% HTTP/1.1`, `host: 127.0.0.1:${port}`, "x-odd: caf\xe9", "cookie: a=1", "cookie: b=2", "", ""]);
  });

  it("sends a chunked body, or no Host header, when told to", () => {
    const text = encodeRequest({ method: "POST", path: "/", headers: [], body: Buffer.from("hello"), chunked: true, noHost: true }, "h").toString();
    expect(text).toBe("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  });

  it("undoes chunked transfer and gzip content encoding", async () => {
    const port = await http((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.write(gzipSync('{"ok":true}'));
      res.end();
    });
    const outcome = (await send(port, { method: "GET", path: "/", headers: [] }, 2_000)) as Answer;
    expect(outcome.headers.get("transfer-encoding")).toEqual(["chunked"]);
    expect(outcome.body.toString()).toBe('{"ok":true}');
  });

  it("reads an event stream up to its first event and lets it go", async () => {
    const port = await http((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("event: state\ndata: {}\n\n"); // and never ends
    });
    const outcome = (await send(port, { method: "GET", path: "/", headers: [] }, 5_000)) as Answer;
    expect(outcome).toMatchObject({ kind: "answer", status: 200, stream: true });
    expect(outcome.body.toString()).toContain("event: state");
    expect(outcome.ms).toBeLessThan(4_000);
  });

  it("finishes when the answer is complete by its length, while the server keeps the connection open", async () => {
    // Not asking for `connection: close` (see client.ts): the server may keep reading a large body after answering.
    const port = await raw((_request, socket) => socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 21\r\n\r\n{"error":"too large"}'));
    const outcome = await send(port, { method: "POST", path: "/", headers: [], body: Buffer.alloc(1024 * 1024, "x") }, 5_000);
    expect(outcome).toMatchObject({ kind: "answer", status: 413 });
    expect((outcome as Answer).body.toString()).toBe('{"error":"too large"}');
  });

  it("is a transport failure when the connection closes in the middle of an answer", async () => {
    const port = await raw((_request, socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b"));
    const outcome = await send(port, { method: "GET", path: "/", headers: [] }, 2_000);
    expect(outcome).toMatchObject({ kind: "transport", error: "connection closed in the middle of a 200 answer (10 body bytes)" });
  });

  it("is a transport failure when the server resets the connection before answering", async () => {
    const port = await raw((_request, socket) => socket.resetAndDestroy());
    const outcome = await send(port, { method: "GET", path: "/", headers: [] }, 2_000);
    expect(outcome).toMatchObject({ kind: "transport", error: "ECONNRESET before any answer" });
  });

  it("is a transport failure when nothing answers within the timeout, or nothing listens", async () => {
    const port = await raw(() => undefined);
    expect(await send(port, { method: "GET", path: "/", headers: [] }, 300)).toMatchObject({ kind: "transport", error: "no complete answer within 300 ms" });
    await new Promise((r) => servers.pop()!.close(r));
    expect(await send(port, { method: "GET", path: "/", headers: [] }, 2_000)).toMatchObject({ kind: "transport", error: "ECONNREFUSED before any answer" });
  });
});
