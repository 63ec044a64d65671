/**
 * Fresh, migrated result databases for one bench run: a temp SQLite file (optionally in WAL mode), or a
 * new PostgreSQL database `celeriac_bench_<pid>_<n>` on the server. Each is dropped by `drop()`.
 * The Prisma client is lib/db.ts's own (createDb: the app's adapters, WAL on SQLite), for a URL given here.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createDb, type Db } from "@/lib/db";

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export type { Db };

export interface BenchDatabase {
  kind: "sqlite" | "sqlite-wal" | "postgres";
  url: string;
  client: Db;
  /** Disconnects the client and deletes the file or drops the database. */
  drop(): Promise<void>;
}

let serial = 0;

/** A Prisma client for a bench database URL (PostgreSQL or a SQLite file): the app's own (lib/db.ts). */
export const clientFor = (url: string): Db => createDb(url);

async function migrate(url: string): Promise<void> {
  await promisify(execFile)("node_modules/.bin/prisma", ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
    timeout: 60_000,
  });
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The server's version string, or undefined when PostgreSQL is not reachable. */
export async function postgresVersion(): Promise<string | undefined> {
  try {
    return await onServer(async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v);
  } catch {
    return undefined;
  }
}

export async function createBenchDatabase(kind: BenchDatabase["kind"]): Promise<BenchDatabase> {
  const name = `celeriac_bench_${process.pid}_${++serial}`;
  if (kind === "postgres") {
    await onServer((c) => c.query(`CREATE DATABASE "${name}"`));
    const u = new URL(POSTGRES_URL);
    u.pathname = `/${name}`;
    const url = u.toString();
    const drop = () => onServer((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined);
    await migrate(url).catch(async (e) => (await drop(), Promise.reject(e)));
    const client = clientFor(url);
    return { kind, url, client, drop: async () => (await client.$disconnect(), await drop()) };
  }
  const file = join(tmpdir(), `${name}.db`);
  const url = `file:${file}`;
  const remove = () => ["", "-wal", "-shm", "-journal"].forEach((s) => rmSync(file + s, { force: true }));
  await migrate(url).catch((e) => (remove(), Promise.reject(e)));
  // lib/db.ts puts every SQLite file it opens in WAL mode, as the app runs; "sqlite" (rollback journal) is for comparison.
  const client = clientFor(url);
  if (kind === "sqlite") await client.$queryRawUnsafe("PRAGMA journal_mode=DELETE");
  return { kind, url, client, drop: async () => (await client.$disconnect(), remove()) };
}

/** `PRAGMA journal_mode` of a SQLite database, for the report. */
export async function journalMode(db: BenchDatabase): Promise<string> {
  if (db.kind === "postgres") return "n/a";
  const rows = await db.client.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
  return rows[0].journal_mode;
}
