/**
 * Section 10's single Redis: a redis-server of its own, set up as the local Cluster's nodes are (no persistence,
 * loopback, a temp directory), so that single and Cluster differ only in being one server or three, and so
 * that the CPU read from its process is this section's alone (the machine's Redis serves other work too).
 * SIGKILLed when this process exits, whatever happens.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForRedisPing } from "../test/chaos/helpers";

const HOST = "127.0.0.1";

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
  try {
    await waitForRedisPing(url, `redis-server :${port}`, () => (child.exitCode !== null || child.pid === undefined ? log : undefined));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, stop };
}
