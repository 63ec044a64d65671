/** missingFromError() on the errors the drivers really raise for a table or column that is not there. */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { missingFromError } from "./schema-check.js";

/** The error better-sqlite3 raises for `statement` on a database with one table, t(a). */
function sqliteError(statement: string): unknown {
  const db = new Database(":memory:");
  try {
    db.exec(`CREATE TABLE "t" ("a" TEXT)`);
    db.prepare(statement).run();
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error(`${statement} did not fail`);
}

describe("missingFromError", () => {
  it("names what SQLite says is missing: a table, a column, or Table.column for an insert's target", () => {
    expect(missingFromError(sqliteError(`SELECT * FROM "TaskResult"`))).toBe("TaskResult");
    expect(missingFromError(sqliteError(`SELECT "owner" FROM "t"`))).toBe("owner");
    expect(missingFromError(sqliteError(`UPDATE "t" SET "owner" = 1`))).toBe("owner");
    expect(missingFromError(sqliteError(`SELECT "t"."owner" FROM "t"`))).toBe("t.owner");
    expect(missingFromError(sqliteError(`INSERT INTO "t" ("a", "owner") VALUES (1, 2)`))).toBe("t.owner");
  });

  it("names Table.column from PostgreSQL's words for an insert's target, the name alone otherwise", () => {
    const pg = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(missingFromError(pg("42703", 'column "owner" of relation "TaskResult" does not exist'))).toBe("TaskResult.owner");
    expect(missingFromError(pg("42703", 'column "owner" does not exist'))).toBe("owner");
    expect(missingFromError(pg("42P01", 'relation "TaskOutbox" does not exist'))).toBe("TaskOutbox");
  });

  it("is undefined for any other error", () => {
    expect(missingFromError(sqliteError(`INSERT INTO "t" VALUES (1, 2)`))).toBeUndefined();
    expect(missingFromError(new Error("connect ECONNREFUSED"))).toBeUndefined();
  });
});
