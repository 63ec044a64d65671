/**
 * What `next start` answers before Next itself (lib/server-boot.ts, run by instrumentation.ts), against
 * the production build:
 *
 * - the body limit, on raw sockets to the run's server: a huge Content-Length with a few bytes sent, and a
 *   chunked upload past the limit, are a prompt 413 and a closed connection (Next alone read the whole
 *   upload before any route ran: the first got no answer at all); a body within the limit, chunked too,
 *   still reaches its route;
 * - a database nobody migrated, on a server of its own: every page and route is a 503 naming
 *   `npm run db:deploy` (pages were a 500), logged once; after `npm run db:deploy`, the pages work,
 *   without a restart.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { freePort } from "../test/chaos/helpers";
import { chunked, exchange, oneChunk, parseAnswer, requestHead } from "../test/raw-http";
import { PORT } from "./origin";

// PORT: the run's server (playwright.config.ts).
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

test.describe("a database nobody migrated", () => {
  let server: ChildProcess | undefined;
  const file = join(tmpdir(), `celeriac-e2e-unmigrated-${process.pid}-${randomBytes(3).toString("hex")}.db`);
  test.afterAll(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((resolve) => server!.once("exit", resolve));
      server.kill("SIGTERM");
      await gone;
    }
    for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  });

  test("every page and route is a 503 naming the fix until npm run db:deploy has run, then pages work, without a restart", async () => {
    test.setTimeout(90_000);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: `file:${file}`,
      SECRET_KEY: randomBytes(32).toString("base64url"),
      CELERIAC_KEY_PREFIX: `e2e-unmigrated-${randomBytes(3).toString("hex")}`,
      CELERIAC_LOG_FORMAT: "json",
      APP_URL: origin,
    };
    server = spawn("node_modules/.bin/next", ["start", "-p", String(port), "-H", "127.0.0.1"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    server.stdout!.on("data", (chunk) => (output += chunk));
    server.stderr!.on("data", (chunk) => (output += chunk));
    await expect.poll(() => fetch(`${origin}/`).then((r) => r.status, () => 0), { timeout: 30_000 }).not.toBe(0);

    for (const path of ["/", "/articles", "/login", "/admin/periodic-tasks"]) {
      const page = await fetch(`${origin}${path}`);
      expect(page.status, path).toBe(503);
      expect(page.headers.get("retry-after"), path).toBe("5");
      const text = await page.text();
      expect(text, path).toBe("the database is not migrated for this version of the app: run npm run db:deploy (the server's log says what is missing)\n");
    }
    const api = await fetch(`${origin}/api/articles`);
    expect(api.status).toBe(503);
    expect((await api.json()).error).toContain("run npm run db:deploy");
    // The server's log has the full message, once.
    const logged = output.split("\n").filter((line) => line.includes("is not migrated"));
    expect(logged, output).toHaveLength(1);
    expect(JSON.parse(logged[0]).msg).toMatch(new RegExp(`^the database at file:${file.replace(/[.]/g, "\\.")} is not migrated \\(missing: TaskResult, .*\\): run npm run db:deploy; every request is answered 503 until then`));

    execFileSync("node_modules/.bin/prisma", ["migrate", "deploy"], { env: { ...env, CHECKPOINT_DISABLE: "1" }, stdio: ["ignore", "ignore", "inherit"] });
    await expect.poll(() => fetch(`${origin}/articles`).then((r) => r.status), { timeout: 15_000, intervals: [250] }).toBe(200);
    expect(server.exitCode).toBeNull();
    expect((await fetch(`${origin}/api/articles`)).status).toBe(200);
    expect(output).toContain("the database is migrated now: serving requests again");
    expect(output).not.toMatch(/PrismaClient|P2021|does not exist in the current database/);
  });
});
