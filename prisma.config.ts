/**
 * Prisma CLI configuration: picks the provider folder from DATABASE_URL and runs the JS schema engine
 * over a driver adapter, so migrate/generate never download a native engine.
 * Every workaround below names the bug it works around (see shared/research/stack-recipe.md §3).
 */
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import "./prisma/pg-name-oid-fix";

// The CLI skips .env loading when a config file exists.
try {
  process.loadEnvFile(".env");
} catch {
  // no .env: the defaults below apply
}
// No checkpoint.prisma.io lookup (there is no network here, and none is wanted in CI).
process.env.CHECKPOINT_DISABLE ??= "1";

const url = process.env.DATABASE_URL ?? "file:./dev.db";
// celeriac's isPostgresUrl (celeriac/states) written out: Prisma's loader resolves `celeriac` to its build,
// dist/, and `npm install`'s postinstall runs `prisma generate` (this file) before it builds the package,
// so on a fresh clone the import fails ("Cannot find module …/celeriac/dist/states.js").
const flavour = /^postgres(ql)?:\/\//.test(url) ? "postgres" : "sqlite";

// W4: adapter-pg's shadow pool spreads `{...config, database: shadow}`; with `connectionString` the shadow
// pool still connects to the main database ("relation already exists"), so pass discrete fields.
function pgConfig(u: string) {
  const p = new URL(u);
  return {
    host: p.hostname,
    port: Number(p.port || 5432),
    user: decodeURIComponent(p.username),
    password: decodeURIComponent(p.password),
    database: p.pathname.slice(1),
    idleTimeoutMillis: 100,
    allowExitOnIdle: true,
  };
}

// W2: `migrate dev` replays a whole migration through executeRaw on the shadow database, but
// better-sqlite3's prepare() takes one statement only (P3006 "failed to apply cleanly").
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
  schema: `prisma/${flavour}`,
  migrations: { path: `prisma/${flavour}/migrations` },
  async adapter() {
    return flavour === "postgres" ? new PrismaPg(pgConfig(url)) : new SqliteMigrateAdapter({ url });
  },
});

// W5: schema-engine-wasm leaves long setTimeouts behind, keeping `migrate dev` alive +60 s and PG
// `migrate deploy` +10 s after they finish; unref them so the CLI exits when its work is done.
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
  const t = realSetTimeout(fn, ms, ...rest);
  if ((ms ?? 0) >= 10_000) t.unref();
  return t;
}) as typeof setTimeout;
