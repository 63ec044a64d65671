/**
 * Prisma CLI configuration (Prisma 6.19): the JS schema engine over the better-sqlite3 driver adapter, so
 * `prisma migrate` and `prisma generate` never download a native engine. DATABASE_URL (default
 * file:./dev.db, relative to this folder) is the database migrated; lib/db.ts opens the same one.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";

// The CLI skips .env loading when a config file exists.
try {
  process.loadEnvFile(".env");
} catch {
  // no .env: the default below applies
}
// No lookup of checkpoint.prisma.io.
process.env.CHECKPOINT_DISABLE ??= "1";

const url = process.env.DATABASE_URL ?? "file:./dev.db";

// `migrate dev` replays a whole migration through executeRaw on the shadow database, and better-sqlite3's
// prepare() takes one statement only (P3006 "failed to apply cleanly"): run statement lists as a script.
class SqliteMigrateAdapter extends PrismaBetterSQLite3 {
  override async connectToShadowDb() {
    const conn = await super.connectToShadowDb();
    const executeRaw = conn.executeRaw.bind(conn);
    conn.executeRaw = async (q) => (q.args.length === 0 ? (await conn.executeScript(q.sql), 0) : executeRaw(q));
    return conn;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return new SqliteMigrateAdapter({ url });
  },
});

// The JS schema engine leaves long setTimeouts behind, which keep `migrate dev` alive ~60 s after it is
// done: unref them so the CLI exits when its work is.
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
  const t = realSetTimeout(fn, ms, ...rest);
  if ((ms ?? 0) >= 10_000) t.unref();
  return t;
}) as typeof setTimeout;
