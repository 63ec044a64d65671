/**
 * checkDatabase()'s reading of connection errors, with a database that fails as drivers do: what it waits
 * for (unreachable: said once per attempt, by its code), and what it refuses at once.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import type { SchemaStatus } from "./results/schema-check.js";
import { checkDatabase, checkDatabaseOnce } from "./startup.js";

const READY: SchemaStatus = { missing: [], pending: [], failed: [], unknown: [] };
const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

/** A database whose first checks fail with `failures`, then answers; and what was logged. */
function database(...failures: unknown[]) {
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
  const app = {
    backend: { description: "postgresql://app:****@db/app" },
    schema: { assertReady: async () => (failures.length ? Promise.reject(failures.shift()) : READY), newer: () => undefined },
  } as unknown as Parameters<typeof checkDatabase>[0];
  return { app, log, warnings };
}

describe("checkDatabase", () => {
  it("waits while the database cannot be reached, saying why by the error's code, an AggregateError's included", async () => {
    const refused = new AggregateError([coded("EADDRNOTAVAIL"), coded("ECONNREFUSED")], "connect failed");
    const { app, log, warnings } = database(coded("ECONNREFUSED"), coded("57P03", "the database system is starting up"), refused, new Error("Connection terminated unexpectedly"));
    await checkDatabase(app, log, 1);
    expect(warnings).toEqual([
      "waiting for the database at postgresql://app:****@db/app (ECONNREFUSED); retrying every 0.001 s",
      "waiting for the database at postgresql://app:****@db/app (57P03); retrying every 0.001 s",
      "waiting for the database at postgresql://app:****@db/app (ECONNREFUSED); retrying every 0.001 s",
      "waiting for the database at postgresql://app:****@db/app (Connection terminated unexpectedly); retrying every 0.001 s",
    ]);
  });

  it("refuses at once what waiting does not mend, with the driver's words", async () => {
    const { app, log, warnings } = database(coded("28P01", 'password authentication failed for user "app"'));
    const error = await checkDatabase(app, log, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('could not use the database at postgresql://app:****@db/app: password authentication failed for user "app"');
    expect(warnings).toEqual([]);
  });
});

describe("checkDatabaseOnce", () => {
  it("says at once that the database does not answer, by its code", async () => {
    const { app } = database(coded("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"));
    await expect(checkDatabaseOnce(app)).rejects.toThrow("could not reach the database at postgresql://app:****@db/app (ECONNREFUSED): is it running, and is DATABASE_URL right?");
  });
});
