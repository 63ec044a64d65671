/**
 * The app's Prisma client (one per process, cached on globalThis so Next's hot reload does not open a
 * new pool per edit). The provider follows DATABASE_URL: SQLite by default, PostgreSQL in production.
 * Both generated clients come from the same models, so the SQLite client's type describes either.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PgClient } from "@/generated/prisma-postgres/client.ts";
import { PrismaClient as SqliteClient } from "@/generated/prisma-sqlite/client.ts";
import { env, isPostgres } from "./env";

export type Db = SqliteClient;

function create(): Db {
  if (isPostgres) return new PgClient({ adapter: new PrismaPg({ connectionString: env.DATABASE_URL }) }) as unknown as Db;
  return new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: env.DATABASE_URL }) });
}

const cache = globalThis as unknown as { __celeriacDb?: Db };
export const db: Db = (cache.__celeriacDb ??= create());
