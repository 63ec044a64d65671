/**
 * A wrong environment is one clear message, not a loop (issue 11), through the real processes users run
 * (`npm run worker`, `npm run beat`, `npm run celeriac -- …`: worker.ts, beat.ts, celeriac.ts in node with
 * tsx's loader), on the run's kind of database:
 *
 * - a fresh database nobody migrated: each command exits 78 (EX_CONFIG) with one line naming what is
 *   missing and `npm run db:deploy`, the URL without its password, no stack, and never says "ready"; a bad
 *   setting is one message and 78 as well;
 * - no Redis at start: the worker and beat say "waiting for Redis at …" once per 2 s (password hidden, no
 *   stack), then start as usual when a redis-server comes up on that port, and the worker runs a task;
 * - PostgreSQL unreachable at start: the same wait, until a proxy opens the port; the CLI, run once by hand,
 *   says so in one line and exits 78 instead.
 *
 * Beat syncs the settings' schedule into the whole PeriodicTask table, so these processes run on scratch
 * databases of their own, never the run's shared one.
 */
import { createServer, connect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createCeleriac } from "celeriac";
import { createDb, isPostgresUrl } from "@/lib/db";
import { freePort, redisServer, waitFor, type RedisServer } from "@/test/chaos/helpers";
import { createTestDatabase, type TestDatabase } from "@/test/databases";
import { startProcess, type TestProcess } from "@/test/processes";
import { escapeRegExp as escape } from "@/test/regexp";
import { deleteKeys, REDIS_URL, uniquePrefix } from "@/test/redis";

const kind = isPostgresUrl(inject("databaseUrl")) ? "postgres" : "sqlite";
const PASSWORD = "s3cret-pw";
const STACK_LINE = /^\s+at /m;

type Proc = TestProcess;

const running: Proc[] = [];

function run(args: string[], env: Record<string, string>): Proc {
  const proc = startProcess(args, { CELERIAC_LOG_LEVEL: "info", CELERIAC_LOG_FORMAT: "json", ...env });
  running.push(proc);
  return proc;
}

/** The URL with a password (PostgreSQL's trust authentication ignores it), and how messages must show it. */
function withPassword(url: string): { url: string; shown: string } {
  if (kind === "sqlite") return { url, shown: url };
  const u = new URL(url);
  u.password = PASSWORD;
  return { url: u.toString(), shown: u.toString().replace(PASSWORD, "****") };
}

let unmigrated: TestDatabase;
let migrated: TestDatabase;
const keyPrefix = uniquePrefix("wrong-env");

beforeAll(async () => {
  [unmigrated, migrated] = await Promise.all([createTestDatabase(kind, "wrongenv_empty", { migrate: false }), createTestDatabase(kind, "wrongenv")]);
}, 60_000);

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(running.map((p) => p.exited));
  await deleteKeys(keyPrefix);
  await Promise.all([unmigrated?.drop(), migrated?.drop()]);
}, 60_000);

describe(`a ${kind} database that is not migrated`, () => {
  const commands = [
    ["npm run worker", ["worker.ts", "-c", "1"], "celeriac worker: "],
    ["npm run beat", ["beat.ts"], "celeriac beat: "],
    ["npm run celeriac -- inspect beat", ["celeriac.ts", "inspect", "beat"], "Error: "],
    ["npm run celeriac -- staff", ["celeriac.ts", "staff", "someone@example.com"], "Error: "],
  ] as const;

  it.each(commands)("%s exits 78 with one line: what is missing and npm run db:deploy, password hidden, no stack", async (_name, args, prefix) => {
    const { url, shown } = withPassword(unmigrated.url);
    const proc = run([...args], { DATABASE_URL: url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
    expect(await proc.exited).toBe(78);
    const out = proc.output();
    expect(out.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^${escape(prefix)}the database at ${escape(shown)} is not migrated \\(missing: TaskResult, TaskOutbox, PeriodicTask, .*\\): run npm run db:deploy$`))]);
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toMatch(STACK_LINE);
    expect(out).not.toMatch(/ready/);
  });
});

describe("a setting that cannot work", () => {
  it("a time zone createCeleriac() refuses is one message and exit 78 too, for the worker and beat", async () => {
    for (const args of [["worker.ts"], ["beat.ts"]]) {
      const proc = run(args, { DATABASE_URL: migrated.url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_TIMEZONE: "Mars/Olympus_Mons" });
      expect(await proc.exited).toBe(78);
      expect(proc.output()).toMatch(/^celeriac (worker|beat): invalid celeriac settings:\n {2}timezone: an IANA time zone, .*\n$/);
    }
  });

  it("a SQLite file in a directory that does not exist is one line and exit 78, for the worker and staff", async () => {
    for (const [args, prefix] of [[["worker.ts"], "celeriac worker"], [["celeriac.ts", "staff", "someone@example.com"], "celeriac"]] as const) {
      const proc = run([...args], { DATABASE_URL: "file:/nonexistent-celeriac-dir/app.db", REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
      expect(await proc.exited).toBe(78);
      expect(proc.output()).toBe(`${prefix}: could not use the database at file:/nonexistent-celeriac-dir/app.db: Cannot open database because the directory does not exist\n`);
    }
  });

  it("npm run celeriac -- staff in production without SECRET_KEY is the environment's message and exit 78, no stack", async () => {
    const proc = run(["celeriac.ts", "staff", "someone@example.com"], { NODE_ENV: "production", SECRET_KEY: "", DATABASE_URL: migrated.url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toMatch(/^celeriac: invalid environment:\n {2}SECRET_KEY: SECRET_KEY is not set: production needs a random one of 32\+ characters\. .*\n$/);
  });
});

describe("Redis absent at start", () => {
  let redis: RedisServer | undefined;
  afterAll(() => redis?.destroy());

  it("the worker and beat wait, saying so once per 2 s with the URL redacted, then start when Redis comes; the worker runs a task", async () => {
    const port = await freePort();
    redis = redisServer(port, { password: PASSWORD });
    const env = { DATABASE_URL: migrated.url, REDIS_URL: redis.url, CELERIAC_KEY_PREFIX: keyPrefix };
    const worker = run(["worker.ts", "-c", "1"], env);
    const beat = run(["beat.ts"], env);
    const waiting = `waiting for Redis at redis://:****@127.0.0.1:${port} (ECONNREFUSED); retrying every 2 s`;
    const waits = (p: Proc) => p.lines().filter((m) => m.msg === waiting);
    await waitFor(() => waits(worker).length >= 3 && waits(beat).length >= 2, "three 'waiting for Redis' lines from the worker, two from beat", 20_000);
    for (const p of [worker, beat]) {
      const at = waits(p).map((m) => m.at);
      // Once per attempt, 2 s apart (give or take a slow read of the pipe), not a burst.
      for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThan(1200);
      expect(p.output()).not.toContain(PASSWORD);
      expect(p.output()).not.toMatch(STACK_LINE);
      expect(p.output()).not.toMatch(/Unhandled error event|ready\./);
    }
    await redis.start();
    await waitFor(() => /celeriac@\S+ ready\./.test(worker.output()) && /beat \S+ ready\./.test(beat.output()), "the worker's and beat's ready lines", 20_000);

    const db = createDb(migrated.url);
    const app = createCeleriac({ prisma: db, databaseUrl: migrated.url, redisUrl: redis.url, keyPrefix, logLevel: "silent", resultPollIntervalMs: 100 });
    const add = app.task({ name: "demo.add", args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y });
    try {
      expect(await (await add.delay(20, 22)).get({ timeout: 15_000 })).toBe(42);
    } finally {
      await app.close();
      await db.$disconnect();
    }
    worker.child.kill("SIGTERM");
    beat.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(await beat.exited).toBe(0);
    expect(worker.output()).not.toMatch(STACK_LINE);
  }, 60_000);
});

// PostgreSQL only: a SQLite database is a local file, there is no server to be unreachable.
describe.runIf(kind === "postgres")("PostgreSQL unreachable at start", () => {
  it.each([
    ["npm run celeriac -- staff", ["celeriac.ts", "staff", "someone@example.com"]],
    ["npm run celeriac -- inspect beat", ["celeriac.ts", "inspect", "beat"]],
  ])("%s does not wait: one line naming the database, password hidden, exit 78", async (_name, args) => {
    const port = await freePort();
    const { url, shown } = withPassword(migrated.url.replace(`:${new URL(migrated.url).port || 5432}/`, `:${port}/`));
    const proc = run(args, { DATABASE_URL: url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toBe(`Error: could not reach the database at ${shown} (ECONNREFUSED): is it running, and is DATABASE_URL right?\n`);
  });

  let proxy: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve())));

  it("the worker waits, saying so once per 2 s with the password hidden, and starts once the database answers", async () => {
    const port = await freePort();
    const real = new URL(migrated.url);
    const { url, shown } = withPassword(migrated.url.replace(`:${real.port || 5432}/`, `:${port}/`));
    const worker = run(["worker.ts", "-c", "1"], { DATABASE_URL: url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
    const waiting = `waiting for the database at ${shown} (ECONNREFUSED); retrying every 2 s`;
    await waitFor(() => worker.lines().filter((m) => m.msg === waiting).length >= 2, "two 'waiting for the database' lines", 20_000);
    expect(worker.output()).not.toMatch(/ready\./);
    expect(worker.output()).not.toContain(PASSWORD);
    // The database "comes up": a TCP proxy on the port the worker was given, to the real server.
    proxy = createServer((socket) => {
      const upstream = connect(Number(real.port || 5432), real.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy!.listen(port, "127.0.0.1", resolve));
    await waitFor(() => /celeriac@\S+ ready\./.test(worker.output()), "the worker's ready line", 20_000);
    expect(worker.output()).not.toMatch(STACK_LINE);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  }, 60_000);
});

