/**
 * The body limit before Next (lib/server-boot.ts's hook, lib/body-limit.ts) on a real HTTP server and raw
 * sockets: a body over its route's limit is a prompt 413 and a closed connection, declared or chunked, and
 * the server's own handler (Next, in production) never sees it; a body within the limit reaches the handler
 * whole, however it was framed. e2e/server-boot.spec.ts does the same against `next start`.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunked, exchange, oneChunk, parseAnswer, pieces, requestHead } from "@/test/raw-http";
import { LINGER_MS } from "./body-limit";
import { refuseWhatNextCannotTake } from "./server-boot";

let server: Server;
let port: number;
const handled: string[] = [];

beforeAll(async () => {
  refuseWhatNextCannotTake();
  // As Next does: the whole body read, then answered (here: its length and hash).
  server = createServer(async (req, res) => {
    const hash = createHash("sha256");
    let length = 0;
    for await (const chunk of req) {
      hash.update(chunk);
      length += chunk.length;
    }
    handled.push(`${req.method} ${req.url}`);
    res.end(JSON.stringify({ length, sha256: hash.digest("hex") }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a body over its route's limit", () => {
  it("declared by Content-Length (50 MB, 10 bytes sent): a 413 at once, the connection closed, the handler never called", async () => {
    handled.length = 0;
    const result = await exchange(port, requestHead("POST", "/api/add", "Content-Length: 50000000\r\n"), () => [Buffer.from('{"x":1,"y"')]);
    const answer = parseAnswer(result.received);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: "request body too large: at most 65536 bytes (64 KiB) here" });
    expect(answer.headers).toMatchObject({ connection: "close", "content-type": "application/json", "x-content-type-options": "nosniff" });
    expect(result.answeredAfterMs).toBeLessThan(1000);
    expect(result.closedAfterMs).toBeLessThan(1000);
    expect(handled).toEqual([]);
  });

  it("chunked (10 MB offered): a 413 once the limit is passed, nothing more read, the connection closed, the handler never called", async () => {
    handled.length = 0;
    const result = await exchange(port, requestHead("POST", "/api/add", "Transfer-Encoding: chunked\r\n"), () => chunked(10 * 1024 * 1024), { pauseMs: 1 });
    expect(parseAnswer(result.received).status).toBe(413);
    // The answer came once the limit was passed: a few socket reads past 64 KiB, not megabytes.
    expect(result.sentBeforeAnswer).toBeGreaterThan(64 * 1024);
    expect(result.sentBeforeAnswer).toBeLessThan(1024 * 1024);
    expect(result.closedAfterMs).toBeLessThan(2000);
    expect(handled).toEqual([]);
  });

  it("from a client that goes on sending after the 413: it is read and dropped for LINGER_MS at most, then the connection is cut", async () => {
    const result = await exchange(port, requestHead("POST", "/api/signup", "Transfer-Encoding: chunked\r\n"), () => chunked(Infinity), { keepSending: true, halfOpen: true, pauseMs: 1 });
    expect(parseAnswer(result.received).status).toBe(413);
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(LINGER_MS - 100);
    expect(result.closedAfterMs).toBeLessThan(LINGER_MS + 1500);
  });

  it("is measured against the route's own limit for that method (POST /api/articles: 128 KiB), and 64 KiB on any other path", async () => {
    handled.length = 0;
    const over = await exchange(port, requestHead("POST", "/api/articles", "Transfer-Encoding: chunked\r\n"), () => chunked(200 * 1024));
    expect(JSON.parse(parseAnswer(over.received).body)).toEqual({ error: "request body too large: at most 131072 bytes (128 KiB) here" });
    const onPage = await exchange(port, requestHead("GET", "/articles", "Content-Length: 70000\r\n"), () => []);
    expect(parseAnswer(onPage.received)).toMatchObject({ status: 413, headers: { "content-type": "text/plain; charset=utf-8" } });
    // Next redirects //api/… to /api/…: the same route, its limit and its JSON.
    const doubled = await exchange(port, requestHead("POST", "//api/articles", "Content-Length: 140000\r\n"), () => []);
    expect(JSON.parse(parseAnswer(doubled.received).body)).toEqual({ error: "request body too large: at most 131072 bytes (128 KiB) here" });
    expect(handled).toEqual([]);
  });
});

describe("a body within the limit", () => {
  // 120 kB: over the default limit, within the article's.
  const article = Buffer.from(JSON.stringify({ title: "t", body: "é".repeat(60_000) }));

  it.each([
    ["Content-Length", `Content-Length: ${article.length}\r\n`, article],
    ["chunked", "Transfer-Encoding: chunked\r\n", oneChunk(article)],
  ])("reaches the handler whole, framed by %s, sent in pieces of 1,000 bytes", async (_framing, framing, bytes) => {
    handled.length = 0;
    const result = await exchange(port, requestHead("POST", "/api/articles", `${framing}Connection: close\r\n`), () => pieces(bytes), { keepSending: true });
    const answer = parseAnswer(result.received);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ length: article.length, sha256: createHash("sha256").update(article).digest("hex") });
    expect(handled).toEqual(["POST /api/articles"]);
  });

  it("no body at all, and a client that leaves in the middle of one, are no trouble", async () => {
    handled.length = 0;
    const gone = connect(port, "127.0.0.1");
    await new Promise((resolve) => gone.on("connect", resolve));
    gone.write(requestHead("POST", "/api/add", "Content-Length: 1000\r\n"));
    gone.write("{");
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.destroy();
    const empty = await exchange(port, "GET /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", () => []);
    expect(JSON.parse(parseAnswer(empty.received).body)).toMatchObject({ length: 0 });
    expect(handled).toEqual(["GET /api/articles"]);
  });
});
