/**
 * A Prisma client of the test schema (celeriac's models and TestItem) for a database URL: the PostgreSQL
 * client for `postgresql://`, the SQLite one for `file:`, each over its driver adapter. Both are generated
 * from the same models (npm run test:generate), so the SQLite client's type describes either.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PgClient } from "./generated/prisma-postgres/client.ts";
import { PrismaClient as SqliteClient } from "./generated/prisma-sqlite/client.ts";

export type Db = SqliteClient;

export function createDb(url: string): Db {
  if (/^postgres(ql)?:\/\//.test(url)) return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  return new SqliteClient({ adapter: new PrismaBetterSQLite3({ url }) });
}
