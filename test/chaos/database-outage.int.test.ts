/**
 * Chaos: the result database is unavailable for ~5 s while a real worker process is writing results.
 * PostgreSQL: the database refuses connections and every open one is terminated. SQLite: another
 * connection holds an exclusive write lock. Afterwards every task must be SUCCESS (the worker retries its
 * result writes), and the same worker process must still be serving.
 *
 * The outage would break every other test file running at the same time on the run's database, so this
 * file makes a database of its own, of the kind the run uses (`inject("databaseUrl")`), and drops it.
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createCeleriac, type Celeriac } from "celeriac";
import { createDb, isPostgresUrl, type Db } from "@/lib/db";
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "@/test/databases";
import { deleteKeys, REDIS_URL, uniquePrefix } from "@/test/redis";
import { sleep, startChaosWorker, waitFor, type ChaosWorker } from "./helpers";

const kind = isPostgresUrl(inject("databaseUrl")) ? "postgres" : "sqlite";
const TASKS = 400;
const WORKER = "celeriac@chaos-db";
/** PostgreSQL refuses connections this long; SQLite's lock is held a little past better-sqlite3's 5 s busy timeout, so writes do fail. */
const OUTAGE_MS = kind === "postgres" ? 5000 : 5500;

let database: TestDatabase | undefined;
let db: Db | undefined;
let app: Celeriac<Db> | undefined;
let worker: ChaosWorker | undefined;
const keyPrefix = uniquePrefix("chaos-db");
const queue = `outage-${randomBytes(3).toString("hex")}`;
let outage: { end(): Promise<void> } | undefined;

const defineRecord = (a: Celeriac<Db>) => a.task({ name: "chaos.record", args: z.tuple([z.number()]), run: (_ctx, n) => n });
let record: ReturnType<typeof defineRecord>;

beforeAll(async () => {
  database = await createTestDatabase(kind, "chaos_outage");
  db = createDb(database.url);
  app = createCeleriac({ prisma: db, databaseUrl: database.url, redisUrl: REDIS_URL, keyPrefix, logLevel: "silent", resultPollIntervalMs: 100 });
  record = defineRecord(app);
}, 60_000);

afterAll(async () => {
  await outage?.end().catch(() => undefined);
  await worker?.kill("SIGKILL");
  await app?.close();
  await deleteKeys(keyPrefix);
  await db?.$disconnect().catch(() => undefined);
  await database?.drop();
}, 60_000);

/** Makes the database unavailable until `end()`. */
/** The outage's end runs once, whether the test body or its cleanup calls it first. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

async function startOutage(url: string): Promise<{ end(): Promise<void> }> {
  if (kind === "postgres") {
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
    const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
    console.log(`[chaos db] postgres: ${name} refuses connections; terminated ${rowCount} backends`);
    return {
      end: once(async () => {
        try {
          await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
        } finally {
          await admin.end();
        }
      }),
    };
  }
  const file = url.slice("file:".length).split("?")[0];
  const locker = new Database(file);
  locker.exec("BEGIN EXCLUSIVE");
  console.log(`[chaos db] sqlite: exclusive write lock held on ${file}`);
  return {
    end: once(async () => {
      try {
        locker.exec("COMMIT");
      } finally {
        locker.close();
      }
    }),
  };
}

describe(`the ${kind} result database unavailable for ~5 s while results are written`, () => {
  it(
    "every result is written afterwards, nothing is lost, and the worker keeps serving",
    async () => {
      worker = await startChaosWorker({
        databaseUrl: database!.url,
        keyPrefix,
        redisUrl: REDIS_URL,
        queues: [queue],
        concurrency: 4,
        taskMs: 20,
        // The default lock (30 s): this test is about the database, not about lock expiry.
        lockMs: 30_000,
        hostname: WORKER,
      });
      const handles = [];
      for (let n = 0; n < TASKS; n += 100) handles.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => record.applyAsync([n + i], { queue })))));
      const ids = handles.map((r) => r.id);
      const successes = () => db!.taskResult.count({ where: { queue, status: "SUCCESS" } });

      await waitFor(async () => (await successes()) >= 40, "40 results before the outage", 20_000, 20);
      const before = await successes();
      const startedAt = Date.now();
      outage = await startOutage(database!.url);
      await sleep(OUTAGE_MS);
      await outage.end();
      const outageMs = Date.now() - startedAt;
      const afterOutage = await waitFor(async () => (await successes()) >= before + 1, "a result written after the outage", 30_000, 50).catch(() => -1);

      const finishedAfterMs = await waitFor(async () => (await successes()) === TASKS, `all ${TASKS} tasks SUCCESS`, 60_000, 200).catch(() => -1);
      const rows = await db!.taskResult.findMany({ where: { id: { in: ids } }, select: { id: true, status: true } });
      const notSuccess = ids.filter((id) => rows.find((r) => r.id === id)?.status !== "SUCCESS");
      const lines = worker.output().split("\n");
      const retried = lines.filter((l) => l.includes("; retrying"));
      const blocked = lines.filter((l) => l.includes("event loop blocked")).map((l) => JSON.parse(l).ms as number);
      console.log(
        `[chaos db] ${kind}: outage ${outageMs} ms after ${before} of ${TASKS} results; first result after it in ${afterOutage} ms; ` +
          `all SUCCESS ${finishedAfterMs} ms later; not SUCCESS: ${notSuccess.length}; ` +
          `${retried.length} result writes retried by the worker (${[...new Set(retried.map((l) => JSON.parse(l).msg))].join(", ")}); ` +
          `worker event loop blocked: ${blocked.length ? blocked.join(", ") + " ms" : "never over 1 s"}; worker alive: ${worker.alive}`,
      );
      if (retried.length) console.log(`[chaos db] first retry log line: ${retried[0].slice(0, 600)}`);

      expect(worker.alive, `the worker exited:\n${worker.output().slice(-3000)}`).toBe(true);
      expect(notSuccess, "tasks not SUCCESS after the outage").toEqual([]);
      expect(retried.length, "no result write failed: the outage did not reach the worker").toBeGreaterThan(0);

      // The same process serves a task sent now.
      const after = await record.applyAsync([-1], { queue });
      expect(await after.get({ timeout: 15_000 })).toBe(-1);
      expect((await after.info())!.worker).toBe(WORKER);
    },
    110_000,
  );
});
