/**
 * `celeriac init` and the package's migration set: the shipped migrations together create exactly celeriac's
 * tables, and init copies every one for the project's database into the folder Prisma reads (beside the
 * datasource's schema file, or prisma.config's literal migrations path) as <timestamp>_celeriac and
 * <timestamp+1 s>_celeriac_<name>…, after the app's own and in the package's order; it never copies them
 * twice, nor beside a migration that creates TaskResult already, and a refusal copies nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "../../test/scratch.js";
import { CELERIAC_TABLES } from "../app.js";
import { runInit } from "./init.js";
import { packageMigrations } from "./migrations.js";

const MODELS = readFileSync(fileURLToPath(new URL("../../prisma/celeriac.prisma", import.meta.url)), "utf8");
const SQLITE_SCHEMA = `generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "sqlite"\n  url      = env("DATABASE_URL")\n}\n\nmodel User {\n  id Int @id @default(autoincrement())\n}\n`;
const POSTGRES_MAIN = `generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n`;
const APP_MIGRATION = `-- CreateTable\nCREATE TABLE "User" ("id" SERIAL NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n`;
const STAMPED = /^\d{14}_celeriac$/;
/** The copies' folder names for a timestamp: the first migration as _celeriac, each later one as _celeriac_<name>, a second apart. */
const copies = (provider: "sqlite" | "postgresql", first: string) =>
  packageMigrations(provider).map(({ name }, i) => {
    const at = new Date(Date.UTC(+first.slice(0, 4), +first.slice(4, 6) - 1, +first.slice(6, 8), +first.slice(8, 10), +first.slice(10, 12), +first.slice(12, 14) + i));
    return `${at.toISOString().replace(/\D/g, "").slice(0, 14)}_${i === 0 ? "celeriac" : `celeriac_${name.slice(15)}`}`;
  });

function project(files: Record<string, string>): string {
  return scratchFolder("celeriac-init-migrations-", { "package.json": `${JSON.stringify({ name: "app", dependencies: { express: "5.0.0", zod: "4.0.0" } }, null, 2)}\n`, ...files });
}

function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = relative(root, join(entry.parentPath, entry.name));
    files.set(path, entry.isFile() ? readFileSync(join(root, path), "utf8") : "");
  }
  return files;
}

async function init(root: string, argv: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runInit(argv, { cwd: root, io: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) } });
  return { code, stdout, stderr };
}

const folders = (root: string, path: string) => (existsSync(join(root, path)) ? readdirSync(join(root, path)).sort() : []);
const createdTables = (sql: string) => [...sql.matchAll(/CREATE TABLE "(\w+)"/g)].map((m) => m[1]).sort();

describe("the package's migration set", () => {
  it.each(["sqlite", "postgresql"] as const)("%s: the migrations, oldest first, create exactly celeriac's tables, every model of prisma/celeriac.prisma and what the schema check requires", (provider) => {
    const migrations = packageMigrations(provider);
    expect(migrations.map((m) => m.name)).toEqual(["20261201160000_celeriac", "20261201190000_dashboard", "20261202000000_workflows"]);
    const sql = migrations.map((m) => m.sql).join("\n");
    const models = [...MODELS.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]).sort();
    expect(createdTables(sql)).toEqual(models);
    expect(createdTables(sql)).toEqual(Object.keys(CELERIAC_TABLES).sort());
  });

  it.each(["sqlite", "postgresql"] as const)("%s: every column the schema check requires is created or added by them", (provider) => {
    const sql = packageMigrations(provider).map((m) => m.sql).join("\n");
    for (const [table, columns] of Object.entries(CELERIAC_TABLES)) {
      const created = new RegExp(`CREATE TABLE "${table}" \\(([^;]*)\\);`).exec(sql)![1]!;
      // PostgreSQL adds several columns in one ALTER TABLE ("ADD COLUMN a …,\nADD COLUMN b …").
      const alters = [...sql.matchAll(new RegExp(`ALTER TABLE "${table}" ([^;]*);`, "g"))].map((m) => m[1]!).join("\n");
      const added = [...alters.matchAll(/ADD COLUMN\s+"(\w+)"/g)].map((m) => m[1]);
      const present = new Set([...[...created.matchAll(/^\s+"(\w+)"/gm)].map((m) => m[1]), ...added]);
      expect(columns.filter((c) => !present.has(c)), table).toEqual([]);
    }
  });
});

describe("celeriac init copies it", () => {
  it("SQLite, no migrations yet: every package migration, in order, a second apart from now; next step migrate deploy; a second run copies nothing", async () => {
    const root = project({ "prisma/schema.prisma": SQLITE_SCHEMA });
    const before = Date.now();
    const first = await init(root);
    expect(first.code).toBe(0);
    const names = folders(root, "prisma/migrations");
    expect(names[0]).toMatch(STAMPED);
    const stamp = names[0]!.slice(0, 14);
    expect(names).toEqual(copies("sqlite", stamp));
    const at = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12), +stamp.slice(12, 14));
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
    const paths = names.map((name) => `prisma/migrations/${name}/migration.sql`);
    expect(paths.map((path) => readFileSync(join(root, path), "utf8"))).toEqual(packageMigrations("sqlite").map((m) => m.sql));
    for (const path of paths) expect(first.stdout).toContain(`  created   ${path}\n`);
    expect(first.stdout).toContain(`  1. npx prisma migrate deploy                 creates celeriac's tables in your SQLite database (${paths.join(", ")}; npx prisma migrate dev applies them too)\n`);
    expect(first.stdout).not.toContain("migrate dev --name");

    const after = snapshot(root);
    const second = await init(root);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`  unchanged ${paths[0]} (a migration creating celeriac's tables already there)\n`);
    expect(second.stdout).toContain(`  1. npx prisma migrate deploy`);
    expect(snapshot(root)).toEqual(after);
  });

  it("PostgreSQL, a schema folder with the app's own migrations beside its datasource: the PostgreSQL migrations, after theirs, theirs untouched", async () => {
    const root = project({
      "prisma/schema/main.prisma": POSTGRES_MAIN,
      "prisma/schema/user.prisma": `model User {\n  id Int @id @default(autoincrement())\n}\n`,
      "prisma/schema/migrations/20200101000000_init/migration.sql": APP_MIGRATION,
      "prisma/schema/migrations/migration_lock.toml": `provider = "postgresql"\n`,
    });
    const { code } = await init(root);
    expect(code).toBe(0);
    const names = folders(root, "prisma/schema/migrations");
    const ours = copies("postgresql", names[1]!.slice(0, 14));
    expect(names).toEqual(["20200101000000_init", ...ours, "migration_lock.toml"]);
    expect(ours.map((name) => readFileSync(join(root, "prisma/schema/migrations", name, "migration.sql"), "utf8"))).toEqual(packageMigrations("postgresql").map((m) => m.sql));
    expect(readFileSync(join(root, "prisma/schema/migrations/20200101000000_init/migration.sql"), "utf8")).toBe(APP_MIGRATION);
    expect(readFileSync(join(root, "prisma/schema/migrations/migration_lock.toml"), "utf8")).toBe(`provider = "postgresql"\n`);
    expect(existsSync(join(root, "prisma/migrations"))).toBe(false);
  });

  it("a migration dated after now (another clock): celeriac's are one second after it and after each other, so they still apply last, in order", async () => {
    const root = project({ "prisma/schema.prisma": SQLITE_SCHEMA, "prisma/migrations/29991231235959_later/migration.sql": "SELECT 1;\n" });
    expect((await init(root)).code).toBe(0);
    expect(folders(root, "prisma/migrations")).toEqual(["29991231235959_later", "30000101000000_celeriac", "30000101000001_celeriac_dashboard", "30000101000002_celeriac_workflows"]);
  });

  it("an app that migrated celeriac's tables itself (migrate dev --name celeriac): nothing copied, that migration is the one to deploy", async () => {
    const own = `-- CreateTable\nCREATE TABLE "TaskResult" (\n    "id" TEXT NOT NULL PRIMARY KEY\n);\n`;
    const root = project({ "prisma/schema.prisma": SQLITE_SCHEMA, "prisma/migrations/20250101000000_celeriac/migration.sql": own });
    const { code, stdout } = await init(root);
    expect(code).toBe(0);
    expect(folders(root, "prisma/migrations")).toEqual(["20250101000000_celeriac"]);
    expect(stdout).toContain(`  unchanged prisma/migrations/20250101000000_celeriac/migration.sql (a migration creating celeriac's tables already there)\n`);
    expect(stdout).toContain("(prisma/migrations/20250101000000_celeriac/migration.sql; npx prisma migrate dev applies it too)");
  });

  it("prisma.config's literal migrations path is where it goes; a path init cannot read: no copy, the next step is migrate dev", async () => {
    const config = (path: string) => `import { defineConfig } from "prisma/config";\nexport default defineConfig({\n  schema: "prisma/schema.prisma",\n  migrations: { path: ${path} },\n});\n`;
    const literal = project({ "prisma/schema.prisma": SQLITE_SCHEMA, "prisma.config.ts": config(`"db/migrations"`) });
    expect((await init(literal)).code).toBe(0);
    expect(folders(literal, "db/migrations")).toEqual(copies("sqlite", folders(literal, "db/migrations")[0]!.slice(0, 14)));
    expect(existsSync(join(literal, "prisma/migrations"))).toBe(false);

    const computed = project({ "prisma/schema.prisma": SQLITE_SCHEMA, "prisma.config.ts": config("`prisma/${flavour}/migrations`") });
    const { code, stdout } = await init(computed);
    expect(code).toBe(0);
    expect(stdout).not.toContain("migration.sql");
    expect(stdout).toContain("  1. npx prisma migrate dev --name celeriac    creates celeriac's tables in your SQLite database\n");
    expect(snapshot(computed).has("prisma/migrations")).toBe(false);
  });

  it("--dry-run names the migration it would copy and writes nothing; a refusal elsewhere copies nothing", async () => {
    const root = project({ "prisma/schema.prisma": SQLITE_SCHEMA });
    const before = snapshot(root);
    const dry = await init(root, ["--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^ {2}would create prisma\/migrations\/\d{14}_celeriac\/migration\.sql$/m);
    expect(snapshot(root)).toEqual(before);

    const refused = project({ "prisma/schema.prisma": SQLITE_SCHEMA, "lib/celery.ts": "export const mine = 1;\n" });
    const untouched = snapshot(refused);
    expect((await init(refused)).code).toBe(1);
    expect(snapshot(refused)).toEqual(untouched);
  });
});

describe("celeriac init: a prisma.config whose migrations block names no path", () => {
  it("copies the migration beside the schema, where Prisma looks when the block sets only the seed", async () => {
    const config = `import { defineConfig } from "prisma/config";\n\nexport default defineConfig({\n  schema: "prisma/schema.prisma",\n  migrations: { seed: "tsx prisma/seed.ts" },\n});\n`;
    const root = project({ "prisma.config.ts": config, "prisma/schema.prisma": SQLITE_SCHEMA });
    const { code, stdout } = await init(root);
    expect(code).toBe(0);
    expect(stdout).toContain("npx prisma migrate deploy");
    const [copied] = folders(root, "prisma/migrations");
    expect(copied).toMatch(STAMPED);
  });
});

describe("celeriac init: a prisma.config with lines commented out", () => {
  it("reads the schema and migrations paths Prisma reads, not the commented ones", async () => {
    const config = `import { defineConfig } from "prisma/config";\n\nexport default defineConfig({\n  // schema: "old/schema.prisma",\n  schema: "db/schema.prisma",\n  /* migrations: { path: "old/migrations" }, */\n  migrations: { path: "db/history" },\n});\n`;
    const root = project({ "prisma.config.ts": config, "db/schema.prisma": SQLITE_SCHEMA });
    const { code, stdout, stderr } = await init(root);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("npx prisma migrate deploy");
    expect(folders(root, "db/history")[0]).toMatch(STAMPED);
    expect(existsSync(join(root, "old"))).toBe(false);
  });
});
