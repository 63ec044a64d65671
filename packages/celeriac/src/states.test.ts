import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { isPostgresUrl, isSqliteUrl, isTaskId, PERIOD_MS, PERIODS, taskIdProblem } from "./states.js";
import { parseRate } from "./task/rate.js";

/** Every module `entry` reaches, and each import of a package or Node module on the way. */
function importGraph(entry: string): { modules: string[]; external: string[] } {
  const seen = new Set<string>();
  const external: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:import|export)\s[^;]*?from\s*"([^"]+)"|import\(\s*"([^"]+)"/g)) {
      if (spec.startsWith(".")) walk(join(dirname(file), spec.replace(/\.js$/, ".ts")));
      else external.push(`${relative(import.meta.dirname, file)}: ${spec}`);
    }
  };
  walk(join(import.meta.dirname, entry));
  return { modules: [...seen].map((file) => relative(import.meta.dirname, file)).sort(), external };
}

describe("the client-safe entries: a client component bundles them", () => {
  it("celeriac/states imports only its own leaf modules: no Node module, no dependency", () => {
    const { modules, external } = importGraph("states.ts");
    expect(external).toEqual([]);
    expect(modules).toEqual(["beat/kinds.ts", "broker/redis-url.ts", "log-levels.ts", "states.ts", "task/id.ts", "task/progress.ts", "units.ts", "url.ts"]);
  });

  it("celeriac/errors imports only text.ts (no zod: safeText lives in safe-text.ts)", () => {
    const { modules, external } = importGraph("errors.ts");
    expect(external).toEqual([]);
    expect(modules).toEqual(["errors.ts", "text.ts"]);
  });
});

describe("the task-id rule", () => {
  it("takes 1 to 200 of [A-Za-z0-9_.-], not all digits", () => {
    expect(isTaskId("0b7c3c55-2f1e-4a43-9f0e-6d1f0c2e9a11")).toBe(true);
    expect(isTaskId("welcome.user-42")).toBe(true);
    expect(isTaskId("x".repeat(200))).toBe(true);
    expect(taskIdProblem("x".repeat(201))).toMatch(/1 to 200/);
    expect(taskIdProblem("")).toMatch(/1 to 200/);
    expect(taskIdProblem("has:colon")).toMatch(/letters, digits/);
    expect(taskIdProblem("12345")).toMatch(/must not be all digits/);
  });
});

describe("database URLs", () => {
  it("tells PostgreSQL from SQLite as the result store does", () => {
    expect(isPostgresUrl("postgresql://u@h:5432/db")).toBe(true);
    expect(isPostgresUrl("postgres://u@h/db")).toBe(true);
    expect(isPostgresUrl("postgresql:db")).toBe(false);
    expect(isPostgresUrl("file:./dev.db")).toBe(false);
    expect(isSqliteUrl("file:./dev.db")).toBe(true);
    expect(isSqliteUrl("mysql://h/db")).toBe(false);
  });
});

describe("periods and rates share one unit table", () => {
  it("lists the periods largest first", () => {
    expect(PERIODS).toEqual(["days", "hours", "minutes", "seconds", "milliseconds"]);
    expect(PERIOD_MS.hours).toBe(3_600_000);
  });

  it("parses a rate, and refuses what the limiter cannot run", () => {
    expect(parseRate("10/s")).toEqual({ count: 10, unit: "s", perSecond: 10, intervalMs: 100 });
    expect(parseRate("120/m")).toMatchObject({ perSecond: 2, intervalMs: 500 });
    expect(parseRate("1/h")?.intervalMs).toBe(3_600_000);
    for (const bad of ["0/s", "10/d", "fast", "10 /s", "1.5/s"]) expect(parseRate(bad), bad).toBeUndefined();
  });
});
