/**
 * Fresh databases for the framework's tests: a temp SQLite file, or a new PostgreSQL database on the server
 * at TEST_POSTGRES_URL. Migrated unless asked not to, with the package's own migration set (`prisma migrate
 * deploy` of ../prisma/migrations/<provider>, as an app deploys the migration `celeriac init` copied into it),
 * then TestItem (prisma/<provider>/test-item.sql), the test schema's one table of its own. Each caller drops
 * its database at the end, so runs never collide.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export type DbKind = "sqlite" | "postgres";

/** The run's kind of database: CELERIAC_TEST_DB=sqlite (the default) or postgres. */
export const dbKind = (): DbKind => (process.env.CELERIAC_TEST_DB === "postgres" ? "postgres" : "sqlite");

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The package's migration set for a kind of database (../prisma/migrations/<provider>), oldest first. */
export function packageMigrations(kind: DbKind): string[] {
  const folder = join(import.meta.dirname, "../prisma/migrations", kind === "postgres" ? "postgresql" : "sqlite");
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

const PRISMA_CLI = join(dirname(createRequire(import.meta.url).resolve("prisma/package.json")), "build/index.js");
const CONFIG = join(import.meta.dirname, "prisma.config.ts");
const testItemSql = (kind: DbKind) => readFileSync(join(import.meta.dirname, "prisma", kind, "test-item.sql"), "utf8");

async function migrate(kind: DbKind, url: string): Promise<void> {
  await promisify(execFile)(process.execPath, [PRISMA_CLI, "migrate", "deploy", "--config", CONFIG], {
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
  });
  if (kind === "sqlite") {
    const db = new Database(url.slice("file:".length));
    try {
      db.exec(testItemSql(kind));
      // WAL, as an app sets it (it is stored in the file): the worker's result writes and Prisma's
      // connection then do not block each other's reads.
      db.pragma("journal_mode = WAL");
    } finally {
      db.close();
    }
  } else {
    await withClient(url, (c) => c.query(testItemSql(kind)));
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `{ migrate: false }` leaves it empty, as a fresh DATABASE_URL before anyone deployed. */
export async function createTestDatabase(kind: DbKind = dbKind(), label = "test", { migrate: migrated = true } = {}): Promise<TestDatabase> {
  const name = `celeriac_pkg_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
  if (kind === "sqlite") {
    const file = join(tmpdir(), `${name}.db`);
    const url = `file:${file}`;
    if (migrated) await migrate(kind, url);
    return { url, drop: async () => ["", "-wal", "-shm", "-journal"].forEach((end) => rmSync(`${file}${end}`, { force: true })) };
  }
  await withClient(TEST_POSTGRES_URL, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  if (migrated) await migrate(kind, url.toString());
  return {
    url: url.toString(),
    drop: () => withClient(TEST_POSTGRES_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
