/**
 * Bench section 6: beat lateness (issue 6). How late beat sends 1 s-interval periodic tasks against their ideal
 * grid, with one beat and with two (one leads, through the Redis lease), how long a takeover takes when the
 * leader is killed, and what many entries cost per turn.
 *
 * Each beat is a child process (bench/beat-process.ts: the bench app and `app.startBeat`, as `npm run beat`
 * runs it) on the run's database and key prefix. Per run: the previous run's PeriodicTask rows are deleted,
 * the beats started, then `entries` rows of `every 1 second` created with a common startTime T0 on a whole
 * second at least 2 s ahead (so every beat has read them, at most beatMaxLoopIntervalMs apart, before their
 * first slot): the grid is T0 + k s. Each send is reported over IPC (BeatSend: slotAt, sentAt); the slots
 * in [T0, T0 + seconds) are the run's. This process runs a worker for the sent task (bench.beatTick,
 * ignoreResult), which records when each task starts.
 *
 *   lateness = sentAt − slotAt (sentAt: once this send's own publish is done, after the durable transaction's
 *     commit; beat prepares the transaction before the slot, so what follows the instant is the commit and the publish);
 *   worker start = the task's run() − slotAt (BullMQ delivery included); the target is its p99 ≤ 5 ms (issue 10).
 * Checks: sends vs expected (seconds per entry, ± 1), every slotAt on the grid, no slot sent twice (unique
 * entry+slotAt, and the rows' totalRunCount equal to the sends reported), who led.
 * Takeover: two beats; `killAfterS` into the run (300 ms after a slot, so between turns) the leader is
 * SIGKILLed; reported: kill → the other's first send, that send's slot, and the slots sent in all (catchUp
 * "one" sends one slot for all the ones missed while nobody led).
 * Many entries: one beat, `manyEntries` rows on the same grid: each slot is sent one row after the other, so
 * the spread of a slot's sends (first → last) is the turn's cost.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { benchApp, type BenchApp } from "./app";
import { BEAT_TASK, type BeatMessage } from "./beat-process";
import { journalMode, type BenchDatabase } from "./db";
import { percentile, table } from "./stats";

const CHILD = fileURLToPath(new URL("./beat-process.ts", import.meta.url));
const SLOT_MS = 1000;
/** Issue 10's target: worker start − slot, p99, per run (1 s schedules, one beat and two, SQLite and PostgreSQL). */
export const TARGET_WORKER_P99_MS = 5;

type Phase = <T>(label: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;

export interface BeatOptions {
  /** Seconds (slots) per lateness run. */
  seconds: number;
  /** Periodic tasks in the one-beat and two-beat runs. */
  entries: number;
  /** Seconds of the takeover run, and when in it the leader is killed. */
  takeoverS: number;
  killAfterS: number;
  /** The many-entries run: rows, seconds. 0 rows skips it. */
  manyEntries: number;
  manySeconds: number;
}

interface Ms {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface BeatRun {
  label: string;
  beats: number;
  entries: number;
  seconds: number;
  sends: number;
  expected: number;
  /** Slots of the grid never sent (collapsed into a later send by catchUp "one": the beat was too late or nobody led). */
  missed: number;
  /** Every entry sent `seconds` ± 1 slots (the takeover run: the other beat sent after the kill, and no slot twice). */
  countOk: boolean;
  duplicates: number;
  offGrid: number;
  /** Sends this process was told of vs the rows' totalRunCount (a send the killed beat committed but never reported shows here). */
  reported: number;
  dbRuns: number;
  lateMs: Ms;
  /** The run's first send (a cold path: the first transaction and publish of the process). */
  firstLateMs: number | null;
  workerStartMs: Ms | null;
  /** The first send's worker start − slotAt (a cold beat and, in each database's first run, a cold worker). */
  firstWorkerMs: number | null;
  /** workerStartMs.p99 against TARGET_WORKER_P99_MS (met: null when no task start was seen); over: the starts later than it. */
  target: { workerP99Ms: number; met: boolean | null; over: number };
  /** Sends per beat (name → count), and the leader terms seen (name, from ms after T0). */
  byBeat: Record<string, number>;
  leaders: { beat: string; fromMs: number; toMs: number | null }[];
  /** Many entries: per slot, last send − first send. */
  slotSpreadMs?: Ms;
  perSendMs?: number;
  takeover?: { killed: string; killAtMs: number; nextSendAfterKillMs: number | null; nextSlotAtMs: number | null; nextLateMs: number | null; by: string | null };
  /** Warnings and errors the beats logged (first few). */
  beatLog: string[];
}

export interface BeatDbResult {
  database: string;
  runs: BeatRun[];
  lockMs: number;
  maxLoopIntervalMs: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("aborted"));
    const timer = setTimeout(() => (signal?.removeEventListener("abort", stop), resolve()), Math.max(0, ms));
    const stop = () => (clearTimeout(timer), reject(new Error("aborted")));
    signal?.addEventListener("abort", stop, { once: true });
  });

function ms(values: number[]): Ms {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Every beat child still alive: killed on the way out, whatever happened. */
const live = new Set<ChildProcess>();
process.once("exit", () => live.forEach((p) => p.kill("SIGKILL")));

interface Beat {
  name: string;
  proc: ChildProcess;
  holder: string;
  sends: (BeatMessage & { type: "send" })[];
  leader: { leader: boolean; at: number }[];
  log: string[];
  close(): Promise<void>;
  kill(): Promise<void>;
}

async function startBeatProcess(name: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Beat> {
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...env, BENCH_BEAT_NAME: name },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  live.add(proc);
  const exited = new Promise<void>((r) => proc.once("exit", () => (live.delete(proc), r())));
  const beat: Beat = {
    name,
    proc,
    holder: "",
    sends: [],
    leader: [],
    log: [],
    async close() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      if (proc.connected) proc.send("close");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
  let buffered = "";
  proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (buffered + chunk).split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= 40 && beat.log.length < 20) beat.log.push(`${name}: ${entry.msg}${entry.err?.message ? ` (${entry.err.message})` : ""}`);
      } catch {
        if (line.trim() && beat.log.length < 20) beat.log.push(`${name}: ${line.trim().slice(0, 200)}`);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`beat ${name}: not ready within 60 s`)), 60_000);
    const fail = (error: Error) => (off(), proc.kill("SIGKILL"), reject(error));
    const onExit = (code: number | null) => fail(new Error(`beat ${name} exited (${code}) before it was ready`));
    const onAbort = () => fail(new Error("aborted"));
    const off = () => (clearTimeout(timer), proc.off("exit", onExit), signal.removeEventListener("abort", onAbort));
    proc.on("message", (m: BeatMessage) => {
      if (m.type === "send") beat.sends.push(m);
      else if (m.type === "leader") beat.leader.push(m);
      else if (m.type === "error") fail(new Error(`beat ${name}: ${m.message}`));
      else if (m.type === "ready") (off(), (beat.holder = m.holder), resolve());
    });
    proc.once("exit", onExit);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return beat;
}

interface Ctx {
  db: BenchDatabase;
  app: BenchApp;
  env: NodeJS.ProcessEnv;
  started: Map<string, number>;
  note: (line: string) => void;
}

let runSerial = 0;

/** One run: `beats` beat processes, `entries` rows of every 1 s on a common grid, `seconds` slots; optionally the leader killed. */
async function run(
  c: Ctx,
  o: { label: string; beats: number; entries: number; seconds: number; killAfterS?: number },
  signal: AbortSignal,
): Promise<BeatRun> {
  const client = c.db.client;
  await client.periodicTask.deleteMany({ where: { managed: false } });
  const beats: Beat[] = [];
  try {
    const names = Array.from({ length: o.beats }, (_, i) => `beat-${String.fromCharCode(97 + i)}`);
    beats.push(...(await Promise.all(names.map((name) => startBeatProcess(name, c.env, signal)))));
    const tag = `r${++runSerial}`;
    const t0 = Math.ceil((Date.now() + 2_000 + o.entries * 30) / SLOT_MS) * SLOT_MS;
    for (let i = 0; i < o.entries; i++) {
      await c.app.periodicTasks.create({
        name: `bench-beat-${tag}-${String(i).padStart(3, "0")}`,
        task: BEAT_TASK,
        args: [i],
        schedule: { kind: "interval", every: 1, period: "seconds" },
        startTime: new Date(t0),
        catchUp: "one",
      });
    }
    if (Date.now() > t0 - 1_000) c.note(`${o.label}: rows created only ${t0 - Date.now()} ms before the first slot; its first sends may be late`);
    const end = t0 + o.seconds * SLOT_MS;

    let killed: { beat: Beat; at: number } | undefined;
    if (o.killAfterS !== undefined) {
      await sleep(t0 + o.killAfterS * SLOT_MS + 300 - Date.now(), signal);
      const last = beats.flatMap((b) => b.sends.map((s) => ({ b, s }))).sort((x, y) => y.s.sentAt - x.s.sentAt)[0];
      if (!last) throw new Error(`${o.label}: no send before the kill`);
      const at = Date.now();
      await last.b.kill();
      killed = { beat: last.b, at };
    }
    // Slots before `end` are sent by end + the turn's cost; the worker takes them within a few ms more.
    await sleep(end + 1_000 + o.entries * 20 - Date.now(), signal);
    await Promise.all(beats.map((b) => b.close()));

    const all = beats.flatMap((b) => b.sends.map((s) => ({ ...s, beat: b.name })));
    const runs = all.filter((s) => s.slotAt >= t0 && s.slotAt < end);
    const keys = new Set(all.map((s) => `${s.periodicTask}@${s.slotAt}`));
    const rows = await client.periodicTask.findMany({ where: { managed: false }, select: { totalRunCount: true } });
    const byBeat = Object.fromEntries(beats.map((b) => [b.name, runs.filter((s) => s.beat === b.name).length]));
    const leaders = beats
      .flatMap((b) => {
        const terms: BeatRun["leaders"] = [];
        for (const e of b.leader) {
          if (e.leader) terms.push({ beat: b.name, fromMs: e.at - t0, toMs: null });
          else if (terms.length) terms[terms.length - 1].toMs = e.at - t0;
        }
        return terms;
      })
      .sort((x, y) => x.fromMs - y.fromMs);
    const started = runs.map((s) => c.started.get(s.taskId)).filter((x): x is number => x !== undefined);
    const expected = o.seconds * o.entries;
    const perEntry = new Map<string, number>();
    for (const s of runs) perEntry.set(s.periodicTask, (perEntry.get(s.periodicTask) ?? 0) + 1);
    const first = [...runs].sort((x, y) => x.sentAt - y.sentAt)[0];
    const workerStarts = runs.filter((s) => c.started.has(s.taskId)).map((s) => c.started.get(s.taskId)! - s.slotAt);
    const workerStartMs = started.length ? ms(workerStarts) : null;
    const result: BeatRun = {
      label: o.label,
      beats: o.beats,
      entries: o.entries,
      seconds: o.seconds,
      sends: runs.length,
      expected,
      missed: expected - runs.length,
      countOk: perEntry.size === o.entries && [...perEntry.values()].every((n) => Math.abs(n - o.seconds) <= 1),
      duplicates: all.length - keys.size,
      offGrid: all.filter((s) => (s.slotAt - t0) % SLOT_MS !== 0).length,
      reported: all.length,
      dbRuns: rows.reduce((sum, r) => sum + r.totalRunCount, 0),
      lateMs: ms(runs.map((s) => s.sentAt - s.slotAt)),
      firstLateMs: first ? first.sentAt - first.slotAt : null,
      workerStartMs,
      firstWorkerMs: first && c.started.has(first.taskId) ? c.started.get(first.taskId)! - first.slotAt : null,
      target: {
        workerP99Ms: TARGET_WORKER_P99_MS,
        met: workerStartMs ? workerStartMs.p99 <= TARGET_WORKER_P99_MS : null,
        over: workerStarts.filter((x) => x > TARGET_WORKER_P99_MS).length,
      },
      byBeat,
      leaders,
      beatLog: beats.flatMap((b) => b.log).slice(0, 10),
    };
    if (o.entries > 1) {
      const bySlot = new Map<number, number[]>();
      for (const s of runs) bySlot.set(s.slotAt, [...(bySlot.get(s.slotAt) ?? []), s.sentAt]);
      const spreads = [...bySlot.values()].filter((v) => v.length === o.entries).map((v) => Math.max(...v) - Math.min(...v));
      result.slotSpreadMs = ms(spreads);
      result.perSendMs = result.slotSpreadMs.p50 / (o.entries - 1);
    }
    if (killed) {
      const next = all.filter((s) => s.beat !== killed.beat.name && s.sentAt > killed.at).sort((x, y) => x.sentAt - y.sentAt)[0];
      result.takeover = {
        killed: killed.beat.name,
        killAtMs: killed.at - t0,
        nextSendAfterKillMs: next ? next.sentAt - killed.at : null,
        nextSlotAtMs: next ? next.slotAt - t0 : null,
        nextLateMs: next ? next.sentAt - next.slotAt : null,
        by: next?.beat ?? null,
      };
      result.countOk = next !== undefined && result.duplicates === 0;
    }
    return result;
  } finally {
    await Promise.all(beats.map((b) => b.close().catch(() => b.kill())));
  }
}

/** Section 6 on each database given: the runs above, with one worker in this process taking the sent tasks. */
export async function beatSection(o: BeatOptions & { dbs: BenchDatabase[]; keyPrefix: string; queue: (name: string) => string; phase: Phase; note: (line: string) => void }): Promise<BeatDbResult[]> {
  const results: BeatDbResult[] = [];
  for (const db of o.dbs) {
    const label = db.kind === "postgres" ? "PostgreSQL" : `SQLite (${await journalMode(db)})`;
    const queue = o.queue(`beat-${db.kind}`);
    const started = new Map<string, number>();
    const { app } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix: o.keyPrefix, queue });
    app.task({ name: BEAT_TASK, args: z.tuple([z.number()]), ignoreResult: true, run: (ctx, n) => (started.set(ctx.id, Date.now()), n) });
    const worker = await app.startWorker({ queues: [queue], concurrency: 8 });
    const env = { ...process.env, DATABASE_URL: db.url, BENCH_KEY_PREFIX: o.keyPrefix, BENCH_BEAT_QUEUE: queue };
    const c: Ctx = { db, app, env, started, note: o.note };
    const runs: BeatRun[] = [];
    try {
      const steps: { label: string; beats: number; entries: number; seconds: number; killAfterS?: number }[] = [
        { label: "1 beat", beats: 1, entries: o.entries, seconds: o.seconds },
        { label: "2 beats", beats: 2, entries: o.entries, seconds: o.seconds },
        { label: "2 beats, leader killed", beats: 2, entries: o.entries, seconds: o.takeoverS, killAfterS: o.killAfterS },
        ...(o.manyEntries > 0 ? [{ label: `1 beat, ${o.manyEntries} entries`, beats: 1, entries: o.manyEntries, seconds: o.manySeconds }] : []),
      ];
      for (const step of steps) {
        runs.push(await o.phase(`beat on ${db.kind}: ${step.label}, ${step.entries} × every 1 s for ${step.seconds} s`, (signal) => run(c, step, signal)));
      }
    } finally {
      await worker.stop();
      await app.close();
    }
    results.push({ database: label, runs, lockMs: app.config.beatLockMs, maxLoopIntervalMs: app.config.beatMaxLoopIntervalMs });
  }
  return results;
}

export function printBeat(results: BeatDbResult[], o: BeatOptions): void {
  const first = results[0];
  console.log(
    `6. Beat lateness — periodic tasks every 1 s on a grid of whole seconds; sent = sentAt − slotAt, worker = task start − slotAt` +
      (first ? ` (lease ${first.lockMs} ms, max loop interval ${first.maxLoopIntervalMs} ms)` : ""),
  );
  const f = (x: Ms | null | undefined, k: keyof Ms) => (x && x.n ? x[k] : "-");
  for (const r of results) {
    console.log(`${r.database}:`);
    console.log(
      table([
        ["run", "beats", "entries", "s", "sends", "expected", "missed", "ok", "dup", "off grid", "db runs", "sent p50", "p99", "max ms", "worker p50", "p99", "max ms", `worker p99 ≤ ${TARGET_WORKER_P99_MS} ms`, "sends by beat"],
        ...r.runs.map((x) => [
          x.label, x.beats, x.entries, x.seconds, x.sends, x.takeover ? `${x.expected} − lapse` : `${x.expected} ± ${x.entries}`, x.missed,
          x.countOk && x.duplicates === 0 && x.offGrid === 0 && x.dbRuns === x.reported ? "yes" : "NO",
          x.duplicates, x.offGrid, x.dbRuns === x.reported ? String(x.dbRuns) : `${x.dbRuns} (≠ ${x.reported})`,
          f(x.lateMs, "p50"), f(x.lateMs, "p99"), f(x.lateMs, "max"),
          f(x.workerStartMs, "p50"), f(x.workerStartMs, "p99"), f(x.workerStartMs, "max"),
          x.target.met === null ? "-" : x.target.met ? "met" : "NOT met",
          Object.entries(x.byBeat).map(([b, n]) => `${b} ${n}`).join(", "),
        ]),
      ]),
    );
    for (const x of r.runs) {
      const terms = x.leaders.map((l) => `${l.beat} from ${(l.fromMs / 1000).toFixed(2)} s${l.toMs === null ? "" : ` to ${(l.toMs / 1000).toFixed(2)} s`}`).join("; ");
      const firstSend =
        (x.firstLateMs === null ? "" : `; first send ${x.firstLateMs} ms late`) +
        (x.firstWorkerMs === null ? "" : ` (worker start ${x.firstWorkerMs} ms)`) +
        (x.workerStartMs ? `; ${x.target.over} of ${x.workerStartMs.n} worker starts over ${TARGET_WORKER_P99_MS} ms` : "");
      console.log(`  ${x.label}: led by ${terms || "nobody"} (times from the first slot)${firstSend}`);
      if (x.takeover) {
        const t = x.takeover;
        console.log(
          `    ${t.killed} SIGKILLed at ${(t.killAtMs / 1000).toFixed(2)} s; ` +
            (t.nextSendAfterKillMs === null
              ? "NO send by the other beat after it"
              : `${t.by} sent ${(t.nextSendAfterKillMs / 1000).toFixed(2)} s later (slot ${(t.nextSlotAtMs! / 1000).toFixed(0)} s, ${t.nextLateMs} ms late); `) +
            `${x.sends} of ${x.expected} slots sent, ${x.missed} collapsed into that one by catchUp "one"`,
        );
      }
      if (x.slotSpreadMs) {
        console.log(
          `    one slot's ${x.entries} sends, first → last: p50 ${x.slotSpreadMs.p50} ms, max ${x.slotSpreadMs.max} ms (${x.perSendMs!.toFixed(1)} ms per send` +
            `, so one beat sends at most ~${Math.floor(1000 / x.perSendMs!)} per second)` +
            (x.missed > 0 ? `; the turn outlasts the 1 s interval: ${x.missed} slots collapsed` : ""),
        );
      }
      for (const line of x.beatLog) console.log(`    log: ${line}`);
    }
  }
  console.log(
    `(each beat a child process; ${o.entries} entr${o.entries === 1 ? "y" : "ies"} per lateness run, rows created ≥ 2 s before the first slot; ` +
      `ok = each entry sent its slots ± 1, no duplicate slot, all on the grid, every claim reported (db runs: the rows' totalRunCount, ` +
      `which also counts the sends after the window, until the beats stopped; the takeover run: the lease lapses, then the other beat sends). ` +
      `Target (issue 10): worker p99 ≤ ${TARGET_WORKER_P99_MS} ms in the 1 beat and 2 beats runs; the takeover and many-entries runs show it for comparison.)\n`,
  );
}
