/**
 * What `next start` answers before Next itself (lib/server-boot.ts, run by instrumentation.ts), against
 * the production build:
 *
 * - the body limit, on raw sockets to the run's server: a huge Content-Length with a few bytes sent, and a
 *   chunked upload past the limit, are a prompt 413 and a closed connection (Next alone read the whole
 *   upload before any route ran: the first got no answer at all); a body within the limit, chunked too,
 *   still reaches its route.
 */
import { expect, test } from "@playwright/test";
import { chunked, exchange, oneChunk, parseAnswer, requestHead } from "../test/raw-http";

const PORT = 3100; // the run's server (playwright.config.ts)
const HOST = `127.0.0.1:${PORT}`;

test.describe("a body over its route's limit", () => {
  test("a Content-Length of 50 MB with 10 bytes sent: 413 at once, the connection closed", async () => {
    const result = await exchange(PORT, requestHead("POST", "/api/add", "Content-Length: 50000000\r\n", HOST), () => [Buffer.from('{"x":1,"y"')]);
    const answer = parseAnswer(result.received);
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({ error: "request body too large: at most 65536 bytes (64 KiB) here" });
    expect(result.answeredAfterMs).toBeLessThan(2000);
    expect(result.closedAfterMs).toBeLessThan(3000);
  });

  test("a chunked upload past the limit (20 MB offered): 413 once the limit is passed, the connection closed", async () => {
    const result = await exchange(PORT, requestHead("POST", "/api/articles", "Transfer-Encoding: chunked\r\n", HOST), () => chunked(20 * 1024 * 1024), { pauseMs: 1 });
    expect(parseAnswer(result.received).status).toBe(413);
    expect(JSON.parse(parseAnswer(result.received).body).error).toBe("request body too large: at most 131072 bytes (128 KiB) here");
    expect(result.sentBeforeAnswer).toBeGreaterThan(128 * 1024);
    expect(result.sentBeforeAnswer).toBeLessThan(2 * 1024 * 1024);
    expect(result.closedAfterMs).toBeLessThan(5000);
  });

  test("a body within the limit reaches its route, chunked or not", async ({ request }) => {
    const article = Buffer.from(JSON.stringify({ title: "chunked", body: "é".repeat(20_000) }));
    const result = await exchange(PORT, requestHead("POST", "/api/articles", "Transfer-Encoding: chunked\r\nConnection: close\r\n", HOST), () => [oneChunk(article)]);
    expect(parseAnswer(result.received).status).toBe(201);
    const added = await request.post("/api/add", { data: { x: 1, y: 2 } });
    expect(added.status()).toBe(202);
  });
});
