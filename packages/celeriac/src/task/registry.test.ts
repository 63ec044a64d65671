import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, DuplicateTaskError, TaskDefinitionError } from "../errors.js";
import { defineTask } from "./define.js";
import { discoverTasks } from "./discover.js";
import { Registry } from "./registry.js";
import { scratchFolder } from "../../test/scratch.js";

const make = (name: string) => defineTask({ name, args: z.tuple([]), run: () => name });

describe("Registry", () => {
  it("refuses two tasks of one name from different files, naming both", () => {
    const r = new Registry();
    r.register(make("x"), "tasks/a.ts");
    expect(() => r.register(make("x"), "tasks/b.ts")).toThrow(
      new DuplicateTaskError("x", ["tasks/a.ts", "tasks/b.ts"]).message,
    );
  });
  it("accepts the same task re-exported from another module", () => {
    const r = new Registry();
    const t = make("x");
    r.register(t, "tasks/a.ts");
    r.register(t, "tasks/index.ts");
    expect(r.get("x")).toBe(t);
  });
  it("lets a redefinition without a source (hot reload) replace the old task", () => {
    const r = new Registry();
    r.register(make("x"));
    const newer = make("x");
    r.register(newer);
    expect(r.get("x")).toBe(newer);
  });
});

function taskModule(name: string): string {
  // Plain objects with a task's shape: discovery recognises exported tasks by shape.
  return `export const t = { name: ${JSON.stringify(name)}, args: {}, queue: undefined, priority: undefined, ignoreResult: false, run() { return 1; } };
export const notATask = { name: "nope" };\n`;
}

const tree = (files: Record<string, string>) => scratchFolder("celeriac-discover-", files);

describe("discoverTasks", () => {
  it("imports every module under the directory, recursively, and registers every exported task", async () => {
    const dir = tree({ "a.mjs": taskModule("a.one"), "nested/deeper/b.mjs": taskModule("b.two"), "c.test.mjs": taskModule("skipped") });
    const registry = await discoverTasks(dir);
    expect(registry.names()).toEqual(["a.one", "b.two"]);
  });

  it("stops with an error naming both files when two define one task name", async () => {
    const dir = tree({ "emails.mjs": taskModule("send"), "more/emails.mjs": taskModule("send") });
    const error = await discoverTasks(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateTaskError);
    const rel = (p: string) => relative(process.cwd(), join(dir, p));
    expect((error as Error).message).toBe(
      `task name 'send' is defined twice: in ${rel("emails.mjs")} and in ${rel("more/emails.mjs")}; task names must be unique`,
    );
  });

  it("names the module that fails to load", async () => {
    const dir = tree({ "broken.mjs": "throw new Error('boom at import');\n" });
    await expect(discoverTasks(dir)).rejects.toThrow(TaskDefinitionError);
    await expect(discoverTasks(dir)).rejects.toThrow(/could not load task module .*broken\.mjs: boom at import/);
  });

  it("says so when the directory does not exist", async () => {
    await expect(discoverTasks("/nonexistent/tasks")).rejects.toThrow(ConfigError);
  });
});
