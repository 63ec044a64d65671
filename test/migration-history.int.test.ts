/**
 * Both migration histories are exactly their schemas: `prisma migrate diff` from the history (replayed on a
 * shadow database) to the models finds nothing to do, for the demo's (prisma/<provider>/migrations against
 * prisma/<provider>) and for the package's own set (packages/celeriac/prisma/migrations/<provider> against
 * prisma/celeriac.prisma alone, what `celeriac init` copies into an app). The migrations are written by hand
 * as migrate diff printed them; this keeps every later one honest (an index or column in the models and not
 * in a migration, or the other way round, is a diff). On the run's database kind (CELERIAC_TEST_DB).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_POSTGRES_URL } from "./databases";

const postgres = process.env.CELERIAC_TEST_DB === "postgres";
const scratch = mkdtempSync(join(tmpdir(), "celeriac-migration-history-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** migrate diff with the demo's prisma.config (its adapter makes the shadow database); the script it prints, "" when there is nothing to do. */
async function diff(migrations: string, schema: string): Promise<string> {
  // The URL only picks the provider and the server the shadow database goes on; nothing is written to it.
  const url = postgres ? TEST_POSTGRES_URL : `file:${join(scratch, "unused.db")}`;
  const { stdout } = await promisify(execFile)("node_modules/.bin/prisma", ["migrate", "diff", "--from-migrations", migrations, "--to-schema-datamodel", schema, "--script"], {
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
    timeout: 120_000,
  });
  return stdout.replace("-- This is an empty migration.", "").trim();
}

describe(`the migration histories on ${postgres ? "PostgreSQL" : "SQLite"}`, () => {
  it("the demo's migrations make exactly its schema", { timeout: 150_000 }, async () => {
    const flavour = postgres ? "postgres" : "sqlite";
    expect(await diff(`prisma/${flavour}/migrations`, `prisma/${flavour}`)).toBe("");
  });

  it("the package's migrations make exactly prisma/celeriac.prisma", { timeout: 150_000 }, async () => {
    const provider = postgres ? "postgresql" : "sqlite";
    // celeriac's models and a datasource, nothing else (the package's test schema adds its own TestItem).
    const schema = join(scratch, "package-schema");
    mkdirSync(schema);
    copyFileSync("packages/celeriac/prisma/celeriac.prisma", join(schema, "celeriac.prisma"));
    copyFileSync(`packages/celeriac/test/prisma/${postgres ? "postgres" : "sqlite"}/schema.prisma`, join(schema, "schema.prisma"));
    expect(await diff(`packages/celeriac/prisma/migrations/${provider}`, schema)).toBe("");
  });
});
