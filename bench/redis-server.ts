/**
 * Section 10's single Redis: a redis-server of its own, set up as the local Cluster's nodes are (no persistence,
 * loopback, a temp directory), so that single and Cluster differ only in being one server or three, and so
 * that the CPU read from its process is this section's alone (the machine's Redis serves other work too).
 * SIGKILLed when this process exits, whatever happens.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface BenchRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), "celeriac-bench-redis-"));
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", HOST, "--dir", dir, "--save", "", "--appendonly", "no"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-8_192)));
  child.stderr!.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-8_192)));
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    // A binary that could not be spawned emits no "exit".
    child.once("error", (error) => ((log += `${error.message}\n`), resolve()));
  });
  const kill = () => child.exitCode === null && child.kill("SIGKILL");
  process.on("exit", kill);
  const stop = async () => {
    kill();
    await exited;
    process.off("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://${HOST}:${port}`;
  const answers = async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      return (await redis.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  };
  try {
    for (const deadline = Date.now() + READY_TIMEOUT_MS; !(await answers()); await new Promise((r) => setTimeout(r, 50))) {
      if (child.exitCode !== null || child.pid === undefined) throw new Error(`redis-server :${port} exited at start:\n${log}`);
      if (Date.now() > deadline) throw new Error(`redis-server :${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${log}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, stop };
}
