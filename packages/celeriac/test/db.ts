/**
 * A Prisma client of the test schema (celeriac's models and TestItem) for a database URL: the PostgreSQL
 * client for `postgresql://`, the SQLite one for `file:`, as an app on SQLite makes it (over the package's
 * IsolatedSQLite3, celeriac/sqlite-adapter). Both are generated from the same models (npm run
 * test:generate), so the SQLite client's type describes either.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { isPostgresUrl } from "celeriac/states";
import { IsolatedSQLite3 } from "celeriac/sqlite-adapter";
import { PrismaClient as PgClient } from "./generated/prisma-postgres/client.ts";
import { PrismaClient as SqliteClient } from "./generated/prisma-sqlite/client.ts";

export type Db = SqliteClient;

export function createDb(url: string): Db {
  if (isPostgresUrl(url)) return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  return new SqliteClient({ adapter: new IsolatedSQLite3({ url }) });
}
