/** The key names of the migration from celeriac 0.2's layout: pure functions, no Redis. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_WIDE_KEY_FAMILIES, newKeyName, queueOfOldMetaKey, roleOf, targetName } from "./key-migration.js";

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

describe("roleOf and targetName", () => {
  it("tells the meta, the keys an old producer pushes to (at their name or staged), and job data apart", () => {
    const role = (suffix: string) => roleOf("app", "q", `{app}:q:${suffix}`);
    expect(role("meta")).toEqual({ role: "meta" });
    for (const suffix of ["wait", "paused", "prioritized", "delayed", "failed", "completed", "stalled", "id", "marker"]) {
      expect(role(suffix), suffix).toEqual({ role: "unstaged", suffix });
      expect(role(`${suffix}:migrating`), suffix).toEqual({ role: "staged", suffix });
    }
    for (const suffix of ["job-1", "job-1:logs", "job-1:lock", "events", "stalled-check", "meta:migrating", "job-1:migrating"]) expect(role(suffix), suffix).toEqual({ role: "data" });
  });

  it("gives a staged key its per-queue name without the staging suffix", () => {
    expect(targetName("app", "q", "{app}:q:wait:migrating")).toBe("{app:q}:q:wait");
    expect(targetName("app", "q", "{app}:q:wait")).toBe("{app:q}:q:wait");
    expect(targetName("app", "q", "{app}:q:job-1:migrating")).toBe("{app:q}:q:job-1:migrating");
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
