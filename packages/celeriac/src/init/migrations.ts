/**
 * celeriac's migration set in an app: `celeriac init` copies the migrations this package ships for the
 * project's database (prisma/migrations/<provider>/<name>/migration.sql, oldest first: together exactly
 * celeriac's tables, each made by Prisma from prisma/celeriac.prisma) into the project's Prisma migrations
 * folder, in order, as <timestamp>_celeriac, then <timestamp+1 s>_celeriac_<name> for each later one.
 * `prisma migrate deploy` then creates the tables, and `prisma migrate dev` sees the migrations as the ones
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

/** The migrations this package ships for a provider, oldest first: each one's folder name and SQL. */
export function packageMigrations(provider: Provider): Array<{ name: string; sql: string }> {
  const folder = fileURLToPath(new URL(`../../prisma/migrations/${provider}/`, import.meta.url));
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(folder, name, "migration.sql"), "utf8") }));
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

const stamp = (d: Date) => d.toISOString().replace(/\D/g, "").slice(0, 14);

/** The instant of the latest migration in the folder (Prisma's UTC timestamp, to the second); undefined with none or one that is not a date. */
function latest(existing: readonly string[]): Date | undefined {
  const last = existing.filter((name) => /^\d{14}_/.test(name)).sort().at(-1)?.slice(0, 14);
  if (last === undefined) return undefined;
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => Number(last.slice(at, at + (i === 0 ? 4 : 2))));
  const at = new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The copy's folder name: `celeriac` for the package's first migration (its name since 0.2.0), `celeriac_<name>` for the others. */
const copyName = (name: string, index: number) => (index === 0 ? "celeriac" : `celeriac_${name.replace(/^\d{14}_/, "")}`);

/**
 * The steps that put celeriac's migrations in the project, or the one that says they are there; empty when
 * init cannot tell where. The copies are a second apart from now, or from the latest migration there when
 * that is later (another clock), so they apply after the app's own and in the package's order.
 */
export function migrationSteps(project: Project, now = new Date()): Step[] {
  const folder = migrationsFolder(project);
  if (folder === undefined) return [];
  const dir = join(project.root, folder);
  const existing = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
  const creating = existing.sort().find((name) => {
    const file = join(dir, name, "migration.sql");
    return existsSync(file) && CREATES_TASK_RESULT.test(readFileSync(file, "utf8"));
  });
  if (creating !== undefined) return [{ kind: "unchanged", path: `${folder}/${creating}/migration.sql`, what: "a migration creating celeriac's tables" }];
  const last = latest(existing);
  const first = last === undefined || stamp(last) < stamp(now) ? now : new Date(last.getTime() + 1000);
  return packageMigrations(project.schema.provider).map(({ name, sql }, i) => ({
    kind: "create",
    path: `${folder}/${stamp(new Date(first.getTime() + i * 1000))}_${copyName(name, i)}/migration.sql`,
    text: sql,
  }));
}
