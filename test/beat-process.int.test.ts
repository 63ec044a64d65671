/**
 * Beats as separate processes (test/fixtures/beat-node.ts) on one key prefix and one database, as they run
 * in production: one leads at a time, each slot is sent once, a stopped leader hands over at once, and a
 * SIGKILLed one is replaced within the lease time, its missed slots collapsing into one run.
 *
 * The two tests run at once, each on a database of its own (beat reads the whole PeriodicTask table, see
 * test/fixtures/beat-support.ts). This process runs a worker, so every send is also a real task run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createCeleriac } from "celeriac";
import { createDb } from "@/lib/db";
import { waitFor } from "@/test/chaos/helpers";
import { beatDatabase, collectBeatEvents, leadership, sendsOf, slotGaps, type Sent } from "@/test/fixtures/beat-support";
import { deleteKeys, REDIS_URL, uniquePrefix } from "@/test/redis";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface BeatProcess {
  name: string;
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  output(): string;
  exited: Promise<number | string | null>;
  kill(signal: NodeJS.Signals): Promise<number | string | null>;
}

function startBeatProcess(name: string, env: { databaseUrl: string; keyPrefix: string; settings: Record<string, unknown> }): BeatProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/beat-node.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL,
      CELERIAC_KEY_PREFIX: env.keyPrefix,
      CELERIAC_LOG_LEVEL: "warn",
      BEAT_NAME: name,
      BEAT_SETTINGS: JSON.stringify(env.settings),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { events, output } = collectBeatEvents(child);
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  return {
    name,
    child,
    events,
    output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Gaps in one beat's run of sends other than one slot, unless that beat reported a stall of its event
 * loop in the gap (a starved process sends late, and catchUp "one" then collapses the slots it missed).
 */
function unexcusedGaps(beat: BeatProcess, sends: readonly Sent[]): string[] {
  const stalls = beat.events.filter((e) => e.event === "stall") as unknown as Array<{ from: number; to: number }>;
  return sends.slice(1).flatMap((s, i) => {
    const previous = sends[i];
    if (s.slotAt - previous.slotAt === 1000) return [];
    const excused = stalls.some((x) => x.to > previous.sentAt && x.from < s.sentAt);
    return excused ? [] : [`${beat.name}: slot ${previous.slotAt} then ${s.slotAt} (sent ${previous.sentAt}, ${s.sentAt})`];
  });
}

/** Pairs of leadership intervals of different processes that overlap by more than `toleranceMs`. */
function overlaps(beats: BeatProcess[], end: number, toleranceMs: number): string[] {
  const spans = beats.flatMap((b) => leadership(b, end).map(([from, to]) => ({ by: b.name, from, to })));
  const found: string[] = [];
  for (const a of spans) {
    for (const b of spans) {
      if (a.by < b.by && Math.min(a.to, b.to) - Math.max(a.from, b.from) > toleranceMs) found.push(`${a.by} [${a.from}, ${a.to}) and ${b.by} [${b.from}, ${b.to})`);
    }
  }
  return found;
}

/** A database, a key prefix, a worker in this process counting the runs of `beat.record`, and cleanup. */
async function setup(label: string, lockMs: number) {
  const database = await beatDatabase(label);
  const db = createDb(database.url);
  const keyPrefix = uniquePrefix(label);
  const app = createCeleriac({ prisma: db, databaseUrl: database.url, redisUrl: REDIS_URL, keyPrefix, logLevel: "silent", resultExpires: 0 });
  const runs: string[] = [];
  app.task({
    name: "beat.record",
    args: z.tuple([z.string()]),
    run: (ctx, what) => {
      runs.push(ctx.id);
      return what;
    },
  });
  const worker = await app.startWorker({ concurrency: 4, hostname: `celeriac@${label}`, graceMs: 2000 });
  const beats: BeatProcess[] = [];
  const settings = { beatLockMs: lockMs, resultExpires: 0, beatSchedule: { tick: { task: "beat.record", schedule: 1, args: ["tick"] } } };
  return {
    db,
    runs,
    beats,
    start(name: string) {
      const beat = startBeatProcess(name, { databaseUrl: database.url, keyPrefix, settings });
      beats.push(beat);
      return beat;
    },
    async close() {
      await Promise.all(beats.map((b) => b.kill("SIGKILL")));
      await worker.stop();
      await app.close();
      await deleteKeys(keyPrefix);
      await db.$disconnect();
      await database.drop();
    },
  };
}

const whenReady = (beat: BeatProcess) => waitFor(() => beat.events.some((e) => e.event === "ready"), `${beat.name} to start:\n${beat.output()}`, 30_000, 25);
const isLeading = (beat: BeatProcess) => beat.events.filter((e) => e.event === "leader").at(-1)?.leader === true;

describe.concurrent("beat processes", () => {
  it("two beats for 30 s on one 1 s entry: one leader at a time, each slot sent once, a graceful hand-over loses nothing", async () => {
    const s = await setup("beat2p", 2000);
    try {
      const first = s.start("p1");
      const second = s.start("p2");
      await Promise.all([whenReady(first), whenReady(second)]);
      const startedAt = Date.now();
      await waitFor(() => sendsOf(s.beats).length > 0, "the first send", 5000, 25);
      const created = (await s.db.periodicTask.findUnique({ where: { name: "tick" } }))!;
      // Halfway, the leader stops (SIGTERM: its lease is released) and comes back as a standby.
      await sleep(Math.max(0, startedAt + 15_000 - Date.now()));
      const leader = s.beats.find(isLeading)!;
      expect(leader).toBeDefined();
      const stoppedAt = Date.now();
      expect(await leader.kill("SIGTERM")).toBe(0);
      const back = s.start(`${leader.name}-again`);
      await whenReady(back);
      await sleep(Math.max(0, startedAt + 30_000 - Date.now()));
      // The standbys first, so neither takes over from the stopping leader.
      for (const b of [...s.beats].sort((x, y) => Number(isLeading(x)) - Number(isLeading(y)))) await b.kill("SIGTERM");
      const endedAt = Date.now();

      const sends = sendsOf(s.beats);
      // Each slot once, and none lost: the slots are the grid from the row's creation, one after the other.
      expect(new Set(sends.map((x) => x.slotAt)).size).toBe(sends.length);
      expect(sends[0].slotAt).toBe(created.createdAt.getTime() + 1000);
      const survivor = s.beats.find((b) => b !== leader && b !== back)!;
      const byLeader = sends.filter((x) => x.by === leader.name);
      const bySurvivor = sends.filter((x) => x.by === survivor.name);
      expect(unexcusedGaps(leader, byLeader)).toEqual([]);
      expect(unexcusedGaps(survivor, bySurvivor)).toEqual([]);
      // The graceful hand-over loses no slot: the survivor sends the one after the leader's last.
      expect(bySurvivor[0].slotAt - byLeader.at(-1)!.slotAt).toBe(1000);
      const excused = slotGaps(sends).reduce((sum, gap) => sum + gap / 1000 - 1, 0); // 0 unless a beat stalled
      const expected = Math.floor((endedAt - created.createdAt.getTime()) / 1000);
      expect(sends.length + excused).toBeGreaterThanOrEqual(29);
      expect(Math.abs(sends.length + excused - expected)).toBeLessThanOrEqual(1);
      for (const x of sends) expect(x.sentAt - x.slotAt).toBeLessThan(1000);
      // The hand-over happened: sends before the stop by the stopped leader, after it by the other.
      expect(sends.filter((x) => x.sentAt < stoppedAt).every((x) => x.by === leader.name)).toBe(true);
      const later = sends.filter((x) => x.sentAt > stoppedAt + 1000);
      expect(later.length).toBeGreaterThan(10);
      expect(later.every((x) => x.by === survivor.name)).toBe(true);
      expect(back.events.filter((e) => e.event === "send")).toEqual([]);
      // One leader at a time (leadership read by polling isLeader() every 5 ms in each process).
      expect(overlaps(s.beats, endedAt, 10)).toEqual([]);
      expect(leadership(survivor, endedAt).length).toBe(1);
      // The database agrees, and every send ran once.
      const row = (await s.db.periodicTask.findUnique({ where: { name: "tick" } }))!;
      expect(row).toMatchObject({ totalRunCount: sends.length, lastRunAt: new Date(sends.at(-1)!.slotAt) });
      await waitFor(() => s.runs.length >= sends.length, "every send to run", 10_000, 50);
      expect([...s.runs].sort()).toEqual(sends.map((x) => x.taskId).sort());
    } finally {
      await s.close();
    }
  }, 90_000);

  it("a SIGKILLed leader is replaced within the lease time; the missed slots collapse into one run, none is sent twice", async () => {
    // A 3 s lease: the survivor cannot take over before the next slot, so there are slots to collapse.
    const lockMs = 3000;
    const s = await setup("beatkill", lockMs);
    try {
      const beats = [s.start("k1"), s.start("k2")];
      await Promise.all(beats.map(whenReady));
      await waitFor(() => sendsOf(s.beats).length >= 3, "three sends", 10_000, 25);
      // Kill it between two slots, not during a send.
      const last = sendsOf(s.beats).at(-1)!;
      await sleep(Math.max(0, last.sentAt + 400 - Date.now()));
      const victim = beats.find((b) => b.name === last.by)!;
      const survivor = beats.find((b) => b !== victim)!;
      const killedAt = Date.now();
      expect(await victim.kill("SIGKILL")).toBe("SIGKILL");
      const took = await waitFor(() => survivor.events.some((e) => e.event === "send"), "the survivor's first send", 10_000, 10);
      await sleep(4000);
      await survivor.kill("SIGTERM");

      const sends = sendsOf(s.beats);
      const before = sends.filter((x) => x.by === victim.name);
      const after = sends.filter((x) => x.by === survivor.name);
      expect(before.length + after.length).toBe(sends.length);
      expect(new Set(sends.map((x) => x.slotAt)).size).toBe(sends.length);
      // The takeover: within 10 s (the lease lapses at most 3 s after the kill; the standby tries every 1 s).
      const firstAfter = after[0];
      const gapMs = firstAfter.sentAt - killedAt;
      expect(took).toBeLessThan(10_000);
      expect(gapMs).toBeLessThan(10_000);
      expect(gapMs).toBeGreaterThanOrEqual(lockMs * 0.5);
      // Each beat sent an unbroken run of slots; the victim up to the kill, the survivor from its takeover.
      expect(unexcusedGaps(victim, before)).toEqual([]);
      expect(unexcusedGaps(survivor, after)).toEqual([]);
      expect(before.at(-1)!.slotAt).toBeGreaterThan(killedAt - 1000);
      // catchUp "one": the slots missed while nobody led are one run, for the latest of them.
      const missed = (firstAfter.slotAt - before.at(-1)!.slotAt) / 1000 - 1;
      expect(missed).toBeGreaterThanOrEqual(1);
      expect(firstAfter.sentAt - firstAfter.slotAt).toBeLessThan(1000);
      expect(missed).toBeLessThanOrEqual(Math.ceil(gapMs / 1000));
      expect(after.length).toBeGreaterThanOrEqual(4);
      // Leadership never overlapped: the victim's ended at the kill at the latest.
      const victimSpans = leadership(victim, killedAt);
      const survivorSpans = leadership(survivor, Date.now());
      expect(survivorSpans).toHaveLength(1);
      expect(survivorSpans[0][0]).toBeGreaterThan(victimSpans.at(-1)![1]);
      // Nothing claimed that was not reported (the kill was between sends), and every send ran once.
      const row = (await s.db.periodicTask.findUnique({ where: { name: "tick" } }))!;
      expect(row).toMatchObject({ totalRunCount: sends.length, lastRunAt: new Date(sends.at(-1)!.slotAt) });
      await waitFor(() => s.runs.length >= sends.length, "every send to run", 10_000, 50);
      expect([...s.runs].sort()).toEqual(sends.map((x) => x.taskId).sort());
      console.log(`beat takeover after SIGKILL: first send ${gapMs} ms after the kill, ${missed} slot(s) collapsed`);
    } finally {
      await s.close();
    }
  }, 60_000);
});
