/** The key names of the migration from celeriac 0.2's layout: pure functions, no Redis. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_WIDE_KEY_FAMILIES, moveRank, newKeyName, queueOfOldMetaKey } from "./key-migration.js";

describe("newKeyName", () => {
  it("puts a queue's 0.2 key under the queue's own hash tag, whatever follows the queue's name", () => {
    expect(newKeyName("app", "default", "{app}:default:wait")).toBe("{app:default}:default:wait");
    expect(newKeyName("app", "default", "{app}:default:0b6c-4f:lock")).toBe("{app:default}:default:0b6c-4f:lock");
    expect(newKeyName("my.app-1", "q_2.x", "{my.app-1}:q_2.x:de:abc")).toBe("{my.app-1:q_2.x}:q_2.x:de:abc");
  });

  it("refuses a key of another queue or prefix rather than naming it wrongly", () => {
    expect(() => newKeyName("app", "default", "{app}:defaults:wait")).toThrow("is not a key of queue default under {app}");
    expect(() => newKeyName("app", "default", "{other}:default:wait")).toThrow("is not a key of queue default");
    expect(() => newKeyName("app", "default", "{app:default}:default:wait")).toThrow("is not a key of queue default");
  });
});

describe("queueOfOldMetaKey", () => {
  it("names the queue of a 0.2 meta key", () => {
    expect(queueOfOldMetaKey("app", "{app}:default:meta")).toBe("default");
    expect(queueOfOldMetaKey("app", "{app}:rate:meta")).toBe("rate"); // the caller tells a queue from a rate limit
  });

  it("is undefined for what is no queue's meta: a job's key, another prefix, the new layout", () => {
    expect(queueOfOldMetaKey("app", "{app}:default:job-1:meta")).toBeUndefined();
    expect(queueOfOldMetaKey("app", "{app2}:default:meta")).toBeUndefined();
    expect(queueOfOldMetaKey("app", "{app:default}:default:meta")).toBeUndefined();
    expect(queueOfOldMetaKey("app", "{app}:meta")).toBeUndefined();
    expect(queueOfOldMetaKey("app", "{app}:default:events")).toBeUndefined();
  });
});

describe("moveRank", () => {
  it("moves job data first, then meta, the lists and sets of ids, and the marker last", () => {
    const keys = ["marker", "wait", "job-1", "meta", "job-1:logs", "delayed", "events", "prioritized", "id", "failed"].map((s) => `{app}:q:${s}`);
    const order = [...keys].sort((a, b) => moveRank("app", "q", a) - moveRank("app", "q", b)).map((k) => k.slice("{app}:q:".length));
    expect(order.slice(0, 4).sort()).toEqual(["events", "id", "job-1", "job-1:logs"]);
    expect(order.slice(4)).toEqual(["meta", "wait", "prioritized", "delayed", "failed", "marker"]);
  });
});

describe("APP_WIDE_KEY_FAMILIES", () => {
  it("names every family of app-wide key bullmq.ts makes (its key() calls), so no queue is taken for one of them unnoticed", () => {
    const source = readFileSync(new URL("./bullmq.ts", import.meta.url), "utf8");
    const made = new Set([...source.matchAll(/this\.key\("([^"]+)"/g)].map((m) => m[1]!));
    expect(made.size).toBeGreaterThanOrEqual(8);
    expect([...made].filter((family) => !(APP_WIDE_KEY_FAMILIES as readonly string[]).includes(family))).toEqual([]);
  });
});
