/**
 * The schema check (schema-check.ts, schema-monitor.ts) on real databases of the run's kind: an empty one
 * (a fresh DATABASE_URL before anyone migrated it), a migrated one changed the ways a deploy goes wrong
 * (a column gone, a migration from a newer build, one that failed), and what callers see: AsyncResult's
 * reads and a durable transaction throw SchemaNotReadyError with the fix, and a missing schema is logged
 * once per interval however often it fails.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { SchemaNotReadyError } from "../index.js";
import { capturingLogger } from "../../test/beat-support.js";
import { createTestDatabase, dbKind, packageMigrations, TEST_POSTGRES_URL, type TestDatabase } from "../../test/databases.js";
import { createDb, type Db } from "../../test/db.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { escapeRegExp as escape } from "../../test/regexp.js";
import { CELERIAC_TABLES } from "../app.js";
import { openTaskStore } from "../store/open.js";
import { SchemaMonitor } from "./schema-monitor.js";

const kind = dbKind();

/** The URL with a password in it (PostgreSQL's trust authentication ignores it): messages must not show it. */
function withPassword(url: string): string {
  if (kind === "sqlite") return url;
  const u = new URL(url);
  u.password = "s3cret-pw";
  return u.toString();
}
const shown = (url: string) => (kind === "sqlite" ? url : url.replace("s3cret-pw", "****"));

let empty: TestDatabase;
let migrated: TestDatabase;
const opened: Array<{ close(): Promise<unknown> }> = [];

function monitorOf(url: string, extra: { migrations?: () => readonly string[] | undefined; reportIntervalMs?: number } = {}) {
  const store = openTaskStore(url);
  opened.push(store);
  const { log, lines } = capturingLogger();
  const monitor = new SchemaMonitor({ store, where: shown(url), tables: CELERIAC_TABLES, migrations: shipped, log, ...extra });
  return { store, monitor, lines };
}

/** A Prisma client for the statements a test makes itself (a column renamed, a migration recorded, a role). */
function adminOf(url: string): Db {
  const db = createDb(url);
  opened.push({ close: () => db.$disconnect() });
  return db;
}

function appOn(url: string, migrateCommand?: string): Harness {
  const h = createHarness("schema", { databaseUrl: url, migrations: shipped, migrateCommand });
  opened.push(h);
  return h;
}

beforeAll(async () => {
  [empty, migrated] = await Promise.all([createTestDatabase(kind, "schema_empty", { migrate: false }), createTestDatabase(kind, "schema_migrated")]);
}, 60_000);

afterAll(async () => {
  for (const c of opened.reverse()) await c.close().catch(() => undefined);
  await Promise.all([empty?.drop(), migrated?.drop()]);
});

/** The migrations "this build ships": what `prisma migrate deploy` applied to the migrated database. */
let shippedNames: string[];
const shipped = () => shippedNames;

beforeAll(async () => {
  const db = createDb(migrated.url);
  try {
    shippedNames = (await db.$queryRawUnsafe<Array<{ name: string }>>(`SELECT "migration_name" AS "name" FROM "_prisma_migrations" ORDER BY "migration_name"`)).map((r) => r.name);
  } finally {
    await db.$disconnect();
  }
  expect(shippedNames).toEqual(packageMigrations(kind)); // the package's migration set, deployed by Prisma
});

describe(`the schema check on ${kind}`, () => {
  it("an empty database: every celeriac table and every migration missing, one message naming them and Prisma's migrate command, password hidden", async () => {
    const url = withPassword(empty.url);
    const { monitor } = monitorOf(url);
    const status = await monitor.check();
    expect(status.missing).toEqual(["TaskResult", "TaskOutbox", "PeriodicTask", "IntervalSchedule", "CrontabSchedule", "ClockedSchedule", "AuditLog", "TaskGroup"]);
    expect(status.pending).toEqual(shipped());
    const error = await rejection(monitor.assertReady());
    expect(error).toBeInstanceOf(SchemaNotReadyError);
    const message = error.message;
    expect(message).toMatch(new RegExp(`^the database at ${escape(shown(url))} is not migrated \\(missing: TaskResult, TaskOutbox, PeriodicTask, IntervalSchedule, CrontabSchedule, ClockedSchedule, AuditLog, TaskGroup, ${shipped().length} migrations \\(${shipped()[0]} … ${shipped().at(-1)}\\) not applied\\): run npx prisma migrate deploy$`));
    expect(message).not.toContain("s3cret-pw");
    // A longer history (an app's own migrations with the package's) is named by its first and last.
    const longer = monitorOf(url, { migrations: () => [...shipped(), "29990101000000_b", "29990101000001_c"] }).monitor;
    expect((await rejection(longer.assertReady())).message).toContain(`, ${shipped().length + 2} migrations (${shipped()[0]} … 29990101000001_c) not applied): run npx prisma migrate deploy`);
  });

  it("a migrated database is ready", async () => {
    const { monitor } = monitorOf(migrated.url);
    expect(await monitor.assertReady()).toEqual({ missing: [], pending: [], failed: [], unknown: [] });
  });

  it("a column gone (a dump from before it) is named Table.column", async () => {
    const { monitor } = monitorOf(migrated.url);
    const admin = adminOf(migrated.url);
    await admin.$executeRawUnsafe(`ALTER TABLE "TaskResult" RENAME COLUMN "runtimeMs" TO "runtimeMsOld"`);
    try {
      const error = await rejection(monitor.assertReady());
      expect(error.message).toBe(`the database at ${migrated.url} is not migrated (missing: TaskResult.runtimeMs): run npx prisma migrate deploy`);
    } finally {
      await admin.$executeRawUnsafe(`ALTER TABLE "TaskResult" RENAME COLUMN "runtimeMsOld" TO "runtimeMs"`);
    }
  });

  it("a shipped migration not in the history is pending; one that failed says so", async () => {
    const { monitor } = monitorOf(migrated.url, { migrations: () => [...shipped(), "29990101000000_next"] });
    const admin = adminOf(migrated.url);
    expect(await rejection(monitor.assertReady())).toHaveProperty("message", `the database at ${migrated.url} is not migrated (missing: migration 29990101000000_next not applied): run npx prisma migrate deploy`);
    await insertMigration(admin, "29990101000000_next", { finished: false });
    try {
      const status = await monitor.check();
      expect(status).toMatchObject({ pending: [], failed: ["29990101000000_next"] });
      expect((await rejection(monitor.assertReady())).message).toContain("migration 29990101000000_next failed (see npx prisma migrate status)");
    } finally {
      await admin.$executeRawUnsafe(`DELETE FROM "_prisma_migrations" WHERE "migration_name" = '29990101000000_next'`);
    }
  });

  it("a database newer than the build: a warning while nothing it needs is gone, refused with 'deploy the build that matches' once something is", async () => {
    const { monitor } = monitorOf(migrated.url);
    const admin = adminOf(migrated.url);
    await insertMigration(admin, "29990101000000_from_a_newer_build", { finished: true });
    try {
      const status = await monitor.assertReady();
      expect(status.unknown).toEqual(["29990101000000_from_a_newer_build"]);
      expect(monitor.newer(status)).toBe(
        `the database at ${migrated.url} is newer than this build (it has migration 29990101000000_from_a_newer_build this build does not ship); running anyway, as during a rolling deploy`,
      );
      await admin.$executeRawUnsafe(`ALTER TABLE "TaskOutbox" RENAME COLUMN "lastError" TO "failure"`);
      const error = await rejection(monitor.assertReady());
      expect(error.message).toBe(
        `the database at ${migrated.url} is newer than this build (missing: TaskOutbox.lastError; it has migration 29990101000000_from_a_newer_build this build does not ship): deploy the build that matches it`,
      );
    } finally {
      await admin.$executeRawUnsafe(`ALTER TABLE "TaskOutbox" RENAME COLUMN "failure" TO "lastError"`).catch(() => undefined);
      await admin.$executeRawUnsafe(`DELETE FROM "_prisma_migrations" WHERE "migration_name" = '29990101000000_from_a_newer_build'`);
    }
  });

  // PostgreSQL only: SQLite has no roles or grants, so there is no least-privilege case to check there.
  it.runIf(kind === "postgres")("a least-privilege role (no grant on the beat tables, none on the migration history) sees the schema as it is", async () => {
    const role = `celeriac_lp_${randomBytes(4).toString("hex")}`;
    const admin = adminOf(migrated.url);
    await admin.$executeRawUnsafe(`CREATE ROLE "${role}" LOGIN`);
    await admin.$executeRawUnsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON "TaskResult", "TaskOutbox" TO "${role}"`);
    const url = new URL(migrated.url);
    url.username = role;
    const { store, monitor } = monitorOf(url.toString());
    try {
      expect(await monitor.assertReady()).toEqual({ missing: [], pending: [], failed: [], unknown: [] });
    } finally {
      await store.close();
      await admin.$executeRawUnsafe(`DROP OWNED BY "${role}"`);
      await admin.$executeRawUnsafe(`DROP ROLE "${role}"`);
    }
  });

  // PostgreSQL only: SQLite creates a missing database file on open, so "does not exist" cannot happen there.
  it.runIf(kind === "postgres")("a database that does not exist: create it, then migrate", async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/celeriac_nonexistent_${randomBytes(4).toString("hex")}`;
    const { monitor } = monitorOf(url.toString());
    await expect(monitor.assertReady()).rejects.toThrow(`the database at ${url} does not exist: create it, then run npx prisma migrate deploy`);
  });
});

describe("callers on an unmigrated database", () => {
  it("AsyncResult.info(), status() and get() reject with SchemaNotReadyError and the message, not the driver's error", async () => {
    const { app } = appOn(withPassword(empty.url));
    const result = app.AsyncResult.from("some-task-id");
    for (const read of [() => result.info(), () => result.status(), () => result.get({ timeout: 1000 })]) {
      const error = await rejection(read());
      expect(error).toBeInstanceOf(SchemaNotReadyError);
      expect(error.message).toMatch(new RegExp(`^the database at ${escape(shown(withPassword(empty.url)))} is not migrated \\(missing: TaskResult, .*\\): run npx prisma migrate deploy$`));
    }
  });

  it("an app's migrateCommand is the fix its messages name", async () => {
    const { app } = appOn(empty.url, "npm run db:deploy");
    await expect(app.schema.assertReady()).rejects.toThrow(/ is not migrated \(missing: TaskResult, .*\): run npm run db:deploy$/);
    await expect(app.AsyncResult.from("some-task-id").info()).rejects.toThrow(/: run npm run db:deploy$/);
  });

  it("a durable transaction's outbox insert rejects with SchemaNotReadyError; explain() turns Prisma's own P2021 into one", async () => {
    const { app, db } = appOn(empty.url);
    const noop = app.task({ name: "schema.noop", args: z.tuple([]), run: () => null });
    await expect(app.transaction(async () => void noop.delay(), { durable: true })).rejects.toBeInstanceOf(SchemaNotReadyError);
    const prismaError = await rejection(db.periodicTask.findMany());
    expect(prismaError).toHaveProperty("code", "P2021");
    expect((await app.schema.explain(prismaError))?.message).toMatch(/is not migrated \(missing: TaskResult, .*\): run npx prisma migrate deploy$/);
    expect(await app.schema.explain(new Error("something else"))).toBeUndefined();
  });

  it("report(): a burst of failures is one log line per interval, with the same message", async () => {
    const { store, monitor, lines } = monitorOf(empty.url, { reportIntervalMs: 400 });
    const failure = await rejection(store.find("x"));
    expect(monitor.report(new Error("not a schema problem"))).toBe(false);
    for (let i = 0; i < 50; i++) expect(monitor.report(failure)).toBe(true);
    await expect.poll(() => lines.length).toBe(1);
    await new Promise((r) => setTimeout(r, 450));
    for (let i = 0; i < 50; i++) monitor.report(failure);
    await expect.poll(() => lines.length).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBe(2);
    for (const line of lines) {
      expect(line.msg).toMatch(/^the database at .* is not migrated \(missing: TaskResult, .*\): run npx prisma migrate deploy$/);
      expect(line.err).toBeUndefined();
    }
  });
});

async function insertMigration(admin: Db, name: string, { finished }: { finished: boolean }): Promise<void> {
  const finishedAt = finished ? "CURRENT_TIMESTAMP" : "NULL";
  await admin.$executeRawUnsafe(
    `INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at", "finished_at", "applied_steps_count") VALUES ('${name}', 'test', '${name}', CURRENT_TIMESTAMP, ${finishedAt}, 1)`,
  );
}

/** The error `promise` rejects with; the test fails if it resolves. */
function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: Error) => error,
  );
}
