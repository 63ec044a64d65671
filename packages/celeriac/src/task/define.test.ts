import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TaskDefinitionError } from "../errors.js";
import { defineTask } from "./define.js";
import { parseArgs } from "./validate.js";

const ok = { name: "a.b", args: z.tuple([z.number()]), run: () => 1 };

describe("defineTask", () => {
  it("returns a frozen definition with defaults", () => {
    const t = defineTask(ok);
    expect(t).toMatchObject({ name: "a.b", queue: undefined, priority: undefined, ignoreResult: undefined });
    expect(Object.isFrozen(t)).toBe(true);
  });

  it.each([
    ["an empty name", { ...ok, name: "" }, /a task name starts with a letter/],
    ["a name with spaces", { ...ok, name: "send mail" }, /a task name starts with a letter/],
    ["args that are not a zod tuple", { ...ok, args: z.object({}) }, /'args' must be a zod tuple/],
    ["a missing run", { ...ok, run: undefined }, /'run' must be a function/],
    ["an owner that is not a function", { ...ok, owner: "user:1" }, /'owner' must be a function of the arguments/],
    ["a bad queue name", { ...ok, queue: "no spaces" }, /invalid queue name/],
    ["priority 0", { ...ok, priority: 0 }, /priority must be an integer from 1/],
    ["a fractional priority", { ...ok, priority: 1.5 }, /priority must be an integer from 1/],
    ["a rate that is no rate", { ...ok, rateLimit: "fast" }, /rateLimit 'fast' must look like "10\/s"/],
    ["a rate of zero (the limiter refused it only when the task ran)", { ...ok, rateLimit: "0/s" }, /rateLimit '0\/s' must look like/],
    ["redactArgs that is neither true nor positions", { ...ok, redactArgs: [-1] }, /redactArgs is true \(every argument\) or a list of argument positions/],
    ["redactArgs false (leave it out to show the arguments)", { ...ok, redactArgs: false }, /redactArgs is true/],
  ])("refuses %s when the module loads", (_label, options, message) => {
    expect(() => defineTask(options as never)).toThrow(TaskDefinitionError);
    expect(() => defineTask(options as never)).toThrow(message);
  });
});

describe("parseArgs", () => {
  const t = defineTask({ name: "p", args: z.tuple([z.number().int(), z.string().default("x")]), run: () => 0 });
  it("applies the schema's defaults", () => {
    expect(parseArgs(t, [1])).toEqual({ ok: true, args: [1, "x"] });
  });
  it("reports each bad argument by position", () => {
    const r = parseArgs(t, [1.5, 2]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^invalid arguments for task 'p': argument 0: .*expected int.*; argument 1: .*expected string/);
  });
  it("reports a wrong number of arguments", () => {
    const r = parseArgs(t, [1, "a", "extra"]);
    expect(!r.ok && r.message).toMatch(/invalid arguments for task 'p'/);
  });
});
