/**
 * Real `celeriac worker` processes (the bin's sources through tsx, in the tests' app folder test/app, with
 * its tasks/): one killed with SIGKILL is listed offline within 10 s and stays listed; one asked to stop by
 * `celeriac control shutdown` (another process) finishes its running task, takes no new one and exits 0.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { States } from "../index.js";
import { APP_DIR, celeriacArgs, startCliWorker, type CliWorker } from "../../test/cli-worker.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { REDIS_URL } from "../../test/redis.js";

let h: Harness;
let env: NodeJS.ProcessEnv;

async function startWorker(hostname: string, queue: string): Promise<CliWorker> {
  const worker = await startCliWorker(hostname, ["-Q", queue, "-c", "2"], env);
  workers.push(worker);
  return worker;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, celeriacArgs(args), { cwd: APP_DIR, env, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const workers: CliWorker[] = [];
let nap: ReturnType<typeof defineNap>;
/** The producer's side of test/app/tasks/control.ts: the same name and arguments. */
const defineNap = (app: Harness["app"]) => app.task({ name: "control.nap", args: z.tuple([z.number().int().min(0).max(60_000)]), run: (_ctx, ms) => ms });

beforeAll(() => {
  h = createHarness("worker-process");
  nap = defineNap(h.app);
  env = { ...process.env, DATABASE_URL: h.databaseUrl, CELERIAC_KEY_PREFIX: h.keyPrefix, REDIS_URL, CELERIAC_LOG_LEVEL: "info" };
});

afterAll(async () => {
  for (const w of workers) w.child.kill("SIGKILL");
  await h.close();
});

async function seen(hostname: string) {
  return (await h.app.broker.workersSeen()).filter((w) => w.heartbeat.hostname === hostname);
}

describe("a worker process that dies", () => {
  it("is listed offline within 10 s of a SIGKILL, with its last heartbeat, and is no longer live", async () => {
    const worker = await startWorker("celeriac@doomed", "doomed");
    const [before] = await seen("celeriac@doomed");
    expect(before).toMatchObject({ state: "online", heartbeat: { pid: worker.child.pid, pool: "async", queues: ["doomed"] } });
    worker.child.kill("SIGKILL");
    await worker.exited;
    const killedAt = Date.now();
    await expect.poll(async () => (await seen("celeriac@doomed")).map((w) => w.state), { timeout: 10_000, interval: 200 }).toEqual(["offline"]);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect((await seen("celeriac@doomed"))[0].heartbeat.id).toBe(before.heartbeat.id);
    expect((await h.app.broker.heartbeats()).map((b) => b.hostname)).not.toContain("celeriac@doomed");
  });
});

describe("celeriac control shutdown", () => {
  it("the worker finishes its running task, takes no new one, removes its heartbeat and exits 0", async () => {
    const worker = await startWorker("celeriac@polite", "polite");
    const running = await nap.applyAsync([3000], { queue: "polite" });
    await expect.poll(() => running.status(), { timeout: 10_000, interval: 50 }).toBe(States.STARTED);

    const asked = await cli(["control", "shutdown", "celeriac@polite"]);
    expect(asked.stderr).toBe("");
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/^-> celeriac@polite: OK, warm shutdown requested \(celeriac@polite:\d+:[0-9a-f]{6}\)\n/);
    await expect.poll(() => worker.output(), { timeout: 5_000, interval: 50 }).toContain("warm shutdown");
    const queuedAfter = await nap.applyAsync([0], { queue: "polite" });

    expect(await worker.exited).toBe(0);
    expect(await running.result()).toBe(3000);
    expect(await queuedAfter.status()).toBe(States.PENDING);
    expect((await seen("celeriac@polite")).map((w) => w.state)).toEqual(["stopped"]);
  });

  it("a worker nobody runs: exit 1, and nothing is asked", async () => {
    const none = await cli(["control", "shutdown", "celeriac@nobody"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe("Error: no live worker named 'celeriac@nobody'; live workers: none\n");
  });
});
