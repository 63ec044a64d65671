/**
 * Bench section 3: a route handler that creates an Article and dispatches, under local HTTP load.
 * The server (bench/dispatch-server.ts) runs in a child process, the load generator (autocannon, closed
 * loop: each connection sends its next POST when the previous answer arrives) in this one, over
 * 127.0.0.1. Per database: a warm-up of each mode, then `rounds` measured runs per mode in alternating
 * order (plain, inTx, onCommit, durable, then reversed) so drift hits every mode alike. No worker runs.
 * `inTx` (`.delay()` inside a bare Prisma `$transaction`) is not a celeriac mode: it prices Prisma's
 * interactive transaction, which on commit and durable pay and the plain route does not.
 * Afterwards the rows and jobs are counted per mode against the 202 answers (a correctness check).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Queue } from "bullmq";
import { createRedisConnection } from "celeriac";
import { queuePrefix, REDIS_URL } from "./app";
import type { BenchDatabase } from "./db";
import { MODES, type Mode, type ServerCounts, type ServerStats } from "./dispatch-server";
import { summarize, table } from "./stats";

const PATHS: Record<Mode, string> = { plain: "/articles/plain", inTx: "/articles/in-tx", onCommit: "/articles/on-commit", durable: "/articles/durable" };
const BODY = "Celery-like background tasks for Next.js, e.g. a welcome mail after sign-up, i.e. work done later.";

export interface LoadOptions {
  connections: number;
  /** Measured seconds per mode, split over the rounds. */
  seconds: number;
  warmupS: number;
  rounds: number;
}

export interface ModeResult {
  database: string;
  mode: Mode;
  /** 2xx answers in the measured runs, and their wall time. */
  requests: number;
  seconds: number;
  perSecond: number;
  /** req/s of each measured run, to show the noise. */
  roundsPerSecond: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Connection errors and timeouts (autocannon), and non-2xx answers: both must be 0. */
  errors: number;
  non2xx: number;
  /** The server process's CPU (user + system) per 2xx answer in the measured runs. */
  serverCpuUs: number;
  check: { answered: number; server202: number; articles: number; jobs: number; rows: number | null; ok: boolean };
}

/** The server child: forked with tsx, answers "stats" over IPC. */
async function startServer(db: BenchDatabase, keyPrefix: string, queues: Record<Mode, string>) {
  const child: ChildProcess = fork(fileURLToPath(new URL("./dispatch-server.ts", import.meta.url)), [], {
    // BENCH_SERVER_NODE_ARGS reach the server's node only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
    execArgv: ["--import", "tsx", ...(process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean)],
    env: { ...process.env, BENCH_DB_URL: db.url, BENCH_KEY_PREFIX: keyPrefix, BENCH_QUEUES: JSON.stringify(queues) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string }) => m.type === type && (off(), resolve(m as T));
      const onExit = (code: number) => (off(), reject(new Error(`bench server exited (${code})`)));
      const off = () => (child.off("message", onMessage), child.off("exit", onExit));
      child.on("message", onMessage).on("exit", onExit);
    });
  const { port } = await next<{ port: number }>("ready");
  const stats = () => (child.send("stats"), next<ServerStats>("stats"));
  return {
    base: `http://127.0.0.1:${port}`,
    stats,
    /** Until no request is being handled: the runs cut off in-flight requests, which the server still completes. */
    async idle(): Promise<ServerStats> {
      for (let i = 0; i < 500; i++) {
        const s = await stats();
        if (MODES.every((m) => s.counts[m].inflight === 0)) return s;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("bench server still busy after 10 s");
    },
    async close(): Promise<void> {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.send("close");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type Run = { result: autocannon.Result; samplesUs: number[] };

function load(url: string, mode: Mode, seconds: number, connections: number, signal: AbortSignal): Promise<Run> {
  signal.throwIfAborted();
  const samplesUs: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: mode, body: BODY }), connections, duration: seconds },
      (error, result) => (signal.removeEventListener("abort", stop), error ? reject(error) : resolve({ result, samplesUs })),
    );
    const stop = () => instance.stop();
    signal.addEventListener("abort", stop, { once: true });
    instance.on("response", (_client, status, _bytes, ms) => status >= 200 && status < 300 && samplesUs.push(ms * 1000));
  });
}

/** Rows and jobs per mode: articles by title, BullMQ jobs in the mode's queue, PENDING rows or sent outbox rows. */
async function count(db: BenchDatabase, keyPrefix: string, queues: Record<Mode, string>) {
  const connection = createRedisConnection(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const out = {} as Record<Mode, { articles: number; jobs: number; rows: number | null }>;
    for (const mode of MODES) {
      const queue = new Queue(queues[mode], { connection, prefix: queuePrefix(keyPrefix, queues[mode]) });
      const jobs = Object.values(await queue.getJobCounts()).reduce((s, n) => s + n, 0);
      await queue.close();
      const articles = await db.client.article.count({ where: { title: mode } });
      const where = { queue: queues[mode] };
      const rows =
        mode === "onCommit" ? await db.client.taskResult.count({ where: { ...where, status: "PENDING" } })
        : mode === "durable" ? await db.client.taskOutbox.count({ where: { ...where, dispatchedAt: { not: null } } })
        : null;
      out[mode] = { articles, jobs, rows };
    }
    return out;
  } finally {
    connection.disconnect();
  }
}

/** Runs the three modes against one database; `queue` registers a queue name for the final cleanup. */
export async function dispatchLatency(o: LoadOptions & {
  db: BenchDatabase;
  keyPrefix: string;
  queue: (name: string) => string;
  signal: AbortSignal;
  note: (line: string) => void;
}): Promise<ModeResult[]> {
  const queues = Object.fromEntries(MODES.map((m) => [m, o.queue(`http-${o.db.kind}-${m}`)])) as Record<Mode, string>;
  const server = await startServer(o.db, o.keyPrefix, queues);
  const runs = Object.fromEntries(MODES.map((m) => [m, [] as Run[]])) as Record<Mode, Run[]>;
  const answered = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  const cpuUs = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  try {
    for (const mode of MODES) answered[mode] += (await load(server.base + PATHS[mode], mode, o.warmupS, o.connections, o.signal)).result["2xx"];
    for (let round = 0; round < o.rounds; round++) {
      for (const mode of round % 2 ? [...MODES].reverse() : MODES) {
        const before = (await server.idle()).cpu;
        const run = await load(server.base + PATHS[mode], mode, o.seconds / o.rounds, o.connections, o.signal);
        const after = (await server.idle()).cpu;
        cpuUs[mode] += after.user - before.user + after.system - before.system;
        answered[mode] += run.result["2xx"];
        runs[mode].push(run);
        o.note(`  ${o.db.kind} ${mode} round ${round + 1}: ${Math.round(run.result["2xx"] / run.result.duration)} req/s`);
      }
    }
    const { counts } = await server.idle();
    const rows = await count(o.db, o.keyPrefix, queues);
    return MODES.map((mode) => result(o.db.kind, mode, runs[mode], cpuUs[mode], answered[mode], counts, rows[mode]));
  } finally {
    await server.close();
  }
}

function result(database: string, mode: Mode, runs: Run[], cpuUs: number, answered: number, counts: ServerCounts, rows: { articles: number; jobs: number; rows: number | null }): ModeResult {
  const s = summarize(runs.flatMap((r) => r.samplesUs));
  const seconds = runs.reduce((t, r) => t + r.result.duration, 0);
  const server202 = counts[mode].ok;
  const ok = counts[mode].failed === 0 && rows.articles === server202 && rows.jobs === server202 && (rows.rows === null || rows.rows === server202);
  return {
    database, mode, requests: s.n, seconds, perSecond: s.n / seconds,
    roundsPerSecond: runs.map((r) => r.result["2xx"] / r.result.duration),
    p50Ms: s.p50 / 1000, p99Ms: s.p99 / 1000, maxMs: s.max / 1000, meanMs: s.mean / 1000,
    errors: runs.reduce((t, r) => t + r.result.errors, 0),
    non2xx: runs.reduce((t, r) => t + r.result.non2xx, 0),
    serverCpuUs: cpuUs / s.n,
    check: { answered, server202, ...rows, ok },
  };
}

/** Issue 10's targets: throughput and p99 of each mode against the plain route on the same database. */
export const DISPATCH_TARGETS: Partial<Record<Mode, { perSecond: number; p99: number }>> = {
  onCommit: { perSecond: 0.8, p99: 1.3 },
  durable: { perSecond: 0.6, p99: 1.6 },
};

export function printDispatchLatency(results: ModeResult[], o: LoadOptions & { labels: Record<string, string> }): void {
  console.log(`3. Dispatch from a route handler: plain vs onCommit vs durable (inTx: .delay() inside a bare Prisma $transaction, for reference) — POST → create Article → dispatch → 202 { taskId }`);
  console.log(`   node:http server in a child process; autocannon, ${o.connections} connections on 127.0.0.1; per mode ${o.warmupS} s warm-up, then ${o.rounds} × ${o.seconds / o.rounds} s, modes alternating; no worker`);
  const plain = (r: ModeResult) => results.find((x) => x.database === r.database && x.mode === "plain")!;
  const inTx = (r: ModeResult) => results.find((x) => x.database === r.database && x.mode === "inTx")!;
  const verdict = (r: ModeResult) => {
    const target = DISPATCH_TARGETS[r.mode];
    if (!target) return "";
    const ok = r.perSecond / plain(r).perSecond >= target.perSecond && r.p99Ms / plain(r).p99Ms <= target.p99;
    return `≥ ${target.perSecond}×, p99 ≤ ${target.p99}×: ${ok ? "met" : "NOT MET"}`;
  };
  console.log(
    table([
      ["database", "mode", "req/s", "runs req/s", "÷ plain", "p50 ms", "p99 ms", "max ms", "p50 ÷ plain", "p99 ÷ plain", "÷ inTx", "server CPU µs/req", "errors", "non-2xx", "target (issue 10)"],
      ...results.map((r) => [
        o.labels[r.database] ?? r.database, r.mode, r.perSecond, r.roundsPerSecond.map((x) => Math.round(x)).join(" / "), (r.perSecond / plain(r).perSecond).toFixed(2),
        r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), r.maxMs.toFixed(1), (r.p50Ms / plain(r).p50Ms).toFixed(2), (r.p99Ms / plain(r).p99Ms).toFixed(2), r.mode === "onCommit" || r.mode === "durable" ? (r.perSecond / inTx(r).perSecond).toFixed(2) : "", r.serverCpuUs, r.errors, r.non2xx,
        verdict(r),
      ]),
    ]),
  );
  console.log("Check: every 202 the server sent has its article and its queued job (onCommit: + a PENDING TaskResult row; durable: + an outbox row marked sent)");
  for (const r of results) {
    const c = r.check;
    const extra = c.rows === null ? "" : r.mode === "onCommit" ? `, PENDING rows ${c.rows}` : `, outbox rows sent ${c.rows}`;
    const cut = c.server202 - c.answered;
    console.log(
      `  ${r.database} ${r.mode}: 202 sent ${c.server202} (client got ${c.answered}${cut ? `; ${cut} cut off in flight at run ends` : ""}), articles ${c.articles}, jobs ${c.jobs}${extra} — ${c.ok ? "OK" : "MISMATCH"}`,
    );
  }
  console.log("(latency: client-side, per 2xx answer. server CPU: the server process only, excludes Redis and PostgreSQL.)\n");
}
