/**
 * A schema that goes missing while a worker and beat run (a table dropped, an old dump restored): each
 * process logs the one "not migrated … run npm run db:deploy" message once per interval (set to 1.5 s
 * here; a minute by default), not once per task, per result-write retry, per relay pass or per beat turn;
 * and nothing is lost: the task sent meanwhile is held until its row can be written, then SUCCESS.
 *
 * The real worker and beat mains (runWorker, runBeat) run on test/fixtures/schema-app.ts, on a scratch
 * database of the run's kind (the tables are taken away, which other test files must not see). A table is
 * "dropped" by renaming it away and "restored" by renaming it back: PostgreSQL re-plans its prepared
 * statements by name after the rename, so every statement meets "relation does not exist" as after a DROP.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createCeleriac, type Celeriac } from "celeriac";
import { createDb, isPostgresUrl, type Db } from "@/lib/db";
import { sleep, waitFor } from "@/test/chaos/helpers";
import { createTestDatabase, type TestDatabase } from "@/test/databases";
import { startProcess, type TestProcess } from "@/test/processes";
import { escapeRegExp as escape } from "@/test/regexp";
import { deleteKeys, REDIS_URL, uniquePrefix } from "@/test/redis";

const kind = isPostgresUrl(inject("databaseUrl")) ? "postgres" : "sqlite";
const INTERVAL_MS = 1500;
const GONE_MS = 6500;
const TABLES = ["TaskResult", "TaskOutbox", "PeriodicTask"];

type Proc = TestProcess;

function start(role: "worker" | "beat", env: Record<string, string>): Proc {
  return startProcess(["test/fixtures/schema-process.ts", role, ...(role === "worker" ? ["-c", "2"] : [])], env);
}

let database: TestDatabase;
let db: Db;
let app: Celeriac<Db>;
const keyPrefix = uniquePrefix("schema-lost");
const procs: Proc[] = [];

beforeAll(async () => {
  database = await createTestDatabase(kind, "schema_lost");
  db = createDb(database.url);
  app = createCeleriac({ prisma: db, databaseUrl: database.url, redisUrl: REDIS_URL, keyPrefix, logLevel: "silent", resultPollIntervalMs: 100 });
}, 60_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await app?.close();
  await db?.$disconnect();
  await deleteKeys(keyPrefix);
  await database?.drop();
}, 60_000);

/** Renames every table in one transaction: the worker and beat see all of them gone, or all back, never some. */
const renameAll = async (name: (table: string) => [string, string]) =>
  void (await db.$transaction(TABLES.map((table) => name(table)).map(([from, to]) => db.$executeRawUnsafe(`ALTER TABLE "${from}" RENAME TO "${to}"`))));

describe(`tables that go missing under a running worker and beat (${kind})`, () => {
  it("are logged once per interval with the fix, never per task or pass, and the task sent meanwhile is held, then recorded SUCCESS", async () => {
    const env = { DATABASE_URL: database.url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix, SCHEMA_REPORT_INTERVAL_MS: String(INTERVAL_MS) };
    const worker = start("worker", env);
    const beat = start("beat", env);
    procs.push(worker, beat);
    await waitFor(() => /ready\./.test(worker.output()) && /ready\./.test(beat.output()), "the worker's and beat's ready lines", 30_000);
    // Beat sends schema.echo every second and the worker runs it: both are busy with the database.
    await waitFor(async () => (await db.taskResult.count({ where: { name: "schema.echo", status: "SUCCESS" } })) >= 2, "two periodic runs recorded", 20_000);

    const echo = app.task({ name: "schema.echo", args: z.tuple([z.number()]), run: (_ctx, n) => n });
    const goneAt = Date.now();
    await renameAll((table) => [table, `${table}_gone`]);
    const held = await echo.delay(42);
    await sleep(GONE_MS);
    await renameAll((table) => [`${table}_gone`, table]);
    const backAt = Date.now();

    expect(await held.get({ timeout: 20_000 })).toBe(42);
    const message = new RegExp(`^the database at ${escape(database.url)} is not migrated \\(missing: TaskResult, TaskOutbox, PeriodicTask\\): run npm run db:deploy$`);
    for (const proc of [worker, beat]) {
      const during = proc.lines().filter((l) => l.at >= goneAt && l.at <= backAt + 500);
      const reports = during.filter((l) => message.test(l.msg));
      // One at the first failure, then at most one per interval: ~5 in 6.5 s, whatever the number of failures.
      expect(reports.length, proc.output()).toBeGreaterThanOrEqual(2);
      expect(reports.length, proc.output()).toBeLessThanOrEqual(Math.ceil(GONE_MS / INTERVAL_MS) + 1);
      for (let i = 1; i < reports.length; i++) expect(reports[i].at - reports[i - 1].at).toBeGreaterThan(INTERVAL_MS - 300);
      // Nothing else complained meanwhile: no per-retry, per-pass or per-turn lines, no stacks.
      expect(during.filter((l) => l.level >= 40 && !message.test(l.msg)).map((l) => l.msg)).toEqual([]);
      expect(proc.output()).not.toMatch(/^\s+at /m);
    }
    // Beat goes on sending once its table is back.
    const before = await db.taskResult.count({ where: { name: "schema.echo" } });
    await waitFor(async () => (await db.taskResult.count({ where: { name: "schema.echo" } })) > before, "a periodic run after the tables came back", 15_000);

    worker.child.kill("SIGTERM");
    beat.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(await beat.exited).toBe(0);
  }, 90_000);
});

