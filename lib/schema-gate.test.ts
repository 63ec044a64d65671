/**
 * SchemaGate's states and its log, on a check whose answers the test sets (the real database behind it is
 * test/server-boot.int.test.ts's): closed while the database is not migrated, open again once it is, a
 * database that cannot be checked leaves it as it was, and each state is logged once per interval.
 */
import { describe, expect, it } from "vitest";
import { SchemaNotReadyError } from "celeriac/errors";
import { SchemaGate } from "./schema-gate";

const NOT_MIGRATED = new SchemaNotReadyError("the database at file:/srv/app.db is not migrated (missing: TaskResult): run npm run db:deploy");

function gate(answers: Array<"ready" | "not migrated" | "unreachable">, logIntervalMs = 60_000) {
  const lines: string[] = [];
  const log = { error: (m: string) => lines.push(`error ${m}`), warn: (m: string) => lines.push(`warn ${m}`), info: (m: string) => lines.push(`info ${m}`) };
  let checks = 0;
  const check = async () => {
    const answer = answers[Math.min(checks++, answers.length - 1)];
    if (answer === "not migrated") throw NOT_MIGRATED;
    if (answer === "unreachable") throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432\n    at stack frame"), { code: "ECONNREFUSED" });
  };
  const g = new SchemaGate({ check, recheckMs: 60_000, logIntervalMs, log });
  return { g, lines, checks: () => checks };
}

describe("SchemaGate", () => {
  it("is open on a migrated database, and checks it once", async () => {
    const { g, lines, checks } = gate(["ready"]);
    await g.check();
    expect([g.closed, lines, checks()]).toEqual([false, [], 1]);
  });

  it("closes while the database is not migrated, logging the full message once per interval, and opens once it is", async () => {
    const { g, lines } = gate(["not migrated", "not migrated", "not migrated", "ready"]);
    await g.check();
    expect(g.closed).toBe(true);
    await g.check();
    await g.check();
    expect(g.closed).toBe(true);
    expect(lines).toEqual([`error ${NOT_MIGRATED.message}; every request is answered 503 until then (checked again every 60 s)`]);
    await g.check();
    expect(g.closed).toBe(false);
    expect(lines.at(-1)).toBe("info the database is migrated now: serving requests again");
    g.stop();
  });

  it("logs again once the interval has passed", async () => {
    const { g, lines } = gate(["not migrated"], 20);
    await g.check();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await g.check();
    expect(lines).toHaveLength(2);
    g.stop();
  });

  it("does not close for a database it cannot reach, and stays closed if it was: it says so once, in a line", async () => {
    const unreachable = gate(["unreachable", "unreachable", "ready"]);
    await unreachable.g.check();
    await unreachable.g.check();
    expect(unreachable.g.closed).toBe(false);
    expect(unreachable.lines).toEqual(["warn could not check the database's schema (connect ECONNREFUSED 127.0.0.1:5432); checked again every 60 s"]);
    await unreachable.g.check();
    expect(unreachable.checks()).toBe(3);

    const closed = gate(["not migrated", "unreachable"]);
    await closed.g.check();
    await closed.g.check();
    expect(closed.g.closed).toBe(true);
    closed.g.stop();
  });

  it("runs one check at a time", async () => {
    const { g, checks } = gate(["ready"]);
    await Promise.all([g.check(), g.check(), g.check()]);
    expect(checks()).toBe(1);
  });

  it("checks again by itself every recheckMs until the database is ready", async () => {
    let calls = 0;
    const g = new SchemaGate({
      check: async () => {
        if (++calls < 3) throw NOT_MIGRATED;
      },
      recheckMs: 10,
      logIntervalMs: 60_000,
      log: { error() {}, warn() {}, info() {} },
    });
    await g.check();
    expect(g.closed).toBe(true);
    await expect.poll(() => g.closed, { timeout: 2000 }).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(3);
  });
});
