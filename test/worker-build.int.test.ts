/**
 * The production build (`npm run build` → scripts/build-workers.ts): the compiled entries run in plain
 * `node`, no tsx. Built here into a directory of its own (same options as dist/), so a dist/ someone is
 * running is left alone: the compiled task modules register on the one app the worker uses, the compiled
 * worker discovers them, runs a task sent from another process, and stops warm on SIGTERM with exit 0; with
 * `--pool process` it forks the compiled child in plain node, which runs the task.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPostgresUrl } from "celeriac";
import { buildWorkers } from "@/scripts/build-workers";
import { createTestDatabase } from "./databases";
import { pointAppAtTestRun } from "./app-env";
import { deleteKeys, REDIS_URL } from "./redis";

const { databaseUrl, keyPrefix } = pointAppAtTestRun("build");
const env = { ...process.env, REDIS_URL, CELERIAC_LOG_LEVEL: "info", CELERIAC_LOG_FORMAT: "json" };
// Inside the project, so that Node finds node_modules/ from the compiled files, as it does from dist/.
const OUTDIR = `node_modules/.cache/celeriac-build-test-${randomBytes(4).toString("hex")}`;

const { add } = await import("@/tasks/demo");
const { celeriac } = await import("@/lib/celery");

let out: string;
type RunningWorker = { child: ChildProcess; output: () => string; exited: Promise<number | null> };
let worker: RunningWorker | undefined;
const workers: RunningWorker[] = [];

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${worker?.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a compiled file with plain node from /, so nothing is found through the working directory. */
function node(args: string[], options: { input?: boolean } = {}) {
  return spawnSync(process.execPath, args, { cwd: "/", env, encoding: "utf8", timeout: 20_000, stdio: [options.input ? "pipe" : "ignore", "pipe", "pipe"] });
}

/** Starts `node <build>/worker.js …args` from / (plain node, no tsx) and waits for its ready line. */
async function startCompiledWorker(args: string[]): Promise<RunningWorker> {
  const child = spawn(process.execPath, [join(out, "worker.js"), ...args], { cwd: "/", env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d) => (text += d));
  child.stderr!.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  worker = { child, output: () => text, exited };
  workers.push(worker);
  await waitFor(() => /celeriac@\S+ ready\./.test(text) || child.exitCode !== null, "the compiled worker's ready line", 40_000);
  return worker;
}

beforeAll(async () => {
  out = await buildWorkers({ outdir: OUTDIR });
});

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  rmSync(out, { recursive: true, force: true });
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

describe("the compiled worker (node dist/worker.js)", () => {
  it("compiled task modules register on the one app instance lib/celery.js exports (shared chunks, not copies)", () => {
    const script = `
      import { readdirSync } from "node:fs";
      const out = ${JSON.stringify(out)};
      const { celeriac } = await import(out + "/lib/celery.js");
      const demo = await import(out + "/tasks/demo.js");
      for (const f of readdirSync(out + "/tasks", { recursive: true })) if (f.endsWith(".js")) await import(out + "/tasks/" + f);
      console.log(JSON.stringify({ names: celeriac.registry.names(), same: celeriac.registry.get("demo.add") === demo.add }));
    `;
    const run = node(["--input-type=module", "-e", script]);
    expect(run.stderr).toBe("");
    const { names, same } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    expect(same).toBe(true);
    expect(names).toEqual(expect.arrayContaining(["articles.expandAbbreviations", "demo.add", "emails.sendWelcome"]));
  });

  it("starts as one plain node process, discovers the compiled tasks next to it, from any working directory", async () => {
    const text = (await startCompiledWorker(["-c", "2", "-l", "info"])).output();
    expect(text).toMatch(/celeriac@\S+ ready\./);
    expect(text).toContain(`.> results:     ${databaseUrl}\n`);
    expect(text).toMatch(/\[tasks\]\n {2}\. articles\.expandAbbreviations\n {2}\. articles\.expandPending\n {2}\. articles\.proofread\n {2}\. celeriac\.backendCleanup\n {2}\. demo\.add\n/);
  });

  it("runs a task sent from another process: SUCCESS with its value", async () => {
    const r = await add.delay(20, 22);
    expect(await r.get({ timeout: 15_000 })).toBe(42);
    expect((await r.info())?.status).toBe("SUCCESS");
  });

  it("the compiled CLI sees it: celeriac.js inspect registered", () => {
    const run = node([join(out, "celeriac.js"), "inspect", "registered", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("demo.add");
  });

  it("on SIGTERM stops warm and exits 0", async () => {
    worker!.child.kill("SIGTERM");
    expect(await worker!.exited).toBe(0);
    expect(worker!.output()).toContain("warm shutdown");
  });

  it("--pool process: forks the package's compiled child (plain node), which loads dist/lib/celery.js and dist/tasks/; SUCCESS; SIGTERM exits 0", async () => {
    const { child, output, exited } = await startCompiledWorker(["-P", "process", "-c", "1", "-l", "info"]);
    expect(output()).toMatch(/celeriac@\S+ ready\./);
    expect(output()).toContain(".> concurrency: 1 (process)");
    const r = await add.delay(2, 3);
    expect(await r.get({ timeout: 20_000 })).toBe(5);
    expect((await r.info())?.status).toBe("SUCCESS");
    // The task's own log line ("adding", JSON) comes from a child process: tagged `child` with its pid.
    await waitFor(() => output().includes('"msg":"adding"'), "the task's log line");
    const line = JSON.parse(output().split("\n").find((l) => l.includes('"msg":"adding"'))!) as { child?: number; x: number };
    expect(line.x).toBe(2);
    expect(line.child).toEqual(expect.any(Number));
    expect(line.child).not.toBe(child.pid);
    // On Linux, the child's command line: plain node running the compiled child, no tsx loader.
    const cmdline = `/proc/${line.child}/cmdline`;
    if (existsSync(cmdline)) {
      const argv = readFileSync(cmdline, "utf8").split("\0");
      expect(argv.some((a) => a.endsWith("celeriac/dist/worker/child.js"))).toBe(true);
      expect(argv.join(" ")).not.toContain("tsx");
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output()).toContain("warm shutdown");
  }, 60_000);

  it("on a database nobody migrated, worker.js, beat.js and celeriac.js inspect beat exit 78 with one line naming npm run db:deploy", async () => {
    // celeriac's isPostgresUrl, not lib/db's re-export: importing lib/db here would read the environment before pointAppAtTestRun().
    const empty = await createTestDatabase(isPostgresUrl(databaseUrl) ? "postgres" : "sqlite", "build_empty", { migrate: false });
    try {
      for (const args of [["worker.js"], ["beat.js"], ["celeriac.js", "inspect", "beat"]]) {
        const [file, ...rest] = args;
        const run = spawnSync(process.execPath, [join(out, file), ...rest], { cwd: "/", env: { ...env, DATABASE_URL: empty.url }, encoding: "utf8", timeout: 20_000 });
        expect(run.status, `${file}: ${run.stdout}${run.stderr}`).toBe(78);
        expect(run.stdout).toBe("");
        // The compiled build finds the shipped migrations too (prisma/ above dist/): they are named.
        expect(run.stderr).toMatch(/^[^\n]*the database at \S+ is not migrated \(missing: TaskResult, .*\d+ migrations \(20261121000000_task_results … \w+\) not applied\): run npm run db:deploy\n$/);
      }
    } finally {
      await empty.drop();
    }
  });
});
