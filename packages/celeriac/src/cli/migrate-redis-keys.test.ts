/** `celeriac migrate-redis-keys`' arguments and report, from made-up migrations: no Redis. */
import { describe, expect, it } from "vitest";
import type { Migration, QueueMove } from "../broker/key-migration.js";
import { ConfigError } from "../errors.js";
import { oldLayoutWarning } from "../worker/old-layout-warning.js";
import { parseMigrateArgs, renderMigration, runMigrateCli } from "./migrate-redis-keys.js";

const jobs = { waiting: 3, prioritized: 1, delayed: 2, active: 0, failed: 1, paused: false };
const move = (queue: string, more: Partial<QueueMove> = {}): QueueMove => ({ queue, jobs, keys: 12, moved: 12, inBoth: 0, left: [], stillWritten: false, ...more });
const migration = (more: Partial<Migration> = {}): Migration => ({ keyPrefix: "app", dryRun: false, refusals: [], queues: [], collisions: [], elapsedMs: 420, ...more });

describe("parseMigrateArgs", () => {
  it("takes --dry-run, --force and --help, short or long", () => {
    expect(parseMigrateArgs([])).toEqual({ help: false, dryRun: false, force: false });
    expect(parseMigrateArgs(["--dry-run", "-f"])).toEqual({ help: false, dryRun: true, force: true });
    expect(parseMigrateArgs(["-n", "-h"])).toEqual({ help: true, dryRun: true, force: false });
  });

  it("refuses anything else with a ConfigError", () => {
    expect(() => parseMigrateArgs(["--queues", "a"])).toThrow(ConfigError);
    expect(() => parseMigrateArgs(["default"])).toThrow(ConfigError);
  });
});

describe("renderMigration", () => {
  it("a line per queue and a total", () => {
    const report = renderMigration(migration({ queues: [move("default", { jobs: { ...jobs, paused: true } }), move("heavy", { inBoth: 2 })] }));
    expect(report).toEqual({
      ok: true,
      stderr: "",
      stdout:
        "default: moved 12 of 12 keys (3 waiting, 1 prioritized, 2 delayed, 1 failed; paused)\n" +
        "heavy: moved 12 of 12 keys, 2 merged into keys the new layout had (3 waiting, 1 prioritized, 2 delayed, 1 failed)\n" +
        "total: moved 24 of 24 keys of 2 queues (14 jobs) to the per-queue layout in 0.4 s\n",
    });
  });

  it("a dry run says what it would move", () => {
    const report = renderMigration(migration({ dryRun: true, queues: [move("default", { moved: 0, inBoth: 1 })] }));
    expect(report.ok).toBe(true);
    expect(report.stdout).toBe(
      "default: would move 12 keys, 1 of them at a new name already (3 waiting, 1 prioritized, 2 delayed, 1 failed)\n" +
        "total: would move 12 keys of 1 queue (7 jobs) to the per-queue layout; nothing was moved (dry run)\n",
    );
  });

  it("a refusal says why on stderr, and that nothing moved; not ok", () => {
    const report = renderMigration(migration({ refusals: ["1 worker of this app is alive (w pid 1): …"], queues: [move("default", { moved: 0 })] }));
    expect(report.ok).toBe(false);
    expect(report.stdout).toBe("default: not moved: 12 keys (3 waiting, 1 prioritized, 2 delayed, 1 failed)\n");
    expect(report.stderr).toBe("Error: not migrating: 1 worker of this app is alive (w pid 1): ….\nNothing was moved of 12 keys of 1 queue (7 jobs); --force migrates anyway.\n");
  });

  it("keys left in both layouts and queues named like app-wide keys are not ok, and named", () => {
    const left = Array.from({ length: 7 }, (_, i) => `{app}:q:k${i}`);
    const report = renderMigration(migration({ queues: [move("q", { moved: 5, inBoth: 7, left })], collisions: ["rate"] }));
    expect(report.ok).toBe(false);
    // Every key found at a new name was left: none merged, so no "0 merged" clause.
    expect(report.stdout).toContain("q: moved 5 of 12 keys (3 waiting, 1 prioritized, 2 delayed, 1 failed)\n");
    expect(report.stdout).toContain("left in both layouts, their values differ (--force lets the old one replace the new): {app}:q:k0, {app}:q:k1, {app}:q:k2, {app}:q:k3, {app}:q:k4, … (7 in all)");
    expect(report.stderr).toContain("Error: queue rate not moved: its old keys {app}:rate:* share their names with celeriac's own {app}:rate:* keys");
    expect(report.stderr).toContain("Error: 7 keys left in both layouts (above)");
  });

  it("a queue an old process kept sending to through every pass is not ok, and says to stop it and run again", () => {
    const report = renderMigration(migration({ queues: [move("default", { stillWritten: true }), move("other")] }));
    expect(report.ok).toBe(false);
    expect(report.stdout).toContain("default: moved 12 of 12 keys (3 waiting, 1 prioritized, 2 delayed, 1 failed)\n  still written under the old layout after every pass");
    expect(report.stderr).toBe("Error: new jobs kept arriving under the old layout (default): stop every process of the old version, then run again to move them.\n");
  });

  it("nothing to move is fine", () => {
    expect(renderMigration(migration())).toEqual({ ok: true, stderr: "", stdout: "nothing to move: no queue under {app} uses celeriac 0.2's key layout\n" });
  });
});

describe("runMigrateCli", () => {
  const app = (redisKeyLayout: "per-queue" | "one-slot") => {
    const state = { closed: false };
    return { state, app: { config: { redisUrl: "redis://127.0.0.1:1", keyPrefix: "app", redisKeyLayout }, close: async () => void (state.closed = true) } };
  };
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
  };

  it("bad usage is exit 2 with the usage; an app that reads the old layout is refused (exit 1) before Redis is asked; the app is closed", async () => {
    const a = app("per-queue");
    const o = io();
    expect(await runMigrateCli(a.app, ["--queue"], o.io)).toBe(2);
    expect(o.out.stderr).toMatch(/^error: .*--queue[\s\S]*usage: celeriac migrate-redis-keys/);
    expect(a.state.closed).toBe(true);
    const b = app("one-slot");
    const p = io();
    expect(await runMigrateCli(b.app, [], p.io)).toBe(1);
    expect(p.out.stderr).toMatch(/redisKeyLayout "one-slot".*Nothing was moved/);
    expect(b.state.closed).toBe(true);
  });

  it("a Redis that does not answer is exit 1 at once, naming it and why", async () => {
    const a = app("per-queue");
    const o = io();
    expect(await runMigrateCli(a.app, [], o.io)).toBe(1);
    expect(o.out.stderr).toBe("Error: could not reach Redis at redis://127.0.0.1:1 (ECONNREFUSED); nothing was moved\n");
  });
});

describe("oldLayoutWarning", () => {
  it("names the queues, the count and both fixes", () => {
    const text = oldLayoutWarning([{ queue: "default", jobs: 10 }, { queue: "heavy", jobs: 2 }], "app");
    expect(text).toBe(
      "12 jobs of this app are in Redis under celeriac 0.2's key layout ({app}:<queue>:…), which this worker does not read: queues default (10), heavy (2). " +
        'To run them, stop the workers and move them with `npx celeriac migrate-redis-keys`, or set redisKeyLayout: "one-slot" to keep the old layout',
    );
    expect(oldLayoutWarning([{ queue: "q", jobs: 1 }], "app")).toMatch(/^1 job of this app is in Redis .*: queue q \(1\)\. /);
  });
});
