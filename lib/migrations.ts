/**
 * The Prisma migrations this build ships, for celeriac's start-up check (a database that has not applied
 * one of them is "not migrated"). They are the folders of prisma/<provider>/migrations, found by walking up
 * from this module, so `tsx worker.ts`, the compiled `node dist/worker.js` (its chunks under dist/) and
 * `next start` find the same folder from any working directory. `npm run db:deploy` needs that folder
 * too, so it is where the app is deployed; when it is not there, only celeriac's own tables are checked.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPostgresUrl } from "celeriac/states";

/** The migration names for the database's provider, oldest first (Prisma names them by timestamp); undefined when not deployed. */
export function shippedMigrations(databaseUrl: string, from: string = fileURLToPath(import.meta.url)): string[] | undefined {
  const provider = isPostgresUrl(databaseUrl) ? "postgres" : "sqlite";
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const folder = join(/* turbopackIgnore: true */ dir, "prisma", provider, "migrations");
    if (existsSync(folder)) {
      return readdirSync(folder, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    }
    if (dirname(dir) === dir) return undefined;
  }
}
