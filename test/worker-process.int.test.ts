/**
 * The real `npm run worker` process (worker.ts + lib/celery.ts + tasks/): banner, ready line, the demo
 * task end to end, and warm shutdown on SIGTERM. Also CELERIAC_ALWAYS_EAGER through the real app glue.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "./app-env";
import { deleteKeys, REDIS_URL } from "./redis";

const { databaseUrl, keyPrefix } = pointAppAtTestRun("process");
const env = { ...process.env, REDIS_URL, CELERIAC_LOG_LEVEL: "info", CELERIAC_LOG_FORMAT: "json" };

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs a TypeScript file in node with tsx's loader (no tsx wrapper process, so signals reach it directly). */
function run(args: string[], extraEnv: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const { add } = await import("@/tasks/demo");
const { celeriac, AsyncResult } = await import("@/lib/celery");

let worker: Spawned;

beforeAll(async () => {
  worker = run(["worker.ts", "--concurrency", "2", "--loglevel", "info"]);
  await waitFor(() => /celeriac@\S+ ready\./.test(worker.output()), "the worker's ready line");
});

afterAll(async () => {
  worker.child.kill("SIGKILL");
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

describe("npm run worker", () => {
  it("prints a Celery-like banner listing transport, results, concurrency, queues and tasks", () => {
    const out = worker.output();
    expect(out).toMatch(/-------------- celeriac@\S+ v\d+\.\d+\.\d+/);
    expect(out).toContain(".> app:         celeriac-demo");
    expect(out).toContain(".> transport:   redis://127.0.0.1:6379");
    expect(out).toContain(`.> results:     ${databaseUrl}\n`);
    expect(out).toContain(".> concurrency: 2 (async)");
    expect(out).toMatch(/\[queues\]\n\s+\.> default/);
    expect(out).toMatch(/\[tasks\]\n {2}\. articles\.expandAbbreviations\n {2}\. articles\.expandPending\n {2}\. articles\.proofread\n {2}\. celeriac\.backendCleanup\n {2}\. demo\.add\n/);
    expect(out.indexOf("[tasks]")).toBeLessThan(out.search(/ready\./));
  });

  it("runs the demo add task from a producer in another process", async () => {
    const r = await add.delay(2, 3);
    expect(await r.get({ timeout: 15_000 })).toBe(5);
  });

  it("on SIGTERM finishes the running task, takes no new one, and exits 0", async () => {
    const running = await add.delay(20, 22);
    await expect.poll(() => running.status(), { timeout: 10_000, interval: 50 }).toBe("STARTED");
    worker.child.kill("SIGTERM");
    await waitFor(() => worker.output().includes("warm shutdown"), "the warm shutdown log line", 5_000);
    const queuedAfterStop = await add.delay(1, 1);
    const code = await worker.exited;
    expect(code).toBe(0);
    expect(await running.result()).toBe(42);
    expect(await AsyncResult.from(queuedAfterStop.id).status()).toBe("PENDING");
  });
});

describe("CELERIAC_ALWAYS_EAGER=1", () => {
  it("runs .delay() inline in the calling process, with no worker", async () => {
    const eager = run(["test/fixtures/eager-add.ts"], { CELERIAC_ALWAYS_EAGER: "1", CELERIAC_LOG_LEVEL: "silent" });
    expect(await eager.exited).toBe(0);
    const line = JSON.parse(eager.output().trim().split("\n").pop()!);
    expect(line.value).toBe(8);
    expect(line.transport).toMatch(/^eager/);
    expect(line.ms).toBeGreaterThanOrEqual(1900); // the demo task sleeps 2 s before .delay() resolves
  });
});
