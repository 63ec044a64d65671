/**
 * The task store through PgBouncer in transaction mode (test/pgbouncer.ts: Debian's pgbouncer, pool_mode =
 * transaction), with fewer server connections (POOL_SIZE) than the clients and the tasks sharing them: two
 * real `celeriac worker` processes (concurrency 8 and 50, in test/app) and this process's producer all reach
 * the database through it, with `pgbouncer=true` in the URL. Named statements — the one session state the
 * store keeps — break there without the flag (shown first); with it, thousands of results, get(), durable
 * transactions (fast path and claimOne), relays claiming stale outbox rows with FOR UPDATE SKIP LOCKED
 * against each other, and chords (their claim transaction) all work. Checks go to the database directly.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { chord, group, States } from "../index.js";
import { FAST_PATH_MS, OutboxStore } from "../transaction/outbox.js";
import type { NewOutboxRow } from "../transaction/outbox-row.js";
import { startRelay } from "../transaction/relay.js";
import { openTaskStore } from "./open.js";
import { startCliWorker, type CliWorker } from "../../test/cli-worker.js";
import { createTestDatabase, dbKind, type TestDatabase } from "../../test/databases.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { findPgbouncer, PGBOUNCER_INSTALL, startPgbouncer, type Pgbouncer } from "../../test/pgbouncer.js";
import { REDIS_URL } from "../../test/redis.js";

/** PgBouncer's server connections for the database (default_pool_size). */
const POOL_SIZE = 3;
const QUEUE = "pgb";
const TASKS = 3000;
const STALE_ROWS = 1000;
const CHORDS = 20;
const MEMBERS = 10;
/** The verification pool's application_name, so that the connection counts leave it out. */
const DIRECT = "celeriac-pgbouncer-test";
const HOSTS = [
  ["celeriac@pgb-c8", 8],
  ["celeriac@pgb-c50", 50],
] as const;

const onPostgres = dbKind() === "postgres";
if (!onPostgres) console.log("[pgbouncer] skipped under CELERIAC_TEST_DB=sqlite: it runs in the PostgreSQL pass (CELERIAC_TEST_DB=postgres)");

/** The producer's side of test/app/tasks/canvas.ts, on QUEUE. */
function defineTasks(app: Harness["app"]) {
  return {
    member: app.task({ name: "canvas.member", queue: QUEUE, args: z.tuple([z.number().int(), z.number().int().min(0).max(10_000)]), run: (_ctx, n) => n }),
    collect: app.task({ name: "canvas.collect", queue: QUEUE, args: z.tuple([z.array(z.number().int())]), run: (_ctx, results) => results }),
  };
}

let database: TestDatabase;
let bouncer: Pgbouncer;
let pooledUrl: string;
let direct: pg.Pool;
let h: Harness;
let t: ReturnType<typeof defineTasks>;
let redis: Redis;
const workers: CliWorker[] = [];
const peak = { servers: 0, backends: 0, clients: 0, waiting: 0 };
let sampling: Promise<void> | undefined;
let stopSampling = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The highest counts seen, every 50 ms: PgBouncer's own (SHOW POOLS) and PostgreSQL's (pg_stat_activity). */
async function sample(name: string): Promise<void> {
  while (!stopSampling) {
    const pool = (await bouncer.show("POOLS")).find((p) => p.database === name);
    if (pool) {
      const n = (k: string) => Number(pool[k] ?? 0);
      peak.servers = Math.max(peak.servers, n("sv_active") + n("sv_idle") + n("sv_used") + n("sv_tested") + n("sv_login"));
      peak.clients = Math.max(peak.clients, n("cl_active") + n("cl_waiting"));
      peak.waiting = Math.max(peak.waiting, n("cl_waiting"));
    }
    const { rows } = await direct.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND application_name <> $2`,
      [name, DIRECT],
    );
    peak.backends = Math.max(peak.backends, rows[0].n);
    await sleep(50);
  }
}

/** test/app/tasks/canvas.ts's run log: runs per task id. */
async function runsById(): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for (const line of await redis.lrange(`{${h.keyPrefix}}:canvas:runs`, 0, -1)) {
    const id = line.split("|")[0]!;
    runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  return runs;
}

const unsent = async (ids: readonly string[]) =>
  (await direct.query(`SELECT count(*)::int AS n FROM "TaskOutbox" WHERE "id" = ANY($1) AND "dispatchedAt" IS NULL`, [ids])).rows[0].n as number;

// PgBouncer pools PostgreSQL connections: nothing to test under SQLite (the skip is said on the console above).
describe.skipIf(!onPostgres)("the store through PgBouncer in transaction mode", () => {
  beforeAll(async () => {
    const binary = findPgbouncer();
    if (!binary) throw new Error(`pgbouncer is not installed (neither /usr/sbin/pgbouncer nor on PATH); this test needs it: ${PGBOUNCER_INSTALL}`);
    database = await createTestDatabase("postgres", "pgbouncer");
    bouncer = await startPgbouncer(binary, { serverUrl: database.url, poolSize: POOL_SIZE });
    const name = new URL(database.url).pathname.slice(1);
    pooledUrl = `${bouncer.url(name)}?pgbouncer=true`;
    direct = new pg.Pool({ connectionString: database.url, max: 2, application_name: DIRECT });
    redis = new Redis(REDIS_URL);
    h = createHarness("pgbouncer", { databaseUrl: pooledUrl });
    t = defineTasks(h.app);
    sampling = sample(name);
    const env = { ...process.env, DATABASE_URL: pooledUrl, CELERIAC_KEY_PREFIX: h.keyPrefix, REDIS_URL, CELERIAC_LOG_LEVEL: "info" };
    workers.push(...(await Promise.all(HOSTS.map(([host, concurrency]) => startCliWorker(host, ["-Q", QUEUE, "-c", String(concurrency)], env)))));
  }, 90_000);

  afterAll(async () => {
    stopSampling = true;
    for (const w of workers) w.child.kill("SIGKILL");
    // Each step whatever the one before did: the servers and the database must go.
    const steps = [() => sampling, () => h?.close(), () => direct?.end(), () => redis?.quit(), () => bouncer?.stop(), () => database?.drop()];
    for (const step of steps) await Promise.resolve(step()).catch((error: unknown) => console.error("[pgbouncer] cleanup:", error));
  });

  it("named statements break there without pgbouncer=true, with a message naming it; unnamed ones with it", async () => {
    const prepared = openTaskStore(pooledUrl.replace("?pgbouncer=true", ""));
    const unnamed = openTaskStore(pooledUrl);
    try {
      // The store's 4 clients take turns on 3 server connections: one of them prepares its find where another did.
      const failed = (await Promise.allSettled(Array.from({ length: 50 }, () => prepared.find(randomUUID())))).flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0]!.message).toMatch(/prepared statement "celeriac_result_find" (already exists|does not exist): .*add pgbouncer=true/);
      const found = await Promise.all(Array.from({ length: 50 }, () => unnamed.find(randomUUID())));
      expect(found).toEqual(found.map(() => null));
    } finally {
      await Promise.all([prepared.close(), unnamed.close()]);
    }
  });

  it(`${TASKS} results from two worker processes (concurrency 8 and 50) over ${POOL_SIZE} server connections, each read back with get()`, { timeout: 60_000 }, async () => {
    const started = Date.now();
    const handles = await Promise.all(Array.from({ length: TASKS }, (_, i) => t.member.delay(i, 0)));
    const values = await Promise.all(handles.map((r) => r.get({ timeout: 50_000 })));
    const ms = Date.now() - started;
    expect(values).toEqual(handles.map((_, i) => i));

    const ids = handles.map((r) => r.id);
    const { rows } = await direct.query(`SELECT "worker", count(*)::int AS n FROM "TaskResult" WHERE "id" = ANY($1) AND "status" = $2 GROUP BY "worker"`, [ids, States.SUCCESS]);
    const byWorker: Record<string, number> = Object.fromEntries(rows.map((r) => [r.worker, r.n]));
    expect(Object.values(byWorker).reduce((a, b) => a + b, 0)).toBe(TASKS);
    expect(Object.keys(byWorker).sort()).toEqual(HOSTS.map(([host]) => host).sort());
    const runs = await runsById();
    expect(ids.filter((id) => runs.get(id) !== 1), "tasks that did not run exactly once").toEqual([]);

    const stats = (await bouncer.show("STATS")).find((s) => s.database === new URL(database.url).pathname.slice(1))!;
    console.log(
      `[pgbouncer] ${TASKS} tasks sent → all get() in ${ms} ms (${Math.round((TASKS / ms) * 1000)} tasks/s) by ${JSON.stringify(byWorker)}; ` +
        `peak: ${peak.clients} clients (${peak.waiting} waiting) on ${peak.servers} server connections (pg_stat_activity: ${peak.backends}); ` +
        `${stats.total_xact_count} transactions, clients waited ${Math.round(Number(stats.total_wait_time) / 1000)} ms in all`,
    );
    // The pooler's limit held from PostgreSQL's side too (nothing went around it), and the clients shared it.
    expect(peak.backends).toBeGreaterThan(0);
    expect(peak.backends).toBeLessThanOrEqual(POOL_SIZE);
    expect(peak.servers).toBeLessThanOrEqual(POOL_SIZE);
    expect(peak.clients).toBeGreaterThan(POOL_SIZE);
    expect(Number(stats.total_wait_time)).toBeGreaterThan(0);
  });

  it("durable transactions commit their rows and outbox rows together; the fast path sends and marks them, a slow commit's after its claim", { timeout: 60_000 }, async () => {
    const sent: Array<{ id: string; itemId: number; n: number }> = [];
    for (let round = 0; round < 10; round++) {
      sent.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            h.app.transaction(
              async (tx) => {
                const n = round * 20 + i;
                const item = await tx.testItem.create({ data: { title: `pgbouncer ${n}` } });
                return { id: t.member.delayOnCommit(n, 0), itemId: item.id, n };
              },
              { durable: true },
            ),
          ),
        )),
      );
    }
    // Older than the fast path's limit when it is sent: it is claimed first (claimOne), as a relay would.
    const slow = await h.app.transaction(
      async () => {
        const id = t.member.delayOnCommit(-1, 0);
        await sleep(FAST_PATH_MS + 300);
        return id;
      },
      { durable: true },
    );
    const values = await Promise.all(sent.map(({ id }) => h.app.AsyncResult.from(id).get({ timeout: 30_000 })));
    expect(values).toEqual(sent.map(({ n }) => n));
    expect(await h.app.AsyncResult.from(slow).get({ timeout: 30_000 })).toBe(-1);
    const ids = [...sent.map(({ id }) => id), slow];
    await expect.poll(() => unsent(ids), { timeout: 10_000, interval: 100 }).toBe(0);

    const claimed = await direct.query(`SELECT "id" FROM "TaskOutbox" WHERE "id" = ANY($1) AND "claimedAt" IS NOT NULL`, [ids]);
    expect(claimed.rows.map((r) => r.id)).toEqual([slow]);
    const items = await direct.query(`SELECT count(*)::int AS n FROM "TestItem" WHERE "id" = ANY($1)`, [sent.map(({ itemId }) => itemId)]);
    expect(items.rows[0].n).toBe(sent.length);
    const runs = await runsById();
    expect(ids.filter((id) => runs.get(id) !== 1), "tasks that did not run exactly once").toEqual([]);
  });

  it(`relays in both worker processes and two here split ${STALE_ROWS} stale outbox rows (FOR UPDATE SKIP LOCKED): each claimed once, sent once`, { timeout: 60_000 }, async () => {
    // Rows as a crash between commit and send leaves them: committed a minute ago, never sent.
    const createdAt = new Date(Date.now() - 60_000);
    const rows: NewOutboxRow[] = Array.from({ length: STALE_ROWS }, (_, i) => ({
      id: randomUUID(),
      name: "canvas.member",
      args: [i, 0],
      queue: QUEUE,
      priority: null,
      runAt: null,
      expires: null,
      createdAt,
      owner: null,
      workflow: null,
    }));
    const ids = rows.map((r) => r.id);
    const logged = workers.map((w) => w.output().length);
    await h.db.$transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += 200) await h.app.outbox.insert(tx, rows.slice(i, i + 200));
    });

    // Two relays here, each on a store (and pool) of its own, claiming small batches back to back, so that
    // their claims are in flight together; the workers' relays claim 100 a second each.
    const claims: Array<{ relay: number; from: number; to: number }> = [];
    const stores = [0, 1].map(() => openTaskStore(pooledUrl));
    try {
      const sentHere = await Promise.all(
        stores.map(async (store, relay) => {
          const outbox = new OutboxStore(store);
          const claimBatch = outbox.claimBatch.bind(outbox);
          outbox.claimBatch = async (now, window) => {
            const from = performance.now();
            const claimed = await claimBatch(now, window);
            claims.push({ relay, from, to: performance.now() });
            return claimed;
          };
          const loop = startRelay({ outbox, broker: h.app.broker, log: h.app.log, graceMs: 0, batchSize: 10 }, { autostart: false });
          let sent = 0;
          while ((await unsent(ids)) > 0) {
            const n = await loop.tick();
            sent += n;
            if (n === 0) await sleep(10);
          }
          return sent;
        }),
      );
      // A worker's relay logs what it sent once its pass is over, which may be after its last row was marked.
      const sentByWorkers = () =>
        workers.map((w, i) => [...w.output().slice(logged[i]).matchAll(/"sent":(\d+)[^\n]*outbox relay sent tasks/g)].reduce((sum, m) => sum + Number(m[1]), 0));
      const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
      await expect.poll(() => sum([...sentHere, ...sentByWorkers()]), { timeout: 5_000, interval: 100 }).toBe(STALE_ROWS);
      const overlapping = claims.filter((a) => a.relay === 0 && claims.some((b) => b.relay === 1 && b.from < a.to && a.from < b.to)).length;
      console.log(`[pgbouncer] ${STALE_ROWS} stale outbox rows sent by relays here ${sentHere.join(" + ")}, in the workers ${sentByWorkers().join(" + ")}; ${overlapping} of ${claims.filter((c) => c.relay === 0).length} claims of one relay here were in flight with the other's`);
      expect(sentHere.every((n) => n > 0)).toBe(true);
      expect(overlapping).toBeGreaterThan(0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const twice = await direct.query(`SELECT count(*)::int AS n FROM "TaskOutbox" WHERE "id" = ANY($1) AND "attempts" <> 1`, [ids]);
    expect(twice.rows[0].n, "rows claimed more than once").toBe(0);
    const values = await Promise.all(ids.map((id) => h.app.AsyncResult.from(id).get({ timeout: 30_000 })));
    expect(values).toEqual(rows.map((r) => (r.args as number[])[0]));
    const runs = await runsById();
    expect(ids.filter((id) => runs.get(id) !== 1), "tasks that did not run exactly once").toEqual([]);
  });

  it(`${CHORDS} chords of ${MEMBERS} members: each callback fires once (its claim is one transaction) with its members' results`, { timeout: 60_000 }, async () => {
    const handles = await Promise.all(
      Array.from({ length: CHORDS }, (_, c) => chord(group(...Array.from({ length: MEMBERS }, (_, i) => t.member.s(c * 100 + i, 0))), t.collect.s()).delay()),
    );
    const values = await Promise.all(handles.map((r) => r.get({ timeout: 30_000 })));
    expect(values).toEqual(handles.map((_, c) => Array.from({ length: MEMBERS }, (_, i) => c * 100 + i)));
    const fired = await direct.query(`SELECT count(*)::int AS n FROM "TaskGroup" WHERE "callbackId" = ANY($1) AND "firedAt" IS NOT NULL`, [handles.map((r) => r.id)]);
    expect(fired.rows[0].n).toBe(CHORDS);
    const runs = await runsById();
    expect(handles.map((r) => runs.get(r.id)), "runs of each callback").toEqual(handles.map(() => 1));
  });

  it("the workers logged no failed write, no prepared statement and no pool error", () => {
    for (const w of workers) expect(w.output()).not.toMatch(/could not write|prepared statement|outbox relay pass failed|"level":(40|50)/);
  });
});
