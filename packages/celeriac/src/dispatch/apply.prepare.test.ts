import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { resolveConfig } from "../config.js";
import { DispatchError, InvalidArgumentsError, NotJsonError } from "../errors.js";
import { defineTask } from "../task/define.js";
import { prepare } from "./apply.js";

const config = resolveConfig({ defaultQueue: "celery" });
const add = defineTask({ name: "add", args: z.tuple([z.number(), z.number()]), run: (_c, x, y) => x + y });
const heavy = defineTask({ name: "heavy", args: z.tuple([]), queue: "heavy", priority: 5, run: () => 0 });

describe("prepare (what .delay/.applyAsync send)", () => {
  it("builds a message with a new UUID, the args as given, and the default queue", () => {
    const { message, publish } = prepare(add, [1, 2], undefined, config);
    expect(message).toMatchObject({ task: "add", args: [1, 2], queue: "celery", retries: 0 });
    expect(message.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(publish).toEqual({ delayMs: 0, priority: undefined });
  });

  it("picks the queue: call option over task option over defaultQueue", () => {
    expect(prepare(heavy, [], undefined, config).message.queue).toBe("heavy");
    expect(prepare(heavy, [], { queue: "urgent" }, config).message.queue).toBe("urgent");
    expect(prepare(heavy, [], undefined, config).publish.priority).toBe(5);
    expect(prepare(heavy, [], { priority: 1 }, config).publish.priority).toBe(1);
  });

  it("turns countdown (seconds) and eta into a delay", () => {
    vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
    try {
      expect(prepare(add, [1, 2], { countdown: 1.5 }, config).publish.delayMs).toBe(1500);
      expect(prepare(add, [1, 2], { eta: "2026-01-01T00:01:00Z" }, config).publish.delayMs).toBe(60_000);
      expect(prepare(add, [1, 2], { eta: new Date("2025-01-01") }, config).publish.delayMs).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads a number for expires as seconds from now, a Date or ISO string as an instant", () => {
    vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
    try {
      const now = Date.now();
      expect(prepare(add, [1, 2], { expires: 30 }, config).message.expires).toBe(now + 30_000);
      expect(prepare(add, [1, 2], { expires: 86_400 * 365 }, config).message.expires).toBe(now + 86_400 * 365 * 1000);
      expect(prepare(add, [1, 2], { expires: new Date(now + 5000) }, config).message.expires).toBe(now + 5000);
      expect(prepare(add, [1, 2], { expires: "2026-01-01T00:00:10Z" }, config).message.expires).toBe(now + 10_000);
      expect(prepare(add, [1, 2], undefined, config).message.expires).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses arguments that fail the schema, naming the argument", () => {
    expect(() => prepare(add, [1, "2"], undefined, config)).toThrow(InvalidArgumentsError);
    expect(() => prepare(add, [1, "2"], undefined, config)).toThrow(/argument 1: .*expected number/);
  });

  it("refuses non-JSON arguments before the schema sees them", () => {
    const anything = defineTask({ name: "any", args: z.tuple([z.any()]), run: () => 0 });
    expect(() => prepare(anything, [new Date()], undefined, config)).toThrow(NotJsonError);
  });

  it("refuses arguments nested 10,000 levels deep with NotJsonError, a DispatchError (a route's 400), not a stack overflow", () => {
    const json = defineTask({ name: "json", args: z.tuple([z.json()]), run: () => 0 });
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const refusal = (() => {
      try {
        prepare(json, [deep], undefined, config);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(NotJsonError);
    expect(refusal).toBeInstanceOf(DispatchError);
    expect((refusal as Error).message).toMatch(/^argument 0 \(args\[0\](\[0\])+\) is nested more than 100 levels deep/);
  });

  it("records no owner unless the call or the task names one; the call's wins", () => {
    const mail = defineTask({ name: "mail", args: z.tuple([z.number().int()]), owner: (userId) => `user:${userId}`, run: () => 0 });
    expect(prepare(add, [1, 2], undefined, config).message).not.toHaveProperty("owner");
    expect(prepare(add, [1, 2], { owner: "user:5" }, config).message.owner).toBe("user:5");
    expect(prepare(mail, [42], undefined, config).message.owner).toBe("user:42");
    expect(prepare(mail, [42], { owner: "staff" }, config).message.owner).toBe("staff");
  });

  it("derives the task's owner from the parsed arguments, and checks what it returns", () => {
    const trimmed = defineTask({ name: "trimmed", args: z.tuple([z.string().trim()]), owner: (name) => `user:${name}`, run: () => 0 });
    expect(prepare(trimmed, ["  ada "], undefined, config).message.owner).toBe("user:ada");
    expect(() => prepare(trimmed, ["a b"], undefined, config)).toThrow(DispatchError);
    expect(() => prepare(trimmed, ["a b"], undefined, config)).toThrow(/task 'trimmed': its owner\(\) returned an invalid owner/);
    const none = defineTask({ name: "none", args: z.tuple([]), owner: () => undefined, run: () => 0 });
    expect(prepare(none, [], undefined, config).message).not.toHaveProperty("owner");
  });

  it.each([
    [{ owner: "" }, /owner/],
    [{ owner: "user 1" }, /owner: printable ASCII without spaces/],
    [{ owner: "ü" }, /owner/],
    [{ owner: "x".repeat(201) }, /owner/],
    [{ owner: 42 }, /owner/],
    [{ countdown: -1 }, /countdown/],
    [{ countdown: 1, eta: new Date() }, /countdown or eta, not both/],
    [{ priority: 0 }, /priority/],
    [{ queue: "a b" }, /queue/],
    [{ taskId: "12345" }, /must not be all digits/],
    [{ taskId: "has:colon" }, /taskId/],
    [{ eta: "tomorrow" }, /eta/],
    // A timestamp is no longer read as an instant (before 0.2.0, any number ≥ 1e11 was).
    [{ expires: Date.now() + 60_000 }, /expires: a number is seconds from now; for an instant pass a Date/],
    [{ expires: 0 }, /expires/],
    [{ retries: 3 }, /Unrecognized key/],
  ])("refuses bad options %j", (options, message) => {
    expect(() => prepare(add, [1, 2], options as never, config)).toThrow(DispatchError);
    expect(() => prepare(add, [1, 2], options as never, config)).toThrow(message);
  });
});
