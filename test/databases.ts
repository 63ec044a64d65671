/**
 * Fresh databases for test runs (migrated unless asked not to): a temp SQLite file, or a new PostgreSQL database on the
 * server at TEST_POSTGRES_URL. Each run gets its own and drops it at the end, so runs never collide.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function migrate(url: string): void {
  execFileSync("node_modules/.bin/prisma", ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `{ migrate: false }` leaves it empty, as a fresh DATABASE_URL before `npm run db:deploy`. */
export async function createTestDatabase(kind: "sqlite" | "postgres", label = "test", { migrate: migrated = true } = {}): Promise<TestDatabase> {
  const name = `celeriac_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
  if (kind === "sqlite") {
    const file = join(tmpdir(), `${name}.db`);
    const url = `file:${file}`;
    if (migrated) migrate(url);
    return { url, drop: async () => rmSync(file, { force: true }) };
  }
  await onServer((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  if (migrated) migrate(url.toString());
  return {
    url: url.toString(),
    drop: () => onServer((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
