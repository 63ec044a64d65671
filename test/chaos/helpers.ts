/**
 * Shared pieces of the chaos tests: real worker processes (test/fixtures/chaos-worker.ts), a dedicated
 * redis-server, free ports, polling. Everything started here has a stop function that is safe to call
 * twice and after a failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createRedisConnection } from "celeriac";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` (sync or async; a throw counts as "not yet") until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs: number, intervalMs = 100): Promise<number> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return Date.now() - started;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > timeoutMs) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export interface ChaosWorker {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string | null>;
  readonly alive: boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface ChaosWorkerOptions {
  databaseUrl: string;
  keyPrefix: string;
  redisUrl: string;
  queues: string[];
  concurrency: number;
  taskMs?: number;
  lockMs?: number;
  hostname: string;
  logLevel?: string;
  /** A network namespace to run it in (`ip netns exec`, which execs node: signals still reach the worker). */
  netns?: string;
  /** Where its run log goes, when not to `redisUrl` (a Redis that may lose writes). */
  runLogUrl?: string;
  /** redisWaitReplicas. Default 0. */
  waitReplicas?: number;
  /** Runs the durable outbox's relay, as `celeriac worker` does. Default false. */
  relay?: boolean;
}

/**
 * Starts test/fixtures/chaos-worker.ts with node and tsx's loader (not the tsx wrapper, so signals reach
 * the worker itself) and waits for its "ready" line.
 */
export async function startChaosWorker(options: ChaosWorkerOptions, readyTimeoutMs = 30_000): Promise<ChaosWorker> {
  const node = [process.execPath, "--import", "tsx", "test/fixtures/chaos-worker.ts"];
  const [command, ...args] = options.netns ? ["ip", "netns", "exec", options.netns, ...node] : node;
  const child = spawn(command, args, {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      CELERIAC_KEY_PREFIX: options.keyPrefix,
      REDIS_URL: options.redisUrl,
      CHAOS_QUEUES: options.queues.join(","),
      CHAOS_CONCURRENCY: String(options.concurrency),
      CHAOS_TASK_MS: String(options.taskMs ?? 0),
      CHAOS_LOCK_MS: String(options.lockMs ?? 2000),
      CHAOS_HOSTNAME: options.hostname,
      CELERIAC_LOG_LEVEL: options.logLevel ?? "warn",
      CHAOS_RUN_LOG_URL: options.runLogUrl ?? options.redisUrl,
      CHAOS_WAIT_REPLICAS: String(options.waitReplicas ?? 0),
      CHAOS_RELAY: options.relay ? "1" : "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let alive = true;
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("exit", (code, signal) => {
      alive = false;
      resolve(code ?? signal);
    }),
  );
  const worker: ChaosWorker = {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    get alive() {
      return alive;
    },
    async kill(signal) {
      if (!alive) return;
      child.kill(signal);
      await exited;
    },
  };
  try {
    await waitFor(() => /^ready$/m.test(out) || !alive, `worker ${options.hostname} to print "ready"`, readyTimeoutMs, 50);
    if (!alive) throw new Error(`worker ${options.hostname} exited before it was ready:\n${out}`);
  } catch (error) {
    await worker.kill("SIGKILL");
    throw error;
  }
  return worker;
}

/** One entry of the fixture's run log. */
export interface RunEntry {
  id: string;
  at: number;
  host: string;
}

/** The fixture's run log (`{prefix}:chaos:runs`), or its relay's sends (`relayed`, `relayed-existing`), oldest first. */
export async function readRunLog(redisUrl: string, keyPrefix: string, log: "runs" | "relayed" | "relayed-existing" = "runs"): Promise<RunEntry[]> {
  const redis = createRedisConnection(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const lines = await redis.lrange(`{${keyPrefix}}:chaos:${log}`, 0, -1);
    return lines.map((line) => {
      const [id, at, host] = line.split("|");
      return { id, at: Number(at), host };
    });
  } finally {
    redis.disconnect();
  }
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits (up to 10 s) until the redis-server at `url` answers PING. `exitedOutput` gives the server's output
 * once its process has exited (undefined while it runs), so a server that died fails the wait at once.
 */
export async function waitForRedisPing(url: string, what: string, exitedOutput: () => string | undefined): Promise<void> {
  await waitFor(
    async () => {
      const output = exitedOutput();
      if (output !== undefined) throw new Error(`redis-server exited:\n${output}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    },
    what,
    10_000,
    50,
  );
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Starts redis-server on the port and directory (again, after stop()); resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it with `signal` (SIGTERM: Redis's own shutdown; SIGKILL: a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it if running and deletes its directory. */
  destroy(): Promise<void>;
  output(): string;
}

/**
 * A dedicated redis-server with every write fsynced to its append-only file before it is acknowledged
 * (`--appendonly yes --appendfsync always`), no RDB snapshots, in a temp directory of its own; with
 * `password`, clients must AUTH (its `url` carries it).
 */
export function redisServer(port: number, { password }: { password?: string } = {}): RedisServer {
  const dir = mkdtempSync(join(tmpdir(), "celeriac-chaos-redis-"));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = "";
  const server: RedisServer = {
    port,
    url: password ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    dir,
    output: () => out,
    async start() {
      if (child) throw new Error("redis-server is running already");
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir, "--save", ""];
      if (password) args.push("--requirepass", password);
      const proc = spawn("/usr/bin/redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      proc.stdout!.on("data", (d) => (out += d));
      proc.stderr!.on("data", (d) => (out += d));
      exited = new Promise((resolve) =>
        proc.on("exit", () => {
          if (child === proc) child = undefined;
          resolve();
        }),
      );
      await waitForRedisPing(server.url, `redis-server on port ${port}`, () => (child ? undefined : out));
    },
    async stop(signal = "SIGTERM") {
      if (!child) return;
      child.kill(signal);
      await exited;
    },
    async destroy() {
      if (child) {
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
