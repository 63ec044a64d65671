import { describe, expect, it } from "vitest";
import { NotJsonError } from "./errors.js";
import { assertJsonArgs, jsonProblem, MAX_JSON_NESTING, nestedDeeperThan } from "./json.js";

class User {
  constructor(readonly id: number) {}
}

describe("assertJsonArgs", () => {
  it("accepts JSON values: numbers, strings, booleans, null, arrays, plain and null-prototype objects", () => {
    expect(() => assertJsonArgs([1, "a", true, null, [1, [2]], { a: { b: [null] } }, Object.create(null)], 1024)).not.toThrow();
  });

  it.each([
    ["a Date", [new Date()], /argument 0 \(args\[0\]\) is a Date; pass date\.toISOString\(\)/],
    ["a class instance", [1, new User(7)], /argument 1 \(args\[1\]\) is an instance of User; pass its id/],
    ["a function", [() => 1], /argument 0 \(args\[0\]\) is a function/],
    ["a BigInt", [10n], /argument 0 \(args\[0\]\) is a BigInt; pass it as a string/],
    ["undefined", [undefined], /is undefined; use null/],
    ["NaN", [NaN], /the number NaN/],
    ["Infinity", [{ x: Infinity }], /argument 0 \(args\[0\]\.x\) is the number Infinity/],
    ["a Map", [new Map()], /an instance of Map/],
    ["a Symbol", [Symbol("s")], /a Symbol/],
    ["a nested Date", [{ order: { items: [{ when: new Date() }] } }], /argument 0 \(args\[0\]\.order\.items\[0\]\.when\) is a Date/],
    ["a NUL character", ["a\u0000b"], /argument 0 \(args\[0\]\) is a string containing a NUL character/],
    ["an unpaired surrogate", [{ s: "\ud800x" }], /argument 0 \(args\[0\]\.s\) is a string containing an unpaired surrogate \(\\ud800\)/],
    ["a NUL character in a key", [{ ok: { "a\u0000": 1 } }], /argument 0 \(args\[0\]\.ok\["a\\u0000"\]\) is a key containing a NUL character/],
    ["an unpaired surrogate in a key", [[{ "\ud800": 1 }]], /argument 0 \(args\[0\]\[0\]\["\\ud800"\]\) is a key containing an unpaired surrogate \(\\ud800\)/],
  ])("refuses %s, naming where it is", (_label, args, message) => {
    expect(() => assertJsonArgs(args, 1024)).toThrow(NotJsonError);
    expect(() => assertJsonArgs(args, 1024)).toThrow(message);
  });

  it("refuses a cyclic structure", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(() => assertJsonArgs([a], 1024)).toThrow(/argument 0 \(args\[0\]\.self\) is a reference back to itself/);
  });

  it("accepts the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(() => assertJsonArgs([shared, [shared, shared]], 1024)).not.toThrow();
  });

  it("refuses a hole in a sparse array, which JSON would turn into null", () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(() => assertJsonArgs([[1, , 3]], 1024)).toThrow(/argument 0 \(args\[0\]\[1\]\) is undefined/);
  });

  it(`accepts nesting ${MAX_JSON_NESTING} levels deep, and refuses deeper with NotJsonError (not a stack overflow), however deep`, () => {
    const nested = (levels: number, leaf: unknown = 1) => {
      let value = leaf;
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    expect(() => assertJsonArgs([nested(MAX_JSON_NESTING)], 1024)).not.toThrow();
    for (const levels of [MAX_JSON_NESTING + 1, 10_000, 1_000_000]) {
      const error = (() => {
        try {
          assertJsonArgs([1, nested(levels)], 1 << 30);
        } catch (e) {
          return e;
        }
      })();
      expect(error, `${levels} levels`).toBeInstanceOf(NotJsonError);
      expect((error as Error).message).toMatch(new RegExp(`^argument 1 \\(args\\[1\\](\\[0\\]){${MAX_JSON_NESTING}}\\) is nested more than ${MAX_JSON_NESTING} levels deep; flatten it, or store it and pass its id$`));
    }
    // What the bound is for: a serializer on the way to Redis and the database recurses, and overflows.
    expect(() => JSON.stringify([nested(10_000)])).toThrow(RangeError);
  });

  it("refuses a payload over the size limit, saying how big it is", () => {
    const big = "x".repeat(300 * 1024);
    expect(() => assertJsonArgs([big], 256 * 1024)).toThrow(/the arguments are 30720\d bytes, over the 262144-byte limit/);
    expect(() => assertJsonArgs(["x".repeat(100)], 256 * 1024)).not.toThrow();
  });
});

describe("jsonProblem (task return values)", () => {
  it("accepts undefined (stored as null) and JSON values", () => {
    expect(jsonProblem(undefined)).toBeUndefined();
    expect(jsonProblem({ ok: [1, "2"] })).toBeUndefined();
  });
  it("refuses a value nested past the limit", () => {
    let deep: unknown = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(jsonProblem(deep)).toMatch(new RegExp(`^the return value(\\.a){${MAX_JSON_NESTING}} is nested more than ${MAX_JSON_NESTING} levels deep`));
  });

  it("names a non-JSON value", () => {
    expect(jsonProblem({ at: new Date() })).toBe("the return value.at is a Date; pass date.toISOString() or a timestamp");
  });

  it("refuses a key PostgreSQL cannot store, naming it escaped so the message itself can be stored", () => {
    const problem = jsonProblem({ "a\u0000": 1 });
    expect(problem).toBe('the return value["a\\u0000"] is a key containing a NUL character (\\u0000), which PostgreSQL cannot store');
    expect(problem).not.toContain("\u0000");
    expect(jsonProblem({ ok: { "x\udc00": [1] } })).toMatch(/^the return value\.ok\["x\\udc00"\] is a key containing an unpaired surrogate/);
  });
});

describe("nestedDeeperThan (parsed JSON: request bodies)", () => {
  it(`counts objects and arrays, at most ${MAX_JSON_NESTING} levels by default, without recursion however deep`, () => {
    expect(nestedDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [{ b: [] }] }, 3)).toBe(true);
    const deep = (levels: number) => JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`);
    expect(nestedDeeperThan(deep(MAX_JSON_NESTING))).toBe(false);
    expect(nestedDeeperThan(deep(MAX_JSON_NESTING + 1))).toBe(true);
    expect(nestedDeeperThan(deep(100_000))).toBe(true);
  });
});
