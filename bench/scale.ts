/**
 * Bench section 10: how throughput grows with worker processes, and where it stops and why. N no-op tasks are
 * enqueued first, into paused queues, while K production workers (`node <dist>/worker.js`, as in section 7,
 * each in its own process, its log to a file) are up and warmed; the queues are then resumed, and the clock runs
 * from the resume to the last TaskResult row's doneAt (all N SUCCESS). Worker start-up is not in the figure.
 * Each worker process has the same tasks in flight: `-c 32` (the default) on one queue, `-c 8` on each of 4.
 * Brokers: a single Redis with one queue (the default deployment) and with the tasks over 4 queues, and a local
 * 3-master Redis Cluster (test/redis-servers.ts) with the same 4 queues, whose names are picked so that they sit
 * 2/1/1 on the masters in every run (one queue lives in one slot, on one master). The single Redis is a server of
 * this section's own (redis-server.ts), set up as the Cluster's nodes are, so that its CPU is this section's alone.
 * Results in SQLite (WAL) and PostgreSQL on the one-queue Redis, in PostgreSQL only on the others (several hosts
 * cannot share a SQLite file, and the 4-queue Redis is there to set the Cluster against); raw BullMQ (a no-op
 * processor, no result storage, in K processes of its own) is the ceiling on each.
 * Around each drain, every component's CPU is read from /proc: the workers, each redis-server, PostgreSQL (this
 * database's backends and the server's background processes), this process, and what the rest of the machine
 * used meanwhile — on a 2-core machine, the answer to "why does it stop growing".
 * Rounds alternate the order of the worker counts (1,2,4 then 4,2,1) so that drift hits every count alike, and
 * each run waits (up to BENCH_SCALE_QUIET_WAIT_S) for a quiet second first: on a shared machine, other work's
 * load swings more between runs than anything measured here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Queue } from "bullmq";
import { Cluster } from "ioredis";
import { createRedisConnection } from "celeriac";
import { buildWorkers } from "@/scripts/build-workers";
import { startRedisCluster, type RedisCluster } from "../packages/celeriac/test/redis-servers";
import { benchApp, queuePrefix } from "./app";
import { processName, quietSpell, sampleCpu, type CpuComponent, type CpuShares } from "./cpu";
import type { BenchDatabase } from "./db";
import { celeriacJobOptions, type JobOptionsFor } from "./delay-vs-add";
import { startRedisServer, type BenchRedis } from "./redis-server";
import { OUTDIR, startWorker } from "./result-path";
import { table } from "./stats";
import { enqueueChunked, sleep } from "./throughput";

const ROOT = resolve(import.meta.dirname, "..");

/** "redis": a single Redis, one queue; "redis-queues": the same, tasks over `queues` queues; "cluster": a local 3-master Cluster, over `queues` queues. */
export type BrokerKind = "redis" | "redis-queues" | "cluster";

export const TARGETS = {
  /**
   * 2 workers ÷ 1 worker where the machine has ≥ 2 cores free for the workers (its cores less what Redis, PostgreSQL
   * and interrupts took in the 1-worker run; e.g. 4 cores): a second process should then add ≥ 60 %. Not on 2 cores.
   */
  twoWorkers: 1.6,
  /**
   * With the most workers, the share of the CPU other work left that the workers, Redis and PostgreSQL kept busy
   * (serving ÷ (serving + idle)): ≥ this says throughput stopped growing because the CPU ran out, not on a lock or a wait.
   */
  saturation: 0.9,
  /** CPU per task (workers + Redis + PostgreSQL) with the most workers ÷ with one: adding processes should cost ≤ 25 % more per task. */
  cpuPerTask: 1.25,
} as const;

const CLUSTER_MASTERS = 3;
/** A quiet second: under a quarter of the machine busy (an idle 2-core machine shows a few %). */
const QUIET_BUSY = 0.25;
const DIST_RETRY_S = 30;

export interface ScaleOptions {
  dbs: BenchDatabase[];
  keyPrefix: string;
  queue: (name: string) => string;
  n: number;
  workers: number[];
  /** Queues of the "redis-queues" and "cluster" runs. */
  queues: number;
  /** Tasks in flight per worker process: -c inflight on one queue, inflight / queues on each of several. */
  inflight: number;
  rounds: number;
  /** Warm-up tasks per worker process, before the queues are paused. */
  warmup: number;
  /** Before each run, wait up to this long for a second with the machine under QUIET_BUSY busy (0: never wait). */
  quietWaitS: number;
  brokers: BrokerKind[];
  chunk: number;
  phase: <T>(label: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  note: (line: string) => void;
}

export interface ScaleRun {
  broker: BrokerKind;
  results: string;
  workers: number;
  round: number;
  queues: number;
  /** -c per queue. */
  concurrency: number;
  n: number;
  enqueueMs: number;
  drainMs: number;
  perSecond: number;
  /** CPU per task of what serves the tasks: the workers, Redis and PostgreSQL (not this process, not other work). */
  cpuUsPerTask: number;
  /** Of which the worker processes'. */
  workerUsPerTask: number;
  cpu: CpuShares;
  /** Cluster runs: the master port each queue sat on. */
  placement?: number[];
  /** The machine's busy share (0–1) in the second before the run, and how long the run waited for it. */
  before: { busy: number; waitedMs: number };
}

interface Broker {
  kind: BrokerKind;
  url: string;
  queues: number;
  redisPids: number[];
  cluster?: RedisCluster;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The redis-server processes behind a URL (each master of a Cluster), by INFO's process_id; [] when not on this machine. */
async function redisServerPids(url: string): Promise<number[]> {
  const redis = createRedisConnection(url, { maxRetriesPerRequest: 1 });
  try {
    await redis.ping();
    const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
    const pids = await Promise.all(nodes.map(async (node) => Number(/process_id:(\d+)/.exec(await node.info("server"))?.[1])));
    return pids.filter((pid) => processName(pid)?.startsWith("redis-server"));
  } finally {
    redis.disconnect();
  }
}

/** This database's PostgreSQL backends (the workers' and the bench's) and the server's background processes (WAL writer, …). */
async function postgresPids(db: BenchDatabase): Promise<number[]> {
  const rows = await db.client.$queryRawUnsafe<{ pid: number }[]>(
    `SELECT pid FROM pg_stat_activity WHERE (datname = current_database() OR backend_type <> 'client backend') AND pid <> pg_backend_pid()`,
  );
  return rows.map((r) => Number(r.pid));
}

/** `count` queue names from `base`; on a Cluster, chosen so that no master holds more than its share (2/1/1 for 4 on 3). */
async function queueNames(o: ScaleOptions, broker: Broker, base: string): Promise<{ names: string[]; placement?: number[] }> {
  if (broker.kind === "redis") return { names: [o.queue(base)] };
  if (!broker.cluster) return { names: Array.from({ length: broker.queues }, (_, i) => o.queue(`${base}-q${i}`)) };
  const share = Math.ceil(broker.queues / CLUSTER_MASTERS);
  const perMaster = new Map<number, number>();
  const names: string[] = [];
  const placement: number[] = [];
  for (let i = 0; names.length < broker.queues; i++) {
    if (i > 200) throw new Error(`no ${broker.queues} queue names spread over the Cluster's masters`);
    const name = `${base}-q${i}`;
    const port = await broker.cluster.nodeOfKey(`${queuePrefix(o.keyPrefix, name)}:meta`);
    if ((perMaster.get(port) ?? 0) >= share) continue;
    perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
    names.push(name);
    placement.push(port);
  }
  return { names, placement };
}

/** Empties the result table between runs, so that every run writes into the same empty table. */
async function emptyResults(db: BenchDatabase): Promise<void> {
  if (db.kind === "postgres") {
    await db.client.$executeRawUnsafe(`TRUNCATE "TaskResult"`);
    return;
  }
  await db.client.$executeRawUnsafe(`DELETE FROM "TaskResult"`);
  await db.client.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
}

async function waitFor(what: () => Promise<boolean>, everyMs: number, signal: AbortSignal, progress: () => Promise<string>): Promise<void> {
  while (!(await what())) {
    if (signal.aborted) throw new Error(await progress());
    await sleep(everyMs);
  }
}

/** One drain by K production workers with results in `db`. */
async function celeriacRun(o: ScaleOptions, broker: Broker, db: BenchDatabase, k: number, round: number, signal: AbortSignal): Promise<Omit<ScaleRun, "before">> {
  const { names, placement } = await queueNames(o, broker, `scale-${broker.kind}-${db.kind}-w${k}-r${round}`);
  const concurrency = Math.max(1, Math.round(o.inflight / names.length));
  await emptyResults(db);
  const logs = mkdtempSync(join(tmpdir(), "celeriac-bench-scale-"));
  const { app, noop } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix: o.keyPrefix, queue: names[0], redisUrl: broker.url });
  const workers: Awaited<ReturnType<typeof startWorker>>[] = [];
  try {
    const started = await Promise.allSettled(
      Array.from({ length: k }, (_, i) =>
        startWorker(db, o.keyPrefix, names, o.note, { concurrency, hostname: `scale-${i + 1}@bench`, redisUrl: broker.url, logFile: join(logs, `worker-${i + 1}.log`) }),
      ),
    );
    for (const s of started) if (s.status === "fulfilled") workers.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const send = (i: number) => noop.applyAsync([i], { queue: names[i % names.length] });
    const succeeded = () => db.client.taskResult.count({ where: { status: "SUCCESS" } });
    const warm = o.warmup * k;
    await enqueueChunked(warm, o.chunk, signal, send);
    await waitFor(async () => (await succeeded()) >= warm, 50, signal, async () => `warm-up: ${await succeeded()} of ${warm} SUCCESS`);
    for (const name of names) await app.broker.pauseQueue(name);
    const enqueueMs = await enqueueChunked(o.n, o.chunk, signal, send);
    const components: CpuComponent[] = [
      { name: "workers", pids: () => workers.map((w) => w.pid) },
      { name: "redis", pids: () => broker.redisPids },
      ...(db.kind === "postgres" ? [{ name: "postgres", pids: () => postgresPids(db) }] : []),
      { name: "bench", pids: () => [process.pid] },
    ];
    const stopCpu = await sampleCpu(components);
    const t0 = Date.now();
    await Promise.all(names.map((name) => app.broker.resumeQueue(name)));
    const total = warm + o.n;
    await waitFor(async () => (await succeeded()) >= total, 100, signal, async () => `${(await succeeded()) - warm} of ${o.n} SUCCESS so far`);
    const cpu = await stopCpu();
    const last = (await db.client.taskResult.aggregate({ _max: { doneAt: true } }))._max.doneAt!.getTime();
    const drainMs = last - t0;
    const serving = cpu.cpuUs.workers + cpu.cpuUs.redis + (cpu.cpuUs.postgres ?? 0);
    return {
      broker: broker.kind, results: db.kind === "postgres" ? "PostgreSQL" : "SQLite (WAL)", workers: k, round, queues: names.length, concurrency,
      n: o.n, enqueueMs, drainMs, perSecond: (o.n / drainMs) * 1000, cpuUsPerTask: serving / o.n, workerUsPerTask: cpu.cpuUs.workers / o.n, cpu, placement,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await app.close();
    rmSync(logs, { recursive: true, force: true });
  }
}

/** A raw BullMQ worker process (scale-raw-worker.ts); resolves once it is ready. */
async function startRawWorker(url: string, queues: { name: string; prefix: string }[], concurrency: number) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench/scale-raw-worker.ts"), JSON.stringify({ url, queues, concurrency })], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setInterval(() => output.includes("ready.") && (clearInterval(timer), resolveReady()), 20);
    child.once("exit", (code) => (clearInterval(timer), reject(new Error(`raw worker exited (${code}) before it was ready:\n${output.slice(-2000)}`))));
  });
  return {
    pid: child.pid!,
    /** SIGTERM; resolves with what it completed, and when its last job completed (epoch ms). */
    async stop(): Promise<{ completed: number; lastAt: number }> {
      if (child.exitCode !== null) throw new Error(`raw worker had exited (${child.exitCode}):\n${output.slice(-2000)}`);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (!line) throw new Error(`raw worker said nothing on stopping:\n${output.slice(-2000)}`);
      return JSON.parse(line) as { completed: number; lastAt: number };
    },
  };
}

/** One drain by K raw BullMQ worker processes: the ceiling, no result storage. */
async function rawRun(o: ScaleOptions, broker: Broker, jobOptions: JobOptionsFor, k: number, round: number, signal: AbortSignal): Promise<Omit<ScaleRun, "before">> {
  const { names, placement } = await queueNames(o, broker, `scale-${broker.kind}-raw-w${k}-r${round}`);
  const concurrency = Math.max(1, Math.round(o.inflight / names.length));
  const connection = createRedisConnection(broker.url, { maxRetriesPerRequest: null });
  const queues = names.map((name) => new Queue(name, { connection, prefix: queuePrefix(o.keyPrefix, name) }));
  const workers: Awaited<ReturnType<typeof startRawWorker>>[] = [];
  let stopped = false;
  try {
    const started = await Promise.allSettled(Array.from({ length: k }, () => startRawWorker(broker.url, names.map((name) => ({ name, prefix: queuePrefix(o.keyPrefix, name) })), concurrency)));
    for (const s of started) if (s.status === "fulfilled") workers.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const send = (i: number) => queues[i % queues.length].add("bench.noop", { args: [i], sentAt: Date.now(), retries: 0 }, jobOptions());
    const left = async () => {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts("waiting", "active", "prioritized", "delayed")));
      return counts.reduce((s, c) => s + Object.values(c).reduce((a, b) => a + b, 0), 0);
    };
    const warm = o.warmup * k;
    await enqueueChunked(warm, o.chunk, signal, send);
    await waitFor(async () => (await left()) === 0, 50, signal, async () => `warm-up: ${await left()} jobs left`);
    for (const q of queues) await q.pause();
    const enqueueMs = await enqueueChunked(o.n, o.chunk, signal, send);
    const stopCpu = await sampleCpu([
      { name: "workers", pids: () => workers.map((w) => w.pid) },
      { name: "redis", pids: () => broker.redisPids },
      { name: "bench", pids: () => [process.pid] },
    ]);
    const t0 = Date.now();
    await Promise.all(queues.map((q) => q.resume()));
    await waitFor(async () => (await left()) === 0, 50, signal, async () => `${await left()} of ${o.n} jobs left`);
    const cpu = await stopCpu();
    stopped = true;
    const ends = await Promise.all(workers.map((w) => w.stop()));
    const completed = ends.reduce((s, e) => s + e.completed, 0);
    if (completed !== warm + o.n) throw new Error(`raw workers completed ${completed} jobs, not ${warm + o.n}`);
    const drainMs = Math.max(...ends.map((e) => e.lastAt)) - t0;
    return {
      broker: broker.kind, results: "none (raw BullMQ)", workers: k, round, queues: names.length, concurrency,
      n: o.n, enqueueMs, drainMs, perSecond: (o.n / drainMs) * 1000, cpuUsPerTask: (cpu.cpuUs.workers + cpu.cpuUs.redis) / o.n, workerUsPerTask: cpu.cpuUs.workers / o.n, cpu, placement,
    };
  } finally {
    if (!stopped) await Promise.allSettled(workers.map((w) => w.stop()));
    for (const q of queues) await q.close();
    connection.disconnect();
  }
}

/** The result stores a broker's runs use: all on the one-queue Redis; elsewhere PostgreSQL (SQLite when there is none). */
function storesFor(o: ScaleOptions, broker: Broker): BenchDatabase[] {
  const postgres = o.dbs.filter((db) => db.kind === "postgres");
  return broker.kind === "redis" || postgres.length === 0 ? o.dbs : postgres;
}

export async function scaleSection(o: ScaleOptions): Promise<ScaleRun[]> {
  await o.phase("build the production worker (with the bench's tasks)", () => buildWorkers({ outdir: OUTDIR, extraTasks: [{ in: "bench/e2e-tasks/bench.ts", out: "bench" }] }));
  const jobOptions = await o.phase("read back celeriac's BullMQ job options", () => celeriacJobOptions(o.dbs[0], o.keyPrefix, o.queue("scale-raw-probe")));
  let single: BenchRedis | undefined;
  let cluster: RedisCluster | undefined;
  try {
    if (o.brokers.some((b) => b !== "cluster")) single = await o.phase("start a redis-server", () => startRedisServer());
    if (o.brokers.includes("cluster")) cluster = await o.phase(`start a local ${CLUSTER_MASTERS}-master Redis Cluster`, () => startRedisCluster({ masters: CLUSTER_MASTERS, replicasPerMaster: 0 }));
    const brokers: Broker[] = [];
    for (const kind of o.brokers) {
      const url = kind === "cluster" ? cluster!.url : single!.url;
      brokers.push({ kind, url, queues: kind === "redis" ? 1 : o.queues, redisPids: await redisServerPids(url), cluster: kind === "cluster" ? cluster : undefined });
    }
    const runs: ScaleRun[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      const counts = round % 2 ? o.workers : [...o.workers].reverse();
      for (const broker of brokers) {
        for (const system of ["raw", ...storesFor(o, broker)] as const) {
          for (const k of counts) {
            const label = `scale, ${broker.kind}, ${system === "raw" ? "raw BullMQ" : system.kind}, ${k} worker process${k > 1 ? "es" : ""}, round ${round}/${o.rounds}`;
            const attempt = async () => {
              const before = o.quietWaitS > 0 ? await quietSpell(o.quietWaitS * 1000, QUIET_BUSY) : { busy: NaN, waitedMs: 0 };
              return { ...(await o.phase(label, (signal) => (system === "raw" ? rawRun(o, broker, jobOptions, k, round, signal) : celeriacRun(o, broker, system, k, round, signal)))), before };
            };
            const run = await attempt().catch(async (error: Error) => {
              // npm run build:celeriac empties packages/celeriac/dist, then writes it file by file: a worker started
              // meanwhile finds no package, or half of it.
              if (!/ERR_MODULE_NOT_FOUND|does not provide an export named|ENOENT[^\n]*celeriac\/dist\//.test(error.message)) throw error;
              o.note(`  a worker could not load packages/celeriac/dist (being rebuilt?); the run once more in ${DIST_RETRY_S} s`);
              await sleep(DIST_RETRY_S * 1000);
              return attempt();
            });
            const p = run.cpu.percent;
            o.note(`  ${Math.round(run.perSecond)} tasks/s; CPU % of a core: workers ${Math.round(p.workers)}, redis ${Math.round(p.redis)}${p.postgres !== undefined ? `, postgres ${Math.round(p.postgres)}` : ""}, irq ${Math.round(run.cpu.irqPercent)}, other ${Math.round(run.cpu.otherPercent)}, idle ${Math.round(run.cpu.idlePercent)}`);
            runs.push(run);
          }
        }
      }
    }
    return runs;
  } finally {
    await cluster?.stop();
    await single?.stop();
  }
}

export interface ScaleFigure {
  broker: BrokerKind;
  results: string;
  workers: number;
  queues: number;
  concurrency: number;
  runs: number;
  perSecond: number;
  perSecondMin: number;
  perSecondMax: number;
  vsOneWorker: number;
  vsRaw: number | undefined;
  cpuUsPerTask: number;
  workerUsPerTask: number;
  /**
   * The rate this CPU per task allows on an otherwise idle machine: each worker process runs its tasks on one
   * thread (at most one core), and workers + Redis + PostgreSQL share the machine's cores.
   */
  ceiling: number;
  /** Medians over the runs, % of one core. */
  percent: { workers: number; redis: number; postgres?: number; bench: number; irq: number; other: number; idle: number };
  /** Median of the machine's busy share (0–1) in the second before each run. */
  busyBefore: number;
  placement?: number[];
}

/** Tasks/s that `workers` processes could reach on an idle machine, at these CPU costs per task (µs). */
function ceiling(workers: number, workerUs: number, allUs: number): number {
  return Math.min((workers * 1e6) / workerUs, (availableParallelism() * 1e6) / allUs);
}

/** The medians of each (broker, results, workers) over its rounds, with ratios to one worker and to raw BullMQ. */
export function scaleFigures(runs: readonly ScaleRun[]): ScaleFigure[] {
  const key = (r: Pick<ScaleRun, "broker" | "results" | "workers">) => `${r.broker}|${r.results}|${r.workers}`;
  const groups = new Map<string, ScaleRun[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const rate = (broker: BrokerKind, results: string, workers: number) => {
    const g = groups.get(key({ broker, results, workers }));
    return g ? median(g.map((r) => r.perSecond)) : undefined;
  };
  return [...groups.values()].map((g) => {
    const [first] = g;
    const perSecond = median(g.map((r) => r.perSecond));
    const m = (f: (r: ScaleRun) => number) => median(g.map(f));
    const one = rate(first.broker, first.results, Math.min(...runs.filter((r) => r.broker === first.broker && r.results === first.results).map((r) => r.workers)));
    const raw = first.results.startsWith("none") ? undefined : rate(first.broker, "none (raw BullMQ)", first.workers);
    return {
      broker: first.broker, results: first.results, workers: first.workers, queues: first.queues, concurrency: first.concurrency, runs: g.length,
      perSecond, perSecondMin: Math.min(...g.map((r) => r.perSecond)), perSecondMax: Math.max(...g.map((r) => r.perSecond)),
      vsOneWorker: one ? perSecond / one : NaN, vsRaw: raw ? perSecond / raw : undefined, cpuUsPerTask: m((r) => r.cpuUsPerTask),
      workerUsPerTask: m((r) => r.workerUsPerTask), ceiling: ceiling(first.workers, m((r) => r.workerUsPerTask), m((r) => r.cpuUsPerTask)),
      percent: {
        workers: m((r) => r.cpu.percent.workers), redis: m((r) => r.cpu.percent.redis),
        postgres: first.cpu.percent.postgres === undefined ? undefined : m((r) => r.cpu.percent.postgres ?? 0),
        bench: m((r) => r.cpu.percent.bench), irq: m((r) => r.cpu.irqPercent), other: m((r) => r.cpu.otherPercent), idle: m((r) => r.cpu.idlePercent),
      },
      busyBefore: m((r) => r.before.busy),
      placement: first.placement,
    };
  });
}

export type Verdict = "met" | "NOT MET" | "n/a";

export interface ScaleVerdict {
  broker: BrokerKind;
  queues: number;
  results: string;
  /** 2 workers ÷ 1, and the cores the 1-worker run left for workers (cores − (Redis + PostgreSQL + interrupts)). */
  twoWorkers: { ratio: number; freeCores: number; verdict: Verdict } | undefined;
  /** With the most workers: serving ÷ (serving + idle) CPU. */
  saturation: { share: number; workers: number; verdict: Verdict };
  /** CPU per task with the most workers ÷ with one. */
  cpuPerTask: { ratio: number; workers: number; verdict: Verdict };
}

const judge = (ok: boolean): Verdict => (ok ? "met" : "NOT MET");

export function scaleVerdicts(figures: readonly ScaleFigure[]): ScaleVerdict[] {
  const out: ScaleVerdict[] = [];
  for (const f1 of figures.filter((f) => f.workers === 1)) {
    const same = figures.filter((f) => f.broker === f1.broker && f.results === f1.results);
    const f2 = same.find((f) => f.workers === 2);
    const most = same.reduce((a, b) => (b.workers > a.workers ? b : a));
    const freeCores = availableParallelism() - (f1.percent.redis + (f1.percent.postgres ?? 0) + f1.percent.irq) / 100;
    const twoWorkers = f2 && { ratio: f2.vsOneWorker, freeCores, verdict: freeCores < 2 ? ("n/a" as const) : judge(f2.vsOneWorker >= TARGETS.twoWorkers) };
    const serving = most.percent.workers + most.percent.redis + (most.percent.postgres ?? 0);
    const share = serving / (serving + most.percent.idle);
    const ratio = most.cpuUsPerTask / f1.cpuUsPerTask;
    out.push({
      broker: f1.broker,
      queues: f1.queues,
      results: f1.results,
      twoWorkers,
      saturation: { share, workers: most.workers, verdict: judge(share >= TARGETS.saturation) },
      cpuPerTask: { ratio, workers: most.workers, verdict: judge(ratio <= TARGETS.cpuPerTask) },
    });
  }
  return out;
}

const BROKER_LABEL: Record<BrokerKind, string> = { redis: "Redis", "redis-queues": "Redis", cluster: "Cluster (3 masters)" };

export function printScale(runs: readonly ScaleRun[], o: Pick<ScaleOptions, "n" | "rounds" | "inflight" | "warmup" | "queues" | "quietWaitS">): { figures: ScaleFigure[]; verdicts: ScaleVerdict[] } {
  const figures = scaleFigures(runs);
  const verdicts = scaleVerdicts(figures);
  const cores = availableParallelism();
  console.log(`10. Scale: ${o.n.toLocaleString("en-US")} no-op tasks enqueued into paused queues, drained by K worker processes once resumed (${o.rounds} round${o.rounds > 1 ? "s" : ""}, medians)`);
  const pct = (x: number | undefined) => (x === undefined ? "-" : Math.round(x));
  console.log(
    table([
      ["broker", "queues × -c", "results", "K", "tasks/s", "[min–max]", "÷ K=1", "÷ raw", "µs/task", "of which workers", "ceiling/s", "workers %", "redis %", "postgres %", "bench %", "irq %", "other %", "idle %", "busy before"],
      ...figures.map((f) => [
        BROKER_LABEL[f.broker], `${f.queues} × ${f.concurrency}`, f.results, f.workers, Math.round(f.perSecond), `${Math.round(f.perSecondMin)}–${Math.round(f.perSecondMax)}`,
        f.vsOneWorker.toFixed(2), f.vsRaw === undefined ? "-" : f.vsRaw.toFixed(2), Math.round(f.cpuUsPerTask), Math.round(f.workerUsPerTask), Math.round(f.ceiling),
        pct(f.percent.workers), pct(f.percent.redis), pct(f.percent.postgres), pct(f.percent.bench), pct(f.percent.irq), pct(f.percent.other), pct(f.percent.idle), Number.isNaN(f.busyBefore) ? "-" : `${Math.round(f.busyBefore * 100)} %`,
      ]),
    ]),
  );
  const placement = figures.find((f) => f.placement)?.placement;
  console.log(`(Clock: the queues' resume → the last row's doneAt (raw: the last job's completion); worker start-up and ${o.warmup} warm-up tasks per process before it.`);
  console.log(` Each process has ${o.inflight} tasks in flight: -c ${o.inflight} on one queue, or -c ${Math.max(1, Math.round(o.inflight / o.queues))} on each of ${o.queues}. CPU: % of one core over the drain (the machine has ${cores * 100} %),`);
  console.log(` from /proc; µs/task: the CPU of workers + redis-server + PostgreSQL per task; ceiling/s: what that CPU per task allows on an idle machine, each worker`);
  console.log(` process on one thread (≤ 1 core) and all of them within ${cores} cores. postgres %: this database's backends and the server's background processes;`);
  console.log(` irq %: interrupt handling, charged to no process (mostly loopback traffic); other %: the machine's remaining busy time (other work on it).`);
  console.log(` busy before: the machine's busy share in the second before the run (each run waits up to ${o.quietWaitS} s for one under ${QUIET_BUSY * 100} %).`);
  console.log(` Redis: one redis-server of this section's own; Cluster: 3 masters, no replicas${placement ? `, the 4 queues on masters ${placement.join(", ")}` : ""}.)`);
  for (const v of verdicts) {
    const two = v.twoWorkers;
    const twoText = !two ? "" : `2 workers ÷ 1 = ${two.ratio.toFixed(2)}× (target ≥ ${TARGETS.twoWorkers}× where ≥ 2 cores are free for workers; ${two.freeCores.toFixed(1)} here): ${two.verdict}; `;
    const { saturation: sat, cpuPerTask: cpt } = v;
    console.log(
      `${BROKER_LABEL[v.broker]}, ${v.queues} queue${v.queues > 1 ? "s" : ""}, ${v.results}: ${twoText}${sat.workers} workers keep ${Math.round(sat.share * 100)} % of the CPU left to them busy ` +
        `(target ≥ ${TARGETS.saturation * 100} %): ${sat.verdict}; CPU/task ${cpt.workers} workers ÷ 1 = ${cpt.ratio.toFixed(2)}× (target ≤ ${TARGETS.cpuPerTask}×): ${cpt.verdict}`,
    );
  }
  console.log();
  return { figures, verdicts };
}
