/**
 * `celeriac inspect beat` on the real Redis and a database of its own (the PeriodicTask table is
 * not namespaced by key prefix): the leader and each periodic task's source, last and next run; exit 69
 * when no beat holds the lease.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createCeleriac, crontab, type Celeriac } from "../index.js";
import { runInspectCli, EXIT } from "./cli.js";
import { createDb, type Db } from "../../test/db.js";
import type { TestDatabase } from "../../test/databases.js";
import { beatDatabase } from "../../test/beat-support.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../../test/redis.js";

let database: TestDatabase;
let db: Db;
const keyPrefix = uniquePrefix("inspect-beat");
const apps: Celeriac<Db>[] = [];

function app(): Celeriac<Db> {
  const created = createCeleriac({
    prisma: db,
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    keyPrefix,
    logLevel: "silent",
    timezone: "Asia/Taipei",
    beatSchedule: { "morning report": { task: "r.report", schedule: crontab({ hour: 7, minute: 30 }) } },
  });
  created.task({ name: "r.report", args: z.tuple([]), run: () => "ok" });
  apps.push(created);
  return created;
}

async function inspectBeat(json: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const code = await runInspectCli(app(), ["inspect", "beat", ...(json ? ["--json"] : [])], {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
  });
  return { code, ...out };
}

beforeAll(async () => {
  database = await beatDatabase("inspect-beat");
  db = createDb(database.url);
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await deleteKeys(keyPrefix);
  await db.$disconnect();
  await database.drop();
});

describe("npm run celeriac -- inspect beat", () => {
  it("with no beat: lists the tables' tasks and exits 69", async () => {
    await app().periodicTasks.create({ name: "hourly", task: "r.report", schedule: { kind: "interval", every: 1, period: "hours" } });
    const { code, stdout, stderr } = await inspectBeat(false);
    expect(code).toBe(EXIT.unavailable);
    expect(stdout).toContain("-> no beat running");
    expect(stdout).toMatch(/hourly\s+r\.report\s+every 1h\s+yes\s+admin\s+-\s+\d{4}-\d\d-\d\dT/);
    expect(stderr).toMatch(/no beat is running .*celeriac beat/);
  });

  it("with a beat: the leader and its term; settings rows synced, with their next run in the app's zone", async () => {
    const beat = app().startBeat();
    try {
      let reply: { leader: { holder: string; term: number } | null; tasks: Array<{ name: string; source: string; nextRunAt: string | null; schedule: string }> } | undefined;
      for (let i = 0; i < 50 && !reply?.tasks.some((t) => t.name === "morning report"); i++) {
        const { code, stdout } = await inspectBeat(true);
        reply = JSON.parse(stdout) as typeof reply;
        if (code !== EXIT.ok) reply = undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(reply!.leader).toMatchObject({ holder: beat.holder });
      const morning = reply!.tasks.find((t) => t.name === "morning report")!;
      expect(morning).toMatchObject({ source: "settings", schedule: "crontab(minute=30 hour=7)" });
      // 07:30 in Asia/Taipei is 23:30 UTC.
      expect(morning.nextRunAt).toMatch(/T23:30:00\.000Z$/);
      const text = await inspectBeat(false);
      expect(text.stdout).toContain(`-> beat ${beat.holder}: leader (term ${reply!.leader!.term}`);
    } finally {
      await beat.stop();
    }
  });
});
