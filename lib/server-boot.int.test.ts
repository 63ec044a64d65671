/**
 * The web server on a database nobody migrated (a fresh DATABASE_URL, a deploy that skipped db:deploy), on
 * the run's kind of database: lib/server-boot.ts's hook, installed as instrumentation.ts installs it, with
 * the app's own celeriac (lib/celery.ts) checking a scratch database, in front of a handler that reads the
 * database as a page does. Every request is a 503 naming the fix, pages included, and not the database;
 * the server's log has the full message, once; once the database is migrated, requests are served again
 * without a restart.
 */
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isPostgresUrl } from "celeriac";
import { createTestDatabase, type TestDatabase } from "@/test/databases";
import { deleteKeys, uniquePrefix } from "@/test/redis";

const kind = isPostgresUrl(inject("databaseUrl")) ? "postgres" : "sqlite";
const scratch: TestDatabase = await createTestDatabase(kind, "webgate", { migrate: false });
const keyPrefix = uniquePrefix("web-gate");
// Before lib/env is first imported: the app's database is the scratch one.
Object.assign(process.env, { DATABASE_URL: scratch.url, CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_LOG_LEVEL: "silent" });
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { refuseWhatNextCannotTake, watchSchema } = await import("@/lib/server-boot");
const { NOT_MIGRATED_MESSAGE } = await import("@/lib/schema-gate");

const RECHECK_MS = 300;
const logged: string[] = [];
const log = { error: (m: string) => logged.push(`error ${m}`), warn: (m: string) => logged.push(`warn ${m}`), info: (m: string) => logged.push(`info ${m}`) };
const gate = watchSchema(celeriac.schema, log, { recheckMs: RECHECK_MS });

let server: Server;
let origin: string;
let pagesRendered = 0;

beforeAll(async () => {
  refuseWhatNextCannotTake();
  await gate.check();
  // What a page does: it reads the database (here celeriac's periodic tasks, as the admin's page does).
  server = createServer(async (_req, res) => {
    try {
      const count = await db.periodicTask.count();
      pagesRendered += 1;
      res.end(`periodic tasks: ${count}\n`);
    } catch {
      res.statusCode = 500;
      res.end("internal error\n");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  gate.stop();
  await new Promise((resolve) => server?.close(resolve));
  await celeriac.close();
  await db.$disconnect();
  await deleteKeys(keyPrefix);
  await scratch.drop();
});

describe("a database that is not migrated", () => {
  it("is a 503 for every request, pages and API alike, naming the fix and nothing of the database", async () => {
    const page = await fetch(`${origin}/admin/periodic-tasks`);
    expect(page.status).toBe(503);
    expect(page.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(page.headers.get("retry-after")).toBe("1");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const text = await page.text();
    expect(text).toBe(`${NOT_MIGRATED_MESSAGE}\n`);
    expect(text).toContain("run npm run db:deploy");

    const api = await fetch(`${origin}/api/articles`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"title":"t","body":"b"}' });
    expect([api.status, await api.json()]).toEqual([503, { error: NOT_MIGRATED_MESSAGE }]);
    for (const detail of [new URL(scratch.url).pathname.split("/").pop()!, "TaskResult", "migrations"]) expect(text).not.toContain(detail);
    expect(pagesRendered).toBe(0);
  });

  it("is logged with the full message, the database named without its password, once however often it is checked", async () => {
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS * 3));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^error the database at \S+ is not migrated \(missing: TaskResult, TaskOutbox, PeriodicTask.* not applied\): run npm run db:deploy; every request is answered 503 until then \(checked again every 0.3 s\)$/);
    expect(logged[0]).toContain(new URL(scratch.url).pathname.split("/").pop()!);
  });

  it("is served again once migrated, without a restart", async () => {
    execFileSync("node_modules/.bin/prisma", ["migrate", "deploy"], { env: { ...process.env, DATABASE_URL: scratch.url, CHECKPOINT_DISABLE: "1" }, stdio: ["ignore", "ignore", "inherit"] });
    const migratedAt = Date.now();
    await expect.poll(async () => (await fetch(`${origin}/admin/periodic-tasks`)).status, { timeout: 5000, interval: 50 }).toBe(200);
    expect(Date.now() - migratedAt).toBeLessThan(RECHECK_MS + 1500);
    expect(await (await fetch(`${origin}/admin/periodic-tasks`)).text()).toBe("periodic tasks: 0\n");
    expect(pagesRendered).toBeGreaterThan(0);
    expect(logged.at(-1)).toBe("info the database is migrated now: serving requests again");
  });
});
