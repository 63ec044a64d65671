/**
 * celeriac's migration set in an app: `celeriac init` copies the migration this package ships for the
 * project's database (prisma/migrations/<provider>/<name>/migration.sql: exactly celeriac's tables, made by
 * Prisma from prisma/celeriac.prisma) into the project's Prisma migrations folder, as <timestamp>_celeriac.
 * `prisma migrate deploy` then creates the tables, and `prisma migrate dev` sees the migration as the one
 * that made the models init added (no drift). Never when a migration there creates TaskResult already
 * (a second run, or an app that migrated celeriac's models itself); never over a file. Read only.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Step } from "./init.js";
import { withoutComments, type Project, type Provider } from "./project.js";

const PRISMA_CONFIGS = ["prisma.config.ts", "prisma.config.mts", "prisma.config.js", "prisma.config.mjs"];
const CREATES_TASK_RESULT = /CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"[^"]+"\.)?"TaskResult"\s*\(/i;

/** The migration this package ships for a provider: its folder name and its SQL. */
export function packageMigration(provider: Provider): { name: string; sql: string } {
  const folder = fileURLToPath(new URL(`../../prisma/migrations/${provider}/`, import.meta.url));
  const [name] = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return { name: name!, sql: readFileSync(join(folder, name!, "migration.sql"), "utf8") };
}

/**
 * The project's migrations folder, relative to its root, where Prisma looks for it: a literal
 * `migrations: { path }` in prisma.config, else `migrations/` beside the schema file that holds the
 * datasource. Undefined when prisma.config sets a path init cannot read (a template string, a variable).
 */
export function migrationsFolder(project: Project): string | undefined {
  for (const config of PRISMA_CONFIGS) {
    const file = join(project.root, config);
    if (!existsSync(file)) continue;
    const text = withoutComments(readFileSync(file, "utf8"));
    const block = /\bmigrations\s*:\s*\{([^}]*)\}/.exec(text);
    // No migrations block, or one without a path (only the seed): Prisma's default folder, below.
    if (!/\bmigrations\s*:/.test(text) || (block && !/\bpath\s*:/.test(block[1]!))) break;
    return /\bmigrations\s*:\s*\{[^}]*?\bpath\s*:\s*(["'])([^"'$]+)\1/.exec(text)?.[2]?.replace(/^\.\//, "").replace(/\/$/, "");
  }
  const datasource = project.schema.files.find((f) => /datasource\s+\w+\s*\{/.test(f.text)) ?? project.schema.files[0]!;
  const dir = dirname(datasource.path);
  return dir === "." ? "migrations" : `${dir}/migrations`;
}

/** Prisma's migration timestamp (UTC, to the second), later than every migration already in the folder. */
function timestamp(now: Date, existing: readonly string[]): string {
  const stamp = (d: Date) => d.toISOString().replace(/\D/g, "").slice(0, 14);
  const last = existing.filter((name) => /^\d{14}_/.test(name)).sort().at(-1)?.slice(0, 14);
  if (last === undefined || last < stamp(now)) return stamp(now);
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => Number(last.slice(at, at + (i === 0 ? 4 : 2))));
  const after = new Date(Date.UTC(y!, mo! - 1, d, h, mi, s! + 1));
  return Number.isNaN(after.getTime()) ? stamp(now) : stamp(after);
}

/** The step that puts celeriac's migration in the project, or says it is there; undefined when init cannot tell where. */
export function migrationStep(project: Project, now = new Date()): Step | undefined {
  const folder = migrationsFolder(project);
  if (folder === undefined) return undefined;
  const dir = join(project.root, folder);
  const existing = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
  const creating = existing.sort().find((name) => {
    const file = join(dir, name, "migration.sql");
    return existsSync(file) && CREATES_TASK_RESULT.test(readFileSync(file, "utf8"));
  });
  if (creating !== undefined) return { kind: "unchanged", path: `${folder}/${creating}/migration.sql`, what: "a migration creating celeriac's tables" };
  return { kind: "create", path: `${folder}/${timestamp(now, existing)}_celeriac/migration.sql`, text: packageMigration(project.schema.provider).sql };
}
