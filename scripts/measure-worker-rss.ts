/**
 * `tsx scripts/measure-worker-rss.ts`: the resident memory (VmRSS in /proc/<pid>/status, Linux) of the
 * compiled worker process alone — `node dist/worker.js`, as production runs it — idle after start, then
 * while and after it runs N no-op tasks with their results stored.
 *
 * It compiles a scratch copy of the build (scripts/build-workers.ts, same options) with one more task
 * module, scripts/fixtures/noop-task.ts (`measure.noop`), so the demo tasks' 2 s sleep does not set the
 * pace; dist/ is not touched. Each run uses a fresh database (test/databases.ts) and its own Redis key prefix.
 *
 * Knobs: RSS_TASKS (10000), RSS_DB (sqlite | postgres; TEST_POSTGRES_URL), RSS_NODE_ARGS (node flags for
 * the worker, e.g. "--max-semi-space-size=2"), RSS_WORKER_ARGS (e.g. "-c 8"), RSS_PROBE=1 (the worker also
 * logs process.memoryUsage() at each sample, through a preloaded module: a few hundred KB more; with
 * RSS_NODE_ARGS=--expose-gc it collects garbage first), RSS_SETTLE_S (10: how long to keep sampling, every
 * 10 s, after the run), RSS_KEEP_BUILD=1 (keep the scratch build) and RSS_BUILD=<dir> (measure that build
 * again instead of compiling one, e.g. a copy edited for an experiment).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createTestDatabase } from "../test/databases";
import { deleteKeys } from "../test/redis";
import { buildWorkers } from "./build-workers";

const N = Number(process.env.RSS_TASKS ?? 10_000);
const KIND = process.env.RSS_DB === "postgres" ? "postgres" : "sqlite";
const NODE_ARGS = (process.env.RSS_NODE_ARGS ?? "").split(" ").filter(Boolean);
const WORKER_ARGS = (process.env.RSS_WORKER_ARGS ?? "").split(" ").filter(Boolean);
const PROBE = process.env.RSS_PROBE === "1";
const SETTLE_S = Number(process.env.RSS_SETTLE_S ?? 10);
const REUSE = process.env.RSS_BUILD;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

function status(pid: number): { rss: number; hwm: number; threads: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)![1]);
  return { rss: field("VmRSS"), hwm: field("VmHWM"), threads: field("Threads") };
}

const database = await createTestDatabase(KIND, "rss");
const keyPrefix = `rss-${randomBytes(4).toString("hex")}`;
Object.assign(process.env, { DATABASE_URL: database.url, REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_LOG_LEVEL: "warn" });
const out = REUSE
  ? resolve(REUSE)
  : await buildWorkers({ outdir: `node_modules/.cache/celeriac-rss-${keyPrefix}`, extraTasks: [{ in: "scripts/fixtures/noop-task.ts", out: "noop" }] });
const probe = join(out, "probe.mjs");
// With RSS_NODE_ARGS=--expose-gc the probe collects garbage first: what is left is what the worker keeps.
writeFileSync(probe, `process.on("SIGUSR2", () => { globalThis.gc?.(); process.stderr.write("memoryUsage " + JSON.stringify(process.memoryUsage()) + "\\n"); });\n`);

// The sender: the app from the sources (this process), the same database and prefix as the worker.
const { noop } = await import("./fixtures/noop-task");
const { celeriac } = await import("../lib/celery");
const { db } = await import("../lib/db");

const args = [...NODE_ARGS, ...(PROBE ? ["--import", probe] : []), join(out, "worker.js"), ...WORKER_ARGS];
const child = spawn(process.execPath, args, {
  env: { ...process.env, CELERIAC_LOG_LEVEL: "info", CELERIAC_LOG_FORMAT: "json" },
  stdio: ["ignore", "pipe", "pipe"],
});
let ready = false;
let stderr = "";
let lastUsage = "";
child.stdout!.on("data", (d: Buffer) => (ready ||= /celeriac@\S+ ready\./.test(d.toString())));
child.stderr!.on("data", (d: Buffer) => {
  stderr += d;
  for (const line of d.toString().split("\n")) if (line.startsWith("memoryUsage ")) lastUsage = line.slice(12);
});
const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
const pid = child.pid!;

async function sample(label: string): Promise<number> {
  let s = status(pid);
  if (PROBE) {
    child.kill("SIGUSR2");
    await sleep(200);
    s = status(pid); // after the probe's gc(), if exposed
  }
  const usage = PROBE && lastUsage ? `  memoryUsage(MB) ${Object.entries(JSON.parse(lastUsage) as Record<string, number>).map(([k, v]) => `${k}=${(v / 2 ** 20).toFixed(1)}`).join(" ")}` : "";
  console.log(`${label.padEnd(28)} VmRSS ${mb(s.rss).padStart(9)}  VmHWM ${mb(s.hwm).padStart(9)}  threads ${s.threads}${usage}`);
  return s.rss;
}

try {
  const t0 = Date.now();
  while (!ready) {
    if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`the worker did not start:\n${stderr}`);
    await sleep(20);
  }
  console.log(`node ${args.join(" ").replaceAll(out, "<build>")}  (${KIND}, ${N} tasks; pid ${pid}; ready in ${Date.now() - t0} ms)`);
  await sample("ready");
  await sleep(5000);
  await sample("idle 5 s after ready");

  const sendStart = Date.now();
  let peak = 0;
  let done = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, status(pid).rss)), 100);
  for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, k) => noop.delay(i + k)));
  const sentMs = Date.now() - sendStart;
  while ((done = await db.taskResult.count({ where: { name: "measure.noop", status: "SUCCESS" } })) < N) {
    if (Date.now() - sendStart > 600_000) throw new Error(`only ${done} of ${N} tasks done after 10 min`);
    await sleep(250);
  }
  clearInterval(sampler);
  const runMs = Date.now() - sendStart;
  console.log(`${N} tasks sent in ${sentMs} ms, all SUCCESS after ${runMs} ms (${Math.round(N / (runMs / 1000))} tasks/s); peak VmRSS while running ${mb(peak)}`);
  await sample(`after ${N} tasks`);
  for (let waited = 0; waited < SETTLE_S; ) {
    const step = Math.min(10, SETTLE_S - waited);
    await sleep(step * 1000);
    waited += step;
    await sample(`idle ${waited} s after that`);
  }
  child.kill("SIGTERM");
  console.log(`SIGTERM → exit ${await exited}`);
} finally {
  if (child.exitCode === null) child.kill("SIGKILL");
  await celeriac.close();
  await db.$disconnect();
  await deleteKeys(keyPrefix, REDIS_URL);
  await database.drop();
  if (REUSE) rmSync(probe, { force: true });
  else if (process.env.RSS_KEEP_BUILD === "1") console.log(`build kept in ${out} (RSS_BUILD=${out} measures it again)`);
  else rmSync(out, { recursive: true, force: true });
}
