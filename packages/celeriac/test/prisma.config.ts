/**
 * Prisma's CLI for the framework's own tests: `prisma migrate deploy` applies the package's migration set
 * (../prisma/migrations/<provider>, what `celeriac init` copies into an app) to a test database, and
 * `prisma generate` (npm run test:generate) makes the test clients from ./prisma/<provider>. The provider
 * follows DATABASE_URL. Prisma 6.19's JS schema engine needs two of the workarounds the demo's
 * prisma.config.ts names (W3, W5; W1 is the schema's literal url); only deploy and generate run here, so
 * the shadow-database ones (W2, W4) are not needed.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

process.env.CHECKPOINT_DISABLE ??= "1";
const url = process.env.DATABASE_URL ?? "file:./unused.db";
const postgres = /^postgres(ql)?:\/\//.test(url);

// W3: every PostgreSQL migrate command fails with "Column type 'name' could not be deserialized"
// (prisma/orm#27403), then the same for "char": the engine reads those catalog types as text.
const proto = (pg as unknown as { Result: { prototype: { addFields(fields: Array<{ dataTypeID: number }>): void } } }).Result.prototype;
const addFields = proto.addFields;
proto.addFields = function (this: unknown, fields) {
  for (const f of fields) if (f.dataTypeID === 18 || f.dataTypeID === 19) f.dataTypeID = 25;
  return addFields.call(this, fields);
};

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: `prisma/${postgres ? "postgres" : "sqlite"}`,
  migrations: { path: `../prisma/migrations/${postgres ? "postgresql" : "sqlite"}` },
  async adapter() {
    if (!postgres) return new PrismaBetterSQLite3({ url });
    const p = new URL(url);
    return new PrismaPg({ host: p.hostname, port: Number(p.port || 5432), user: decodeURIComponent(p.username), password: decodeURIComponent(p.password), database: p.pathname.slice(1), idleTimeoutMillis: 100, allowExitOnIdle: true });
  },
});

// W5: the wasm schema engine leaves long timers behind (PostgreSQL `migrate deploy` +10 s); unref them.
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
  const t = realSetTimeout(fn, ms, ...rest);
  if ((ms ?? 0) >= 10_000) t.unref();
  return t;
}) as typeof setTimeout;
