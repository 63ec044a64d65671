/**
 * Beat on the real Redis and a real database, in this process (the demo's test/beat-process.int.test.ts runs
 * beats as separate processes): timing over 20 s, two beats on one table, edits while running, the settings sync,
 * restarts and catch-up, one-shot rows, the built-in result cleanup, and rows beat cannot send.
 *
 * Beat reads the whole PeriodicTask table, so this file uses databases of its own (see
 * packages/celeriac/test/beat-support.ts): one for the 20 s run, which goes on while the other tests run, and one
 * for the rest, emptied before each test.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createCeleriac, type Celeriac, type CeleriacOptions } from "../index.js";
import { createDb, type Db } from "../../test/db.js";
import type { TestDatabase } from "../../test/databases.js";
import { beatDatabase, capturingLogger, ones, slotGaps, type Sent } from "../../test/beat-support.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../../test/redis.js";
import { type RunningBeat } from "./beat.js";
import { LeaderLease } from "./leader.js";
import { BACKEND_CLEANUP, LOOKAHEAD_MS, Scheduler, settingsDefinitions, type BeatSend, type SchedulerDeps } from "./scheduler.js";
import { clocked, crontab } from "./schedule.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Task runs, as the recorder task saw them (this process runs the workers). */
interface Run {
  label: string;
  taskId: string;
  at: number;
}

/**
 * One beat setup on a database: apps made with `app(settings)` share the database and a key prefix (one
 * lease), each with the `beat.record` task; sends and runs are recorded; `close()` stops everything.
 */
function rig(database: { url: string; db: Db }, label: string) {
  const keyPrefix = uniquePrefix(label);
  const sends: Sent[] = [];
  const runs: Run[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  const apps: Celeriac<Db>[] = [];
  const record = (s: BeatSend, by: string) =>
    sends.push({ periodicTask: s.periodicTask, task: s.task, taskId: s.taskId, slotAt: s.slotAt.getTime(), sentAt: s.sentAt.getTime(), by });

  function app(settings: Omit<Partial<CeleriacOptions>, "prisma"> = {}): Celeriac<Db> {
    const made = createCeleriac({
      prisma: database.db,
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      keyPrefix,
      logLevel: "silent",
      resultPollIntervalMs: 50,
      beatLockMs: 2000,
      resultExpires: 0,
      ...settings,
    });
    made.task({
      name: "beat.record",
      args: z.tuple([z.string()]),
      run: (ctx, what) => {
        runs.push({ label: what, taskId: ctx.id, at: Date.now() });
        return what;
      },
    });
    apps.push(made);
    return made;
  }

  return {
    keyPrefix,
    sends,
    runs,
    app,
    /** Starts a beat of `on` (a new app by default); its sends are recorded, tagged `name`. */
    beat(on: Celeriac<Db> = app(), name = `beat-${closers.length}`, log?: ReturnType<typeof capturingLogger>["log"]): RunningBeat {
      const beat = on.startBeat({ hostname: name, onSend: (s) => record(s, name), ...(log && { log }) });
      closers.push(() => beat.stop());
      return beat;
    },
    async worker(on: Celeriac<Db>) {
      const worker = await on.startWorker({ concurrency: 4, hostname: `celeriac@${label}`, graceMs: 2000 });
      closers.push(() => worker.stop());
      return worker;
    },
    of: (name: string) => sends.filter((s) => s.periodicTask === name),
    runsOf: (what: string) => runs.filter((r) => r.label === what),
    async close() {
      // Beats and workers first (in reverse order of start), then the connections.
      for (const close of closers.splice(0).reverse()) await close();
      await Promise.all(apps.splice(0).map((a) => a.close()));
      await deleteKeys(keyPrefix);
    },
  };
}
type Rig = ReturnType<typeof rig>;

const row = (db: Db, name: string) => db.periodicTask.findUnique({ where: { name } });

// --- Test 1 runs for 20 s in a database of its own, while the tests below use the other one. ---

interface TwentySeconds {
  startedAt: number;
  stoppedAt: number;
  createdAt: number;
  sends: Sent[];
  runs: Run[];
  results: { id: string; status: string; result: unknown }[];
  row: { lastRunAt: Date | null; lastTaskId: string | null; totalRunCount: number };
}

async function runTwentySeconds(): Promise<TwentySeconds> {
  const database = await beatDatabase("beat20");
  const db = createDb(database.url);
  const r = rig({ url: database.url, db }, "beat20");
  try {
    const app = r.app();
    await r.worker(app);
    const created = await app.periodicTasks.create({ name: "tick", task: "beat.record", args: ["tick"], schedule: { kind: "interval", every: 1, period: "seconds" } });
    const startedAt = Date.now();
    const beat = r.beat(app, "solo");
    await sleep(20_000);
    await beat.stop();
    const stoppedAt = Date.now();
    const ids = r.sends.map((s) => s.taskId);
    await waitFor(async () => (await db.taskResult.count({ where: { id: { in: ids }, status: "SUCCESS" } })) === ids.length, "every sent task to succeed");
    const results = await db.taskResult.findMany({ where: { name: "beat.record" }, select: { id: true, status: true, result: true } });
    const stored = (await row(db, "tick"))!;
    return { startedAt, stoppedAt, createdAt: created.createdAt.getTime(), sends: [...r.sends], runs: [...r.runs], results, row: stored };
  } finally {
    await r.close();
    await db.$disconnect();
    await database.drop();
  }
}

let twenty: Promise<TwentySeconds>;
let database: TestDatabase;
let db: Db;
let r: Rig;

beforeAll(async () => {
  twenty = runTwentySeconds();
  twenty.catch(() => undefined); // awaited (and reported) by its test
  database = await beatDatabase("beat");
  db = createDb(database.url);
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

beforeEach(async (context) => {
  await db.periodicTask.deleteMany();
  await Promise.all([db.intervalSchedule.deleteMany(), db.crontabSchedule.deleteMany(), db.clockedSchedule.deleteMany(), db.taskResult.deleteMany(), db.taskOutbox.deleteMany()]);
  r = rig({ url: database.url, db }, context.task.name.slice(0, 12).replace(/[^A-Za-z0-9]/g, "-"));
});

afterEach(async () => {
  await r.close();
});

const everySecond = { kind: "interval", every: 1, period: "seconds" } as const;

describe("beat in one process", () => {
  it("two beats on one key prefix: one leads and sends; two beats that both lead (split brain) still send each slot once", async () => {
    const app = r.app();
    const created = await app.periodicTasks.create({ name: "one-lease", task: "beat.record", args: ["one-lease"], schedule: everySecond });
    const a = r.beat(app, "a");
    const b = r.beat(r.app(), "b");
    await waitFor(() => a.isLeader() || b.isLeader(), "a leader");
    // The other app on another key prefix has its own lease: it leads too, on the same table.
    const other = rig({ url: database.url, db }, "split");
    try {
      const c = other.beat(other.app(), "c");
      const leaders: string[][] = [];
      const sampler = setInterval(() => leaders.push([a, b].filter((x) => x.isLeader()).map((x) => x.holder)), 20);
      await waitFor(() => c.isLeader(), "the other prefix's beat to lead");
      const cLed: boolean[] = [];
      const cSampler = setInterval(() => cLed.push(c.isLeader()), 20);
      await sleep(6000);
      clearInterval(sampler);
      clearInterval(cSampler);
      expect(cLed.every(Boolean)).toBe(true);
      await Promise.all([other.close(), a.stop(), b.stop()]);
      const endedAt = Date.now();
      // One lease: a and b never lead together, and one of them led throughout.
      expect(leaders.length).toBeGreaterThan(200);
      expect(leaders.every((l) => l.length === 1)).toBe(true);
      expect(new Set(leaders.map((l) => l[0])).size).toBe(1);
      const all = [...r.of("one-lease"), ...other.of("one-lease")];
      const bySender = Object.fromEntries(["a", "b", "c"].map((n) => [n, all.filter((s) => s.by === n).length]));
      // The leader of the shared prefix and c both led throughout and raced for every slot (which one wins
      // a slot is chance); the claim let one of them send each.
      expect(bySender.a * bySender.b).toBe(0);
      expect(bySender.a + bySender.b + bySender.c).toBe(all.length);
      expect(new Set(all.map((s) => s.slotAt)).size).toBe(all.length);
      expect(slotGaps(all)).toEqual(ones(all));
      // Every slot from the first to the end was sent (none lost to the race).
      expect(all.length).toBeGreaterThanOrEqual(Math.floor((endedAt - created.createdAt.getTime()) / 1000) - 1);
      expect((await row(db, "one-lease"))!.totalRunCount).toBe(all.length);
    } finally {
      await other.close();
    }
  });

  it("the claim is the fence: two schedulers that both think they lead, ticking at once, send each slot once", async () => {
    const other = rig({ url: database.url, db }, "fence");
    const apps = [r.app(), other.app()];
    const { log } = capturingLogger();
    const sent: Sent[] = [];
    const schedulers = await Promise.all(
      apps.map(async (app, i) => {
        const lease = new LeaderLease(app.broker, `fence-${i}`, 60_000);
        expect(await lease.renew()).not.toBeNull(); // two key prefixes: two leases, both held
        const transaction = app.transaction as SchedulerDeps["transaction"];
        const deps: SchedulerDeps = { config: app.config, broker: app.broker, outbox: app.outbox, store: app.periodicTasks, registry: app.registry, lease, transaction, onCommit: app.onCommit, log, backend: app.backend };
        return new Scheduler(deps, (s) => sent.push({ ...s, slotAt: s.slotAt.getTime(), sentAt: s.sentAt.getTime(), by: String(i) }));
      }),
    );
    const created = await apps[0].periodicTasks.create({ name: "fenced", task: "beat.record", args: ["fenced"], schedule: everySecond });
    const origin = created.createdAt.getTime();
    try {
      // Both read the row before either claims: without the compare-and-set, both would send every slot.
      for (let k = 1; k <= 8; k++) await Promise.all(schedulers.map((s) => s.tick(new Date(origin + k * 1000 + 1))));
    } finally {
      await other.close();
    }
    expect(sent.map((s) => s.slotAt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((k) => origin + k * 1000));
    expect(await row(db, "fenced")).toMatchObject({ totalRunCount: 8, lastRunAt: new Date(origin + 8000) });
  });

  it("applies edits made while it runs within 2 s: a shorter interval, a disabled row, a new row", async () => {
    const app = r.app();
    await r.worker(app);
    const slow = await app.periodicTasks.create({ name: "edited", task: "beat.record", args: ["edited"], schedule: { kind: "interval", every: 30, period: "seconds" } });
    r.beat(app, "editor");
    await sleep(1500);
    expect(r.of("edited")).toHaveLength(0);
    // Every 30 s → every 1 s: the first slot (created + 1 s) is past, so it is due at once.
    const editedAt = Date.now();
    await app.periodicTasks.update(slow.id, { name: "edited", task: "beat.record", args: ["edited"], schedule: everySecond });
    const first = await waitFor(() => r.of("edited")[0], "the edited row's first send", 5000);
    expect(first.sentAt - editedAt).toBeLessThan(2000);
    // One send for the latest slot of the new grid (created + k s), however many passed.
    expect((first.slotAt - slow.createdAt.getTime()) % 1000).toBe(0);
    expect(first.sentAt).toBeGreaterThanOrEqual(first.slotAt);
    expect(first.sentAt - first.slotAt).toBeLessThan(1000);
    await waitFor(() => r.of("edited").length >= 3, "two more sends on the new interval", 5000);
    expect(slotGaps(r.of("edited").slice(1))).toEqual(ones(r.of("edited").slice(1)));

    // Disabled: at most a send already in flight, then nothing.
    await app.periodicTasks.setEnabled(slow.id, false);
    const disabledAt = Date.now();
    const newRow = await app.periodicTasks.create({ name: "added", task: "beat.record", args: ["added"], schedule: everySecond });
    const added = await waitFor(() => r.of("added")[0], "the new row's first send", 5000);
    expect(added.sentAt - newRow.createdAt.getTime()).toBeLessThan(2000);
    expect(added.slotAt).toBe(newRow.createdAt.getTime() + 1000);
    await sleep(Math.max(0, disabledAt + 3000 - Date.now()));
    const late = r.of("edited").filter((s) => s.sentAt > disabledAt + 200);
    expect(late).toEqual([]);
    expect((await row(db, "edited"))!.enabled).toBe(false);
    // The tasks ran.
    await waitFor(() => r.runsOf("added").length >= 1 && r.runsOf("edited").length === r.of("edited").length, "the runs");
  });

  it("syncs settings.beatSchedule into managed rows: deploys update and delete them, admin edits detach them", async () => {
    const record = (what: string, schedule: number | ReturnType<typeof crontab>) => ({ task: "beat.record", args: [what], schedule });
    const v1 = {
      changes: record("changes", 3600),
      edited: record("edited", crontab({ minute: 30, hour: 7 })),
      disabled: record("disabled", 7200),
      dropped: record("dropped", 3600),
      same: record("same", 3600),
    };
    const deploy = async (beatSchedule: Record<string, ReturnType<typeof record>>, settled: () => Promise<boolean>) => {
      const beat = r.beat(r.app({ beatSchedule }));
      await waitFor(settled, "the sync");
      await beat.stop();
    };
    await deploy(v1, async () => (await db.periodicTask.count()) === 5);
    const rows = await r.app().periodicTasks.list();
    expect(rows.map((x) => [x.name, x.managed, x.detached, x.enabled])).toEqual(
      ["changes", "disabled", "dropped", "edited", "same"].map((n) => [n, true, false, true]),
    );
    expect(rows.find((x) => x.name === "edited")!.schedule).toMatchObject({ kind: "crontab", minute: "30", hour: "7", dayOfWeek: "*" });
    expect(rows.find((x) => x.name === "changes")!.schedule).toEqual({ kind: "interval", every: 1, period: "hours" });
    // resultExpires 0: no cleanup entry.
    expect(await row(db, BACKEND_CLEANUP)).toBeNull();

    // History on "changes", an admin edit of "edited", "disabled" disabled in the admin.
    const ranAt = new Date(Date.now() - 60_000);
    await db.periodicTask.update({ where: { name: "changes" }, data: { lastRunAt: ranAt, totalRunCount: 7 } });
    const store = r.app().periodicTasks;
    const byName = Object.fromEntries(rows.map((x) => [x.name, x]));
    const edited = await store.update(byName.edited.id, { name: "edited", task: "beat.record", args: ["by the admin"], schedule: { kind: "interval", every: 5, period: "minutes" } });
    expect([edited.managed, edited.detached]).toEqual([false, true]);
    await store.setEnabled(byName.disabled.id, false);
    expect((await store.get(byName.disabled.id))!.managed).toBe(true);

    // Deploy v2: "changes" and "disabled" changed, "dropped" gone, "added" new.
    const v2 = { ...v1, changes: record("changes v2", 1800), disabled: record("disabled v2", 600), added: record("added", 60) } as Record<string, ReturnType<typeof record>>;
    delete v2.dropped;
    await deploy(v2, async () => (await row(db, "dropped")) === null && (await row(db, "added")) !== null);
    const after = Object.fromEntries((await store.list()).map((x) => [x.name, x]));
    expect(Object.keys(after).sort()).toEqual(["added", "changes", "disabled", "edited", "same"]);
    expect(after.changes).toMatchObject({ managed: true, args: ["changes v2"], schedule: { kind: "interval", every: 30, period: "minutes" }, lastRunAt: ranAt, totalRunCount: 7 });
    expect(after.disabled).toMatchObject({ managed: true, enabled: false, args: ["disabled v2"], schedule: { kind: "interval", every: 10, period: "minutes" } });
    expect(after.edited).toMatchObject({ managed: false, detached: true, args: ["by the admin"], schedule: { kind: "interval", every: 5, period: "minutes" } });
    expect(after.same.updatedAt).toEqual(byName.same.updatedAt);
    // Each task keeps exactly its own schedule row: replaced ones were deleted.
    expect(await db.intervalSchedule.count()).toBe(5);
    expect(await db.crontabSchedule.count()).toBe(0);

    // The sync's report (what the leader logs) names the admin's row as kept, deploy after deploy.
    const { log } = capturingLogger();
    const v2App = r.app({ beatSchedule: v2 });
    const report = await v2App.periodicTasks.syncSettings(settingsDefinitions(v2App.config), log);
    expect(report).toEqual({ created: [], updated: [], removed: [], kept: ["edited"] });
    const v3 = { ...v2, edited: record("edited v3", 900) };
    const v3App = r.app({ beatSchedule: v3 });
    expect(await v3App.periodicTasks.syncSettings(settingsDefinitions(v3App.config), log)).toEqual({ created: [], updated: [], removed: [], kept: ["edited"] });
    expect((await store.get(byName.edited.id))!.args).toEqual(["by the admin"]);

    // Handed back to settings: the next leader rewrites it from its entry.
    await store.returnToSettings(byName.edited.id);
    await deploy(v3, async () => (await store.get(byName.edited.id))!.args[0] === "edited v3");
    expect(await store.get(byName.edited.id)).toMatchObject({ managed: true, detached: false, schedule: { kind: "interval", every: 15, period: "minutes" } });
  });

  it("keeps lastRunAt across restarts; catchUp 'one' sends one run for missed slots at once, 'none' skips them and keeps the grid", async () => {
    const store = r.app().periodicTasks;
    const created = await store.create({ name: "steady", task: "beat.record", args: ["steady"], schedule: everySecond });
    // Restart 1: stop a beat mid-interval and start a new one at once (a new app: a new process).
    let beat = r.beat(r.app(), "first");
    await waitFor(() => r.of("steady").length >= 3, "three sends", 6000);
    await sleep(300);
    await beat.stop();
    const before = r.of("steady");
    expect(before.map((s) => s.slotAt)).toEqual([1, 2, 3].map((k) => created.createdAt.getTime() + k * 1000));
    expect(await row(db, "steady")).toMatchObject({ lastRunAt: new Date(before[2].slotAt), totalRunCount: 3 });
    beat = r.beat(r.app(), "second");
    await waitFor(() => r.of("steady").length >= 5, "two more sends", 5000);
    await beat.stop();
    expect(slotGaps(r.of("steady"))).toEqual([1000, 1000, 1000, 1000]);

    // Down for 4.5 s: four or five slots missed.
    const downSince = Date.now();
    const lastSlot = r.of("steady").at(-1)!.slotAt;
    // Meanwhile: rows every 64 s whose latest slot is 62 s late when beat starts (beyond catchUp "none"'s
    // 60 s grace) and whose next slot comes 2 s after the start.
    const every64 = { kind: "interval", every: 64, period: "seconds" } as const;
    const one = await store.create({ name: "late-one", task: "beat.record", args: ["late-one"], schedule: every64, catchUp: "one" });
    const none = await store.create({ name: "late-none", task: "beat.record", args: ["late-none"], schedule: every64, catchUp: "none" });
    await sleep(Math.max(0, downSince + 4500 - Date.now()));
    const startAt = Date.now();
    const lastRunAt = new Date(startAt - 2 * 64_000 - 62_000);
    await db.periodicTask.updateMany({ where: { id: { in: [one.id, none.id] } }, data: { lastRunAt, totalRunCount: 2 } });
    const third = r.app();
    await r.worker(third);
    r.beat(third, "third");
    const catchUp = await waitFor(() => r.of("steady").find((s) => s.slotAt > lastSlot), "the catch-up send", 3000);
    expect(catchUp.sentAt - startAt).toBeLessThan(1000);
    expect(catchUp.slotAt - lastSlot).toBeGreaterThanOrEqual(4000); // four or more slots collapsed into one
    // The latest slot by the time beat looks (it looks LOOKAHEAD_MS ahead), so at once or on the slot just ahead.
    expect(catchUp.slotAt - startAt).toBeLessThanOrEqual(LOOKAHEAD_MS);
    expect(startAt - catchUp.slotAt).toBeLessThan(1000);
    const oneFirst = await waitFor(() => r.of("late-one")[0], "late-one's catch-up", 2000);
    expect(oneFirst.slotAt).toBe(lastRunAt.getTime() + 2 * 64_000);
    await sleep(Math.max(0, startAt + 4000 - Date.now()));
    // After the catch-up, the 1 s row is back on its grid.
    const after = r.of("steady").filter((s) => s.slotAt > lastSlot);
    expect(after.length).toBeGreaterThanOrEqual(4);
    expect(slotGaps(after)).toEqual(ones(after));
    expect((await row(db, "steady"))!.totalRunCount).toBe(r.of("steady").length);
    // The 64 s rows: "one" ran at once and then on the grid; "none" ran only on the grid.
    expect(r.of("late-one").map((s) => s.slotAt)).toEqual([2, 3].map((k) => lastRunAt.getTime() + k * 64_000));
    expect(r.of("late-none").map((s) => s.slotAt)).toEqual([lastRunAt.getTime() + 3 * 64_000]);
    expect(r.of("late-none")[0].sentAt).toBeGreaterThanOrEqual(lastRunAt.getTime() + 3 * 64_000);
    expect(await row(db, "late-none")).toMatchObject({ totalRunCount: 3, lastRunAt: new Date(lastRunAt.getTime() + 3 * 64_000) });
    await waitFor(() => r.runsOf("late-none").length === 1 && r.runsOf("late-one").length === 2, "the late rows' runs");
  });

  it("runs a oneOff row and clocked rows once, then leaves them disabled", async () => {
    const app = r.app({ beatSchedule: { "settings-once": { task: "beat.record", args: ["settings-once"], schedule: clocked(new Date(Date.now() - 3_600_000)) } } });
    await r.worker(app);
    const store = app.periodicTasks;
    await store.create({ name: "once", task: "beat.record", args: ["once"], schedule: everySecond, oneOff: true });
    const at = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
    await store.create({ name: "at", task: "beat.record", args: ["at"], schedule: { kind: "clocked", at } });
    await store.create({ name: "past", task: "beat.record", args: ["past"], schedule: { kind: "clocked", at: new Date(Date.now() - 600_000) } });
    const startedAt = Date.now();
    r.beat(app, "once");
    await sleep(Math.max(0, at.getTime() + 2500 - Date.now()));
    for (const name of ["once", "at", "past", "settings-once"]) {
      expect(r.of(name), name).toHaveLength(1);
      expect(await row(db, name), name).toMatchObject({ enabled: false, totalRunCount: 1 });
    }
    expect(r.of("at")[0].slotAt).toBe(at.getTime());
    expect(r.of("at")[0].sentAt).toBeGreaterThanOrEqual(at.getTime());
    expect(r.of("at")[0].sentAt - at.getTime()).toBeLessThan(1000);
    expect(r.of("past")[0].sentAt - startedAt).toBeLessThan(1000);
    await waitFor(() => ["once", "at", "past", "settings-once"].every((n) => r.runsOf(n).length === 1), "one run each");
    // The clocked run starts at its instant, not before.
    expect(r.runsOf("at")[0].at).toBeGreaterThanOrEqual(at.getTime());
    expect(r.runsOf("at")[0].at - at.getTime()).toBeLessThan(1000);
  });

  it("celeriac.backendCleanup, run by a worker, deletes finished results older than resultExpires and keeps the rest", async () => {
    const app = r.app({ resultExpires: 3600 });
    await r.worker(app);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    const result = (id: string, status: string, doneAt: Date | null, createdAt = hoursAgo(3)) => ({ id, name: "old.task", status, doneAt, createdAt });
    await db.taskResult.createMany({
      data: [
        result("old-success", "SUCCESS", hoursAgo(2)),
        result("old-failure", "FAILURE", hoursAgo(1.5)),
        result("old-revoked", "REVOKED", hoursAgo(1.1)),
        result("old-but-running", "STARTED", null),
        result("old-pending", "PENDING", null),
        result("new-success", "SUCCESS", hoursAgo(0.5), hoursAgo(0.6)),
      ],
    });
    // The built-in entry is a managed row once a beat leads.
    r.beat(app, "cleanup");
    const managed = await waitFor(() => app.periodicTasks.list().then((rows) => rows.find((x) => x.name === BACKEND_CLEANUP)), "the cleanup row");
    expect(managed).toMatchObject({ task: BACKEND_CLEANUP, managed: true, enabled: true, schedule: { kind: "crontab", minute: "0", hour: "4", dayOfMonth: "*" } });
    // It runs at 04:00; an admin row runs it now, through beat and a worker.
    await app.periodicTasks.create({ name: "cleanup now", task: BACKEND_CLEANUP, schedule: everySecond, oneOff: true });
    const sent = await waitFor(() => r.of("cleanup now")[0], "the cleanup send", 5000);
    const done = await app.AsyncResult.from(sent.taskId).get({ timeout: 10_000 });
    expect(done).toEqual({ deleted: 3 });
    const left = await db.taskResult.findMany({ where: { name: "old.task" }, select: { id: true }, orderBy: { id: "asc" } });
    expect(left.map((x) => x.id)).toEqual(["new-success", "old-but-running", "old-pending"]);

    // resultExpires 0 keeps every result: the next leader's sync removes the managed cleanup row.
    await r.close();
    r = rig({ url: database.url, db }, "cleanup-off");
    r.beat(r.app({ resultExpires: 0 }), "off");
    await waitFor(async () => (await row(db, BACKEND_CLEANUP)) === null, "the cleanup row to go");
    expect(await row(db, "cleanup now")).not.toBeNull(); // an admin row is not settings' to remove
  });

  it("uses up the slot of a row naming an unknown task or invalid arguments, records a FAILURE with the reason, and keeps sending the others", async () => {
    const app = r.app();
    await r.worker(app);
    const { log, lines } = capturingLogger();
    const store = app.periodicTasks;
    await store.create({ name: "unknown", task: "no.such.task", args: [], schedule: everySecond });
    await store.create({ name: "bad args", task: "beat.record", args: [42], schedule: everySecond });
    await store.create({ name: "bad cron", task: "beat.record", args: ["bad cron"], schedule: { kind: "cron", expression: "* * * * *", timezone: null } });
    await db.crontabSchedule.update({ where: { id: (await row(db, "bad cron"))!.crontabId! }, data: { cron: "not a cron" } });
    await store.create({ name: "good", task: "beat.record", args: ["good"], schedule: everySecond });
    const beat = r.beat(app, "mixed", log);
    await sleep(4300);
    await beat.stop(); // so that the run counts below stand still
    const now = Date.now();
    for (const name of ["unknown", "bad args"]) {
      const stored = (await row(db, name))!;
      expect(stored.totalRunCount, name).toBeGreaterThanOrEqual(3);
      expect(now - stored.lastRunAt!.getTime(), name).toBeLessThan(1500);
      expect(r.of(name), name).toEqual([]);
    }
    expect(await row(db, "bad cron")).toMatchObject({ totalRunCount: 0, lastRunAt: null, enabled: true });
    expect(r.of("good").length).toBeGreaterThanOrEqual(3);
    expect(slotGaps(r.of("good"))).toEqual(ones(r.of("good")));
    await waitFor(() => r.runsOf("good").length === r.of("good").length, "the good row's runs");
    expect(r.runs.filter((x) => x.label !== "good")).toEqual([]);
    const messages = lines.map((l) => `${String(l.msg)} ${String(l.periodicTask ?? "")}`);
    for (const name of ["unknown", "bad args"]) {
      expect(messages.filter((m) => m.includes("could not be sent") && m.endsWith(` ${name}`)).length, name).toBeGreaterThanOrEqual(3);
    }
    // Visible where task outcomes are: one FAILURE row per used-up slot, with the reason.
    const failures = await db.taskResult.findMany({ where: { worker: "beat" } });
    const unknown = failures.filter((f) => f.name === "no.such.task");
    expect(unknown.length).toBe((await row(db, "unknown"))!.totalRunCount);
    // A used-up slot is the row's last run too: its FAILURE row is the one the row names.
    const view = (await store.list()).find((v) => v.name === "unknown")!;
    expect(unknown.map((f) => f.id)).toContain(view.lastTaskId);
    expect(unknown[0]).toMatchObject({ status: "FAILURE", errorType: "NotRegisteredError", errorMessage: "unregistered task 'no.such.task'" });
    const badArgs = failures.filter((f) => f.name === "beat.record");
    expect(badArgs.length).toBe((await row(db, "bad args"))!.totalRunCount);
    expect(badArgs[0]).toMatchObject({ status: "FAILURE", errorType: "InvalidArgumentsError" });
    expect(messages.filter((m) => m.includes("its schedule is invalid") && m.endsWith(" bad cron"))).toHaveLength(1);
  });

  it("a 1 s interval for 20 s with one beat: 20 ± 1 sends, each slot once and on time, each run by a worker", async () => {
    const t = await twenty;
    expect(t.stoppedAt - t.startedAt).toBeGreaterThanOrEqual(20_000);
    expect(t.sends.length).toBeGreaterThanOrEqual(19);
    expect(t.sends.length).toBeLessThanOrEqual(21);
    expect(t.sends.map((s) => s.slotAt)).toEqual(t.sends.map((_, k) => t.createdAt + (k + 1) * 1000));
    for (const s of t.sends) {
      expect(s.sentAt).toBeGreaterThanOrEqual(s.slotAt);
      expect(s.sentAt - s.slotAt).toBeLessThan(1000);
      // The worker starts each run after its slot, never before.
      const run = t.runs.find((x) => x.taskId === s.taskId)!;
      expect(run.at).toBeGreaterThanOrEqual(s.slotAt);
      expect(run.at - s.slotAt).toBeLessThan(1000);
    }
    // The row names its last run's task: the dashboard links it to that TaskResult.
    expect(t.row).toMatchObject({ lastRunAt: new Date(t.sends.at(-1)!.slotAt), lastTaskId: t.sends.at(-1)!.taskId, totalRunCount: t.sends.length });
    // Every send ran exactly once, and succeeded.
    expect(t.runs.map((x) => x.taskId).sort()).toEqual(t.sends.map((s) => s.taskId).sort());
    expect(t.results.filter((x) => x.status === "SUCCESS" && x.result === "tick").map((x) => x.id).sort()).toEqual(t.sends.map((s) => s.taskId).sort());
  }, 60_000);
});
