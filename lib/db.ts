/**
 * The app's Prisma client (one per process, cached on globalThis so Next's hot reload does not open a
 * new pool per edit). The provider follows the URL: SQLite (`file:`) by default, PostgreSQL in production.
 * Both generated clients come from the same models, so the SQLite client's type describes either.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import Database from "better-sqlite3";
import { PrismaClient as PgClient } from "@/generated/prisma-postgres/client.ts";
import { PrismaClient as SqliteClient } from "@/generated/prisma-sqlite/client.ts";
import { isPostgresUrl } from "celeriac/states";
import { ConfigError } from "celeriac/errors";
import { env } from "./env";
import { IsolatedSQLite3 } from "celeriac/sqlite-adapter";

export type Db = SqliteClient;

// The framework's rule (it picks the result store's driver by it too); re-exported for the tests.
export { isPostgresUrl };

/**
 * SQLite's default rollback journal syncs the file on every commit, which halves worker throughput
 * (`npm run bench`: 226 vs 446 tasks/s); WAL keeps readers and the writer apart too. The mode is stored
 * in the database file, so setting it once per process is enough. Done with better-sqlite3 directly
 * because it is synchronous: the client is created at import time.
 */
function useWriteAheadLog(url: string): void {
  const path = url.slice("file:".length).split("?")[0];
  if (path === "" || path === ":memory:") return;
  let connection: Database.Database | undefined;
  try {
    connection = new Database(path);
    connection.pragma("journal_mode = WAL");
  } catch (error) {
    // A directory that does not exist, a file that is no database: a setting to fix, said in one line.
    throw new ConfigError(`could not use the database at ${url}: ${(error as Error).message}`, { cause: error });
  } finally {
    connection?.close();
  }
}

/** A new client for a database URL (tests and benchmarks make their own; the app uses `db`). */
export function createDb(url: string): Db {
  if (isPostgresUrl(url)) return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  useWriteAheadLog(url);
  return new SqliteClient({ adapter: new IsolatedSQLite3({ url }) });
}

const cache = globalThis as unknown as { __celeriacDb?: Db };
export const db: Db = (cache.__celeriacDb ??= createDb(env.DATABASE_URL));
