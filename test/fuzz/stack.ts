/**
 * The production stack the fuzz suite attacks, as a deployment runs it: a fresh migrated database (SQLite or
 * PostgreSQL), a Redis key prefix of its own, the dev SMTP sink (the mail tasks deliver to it), the compiled
 * worker (`node dist/worker.js`) and `next start` on the production build, each on a free port of its own
 * (never Playwright's 3100). It does not build: `npm run build` first (npm test does).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "../databases";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../redis";
import { send } from "./client";

export type DatabaseKind = "sqlite" | "postgres";

/** One child process of the stack, with the tail of its output for failure reports. */
export interface StackProcess {
  name: string;
  child: ChildProcess;
  /** The last 1 MiB of its stdout and stderr. */
  output(): string;
  /** How much it has written so far, for since(). */
  mark(): number;
  /** What it wrote after `mark` (as far as the kept tail reaches). */
  since(mark: number): string;
  /** Why it is not running, or undefined while it runs. */
  exited(): string | undefined;
}

export interface Stack {
  kind: DatabaseKind;
  /** `next start`'s port on 127.0.0.1. */
  port: number;
  origin: string;
  secretKey: string;
  /** METRICS_TOKEN: the bearer /api/metrics answers. */
  metricsToken: string;
  databaseUrl: string;
  keyPrefix: string;
  processes: StackProcess[];
  stop(): Promise<void>;
}

const PLAYWRIGHT_PORT = 3100;
const OUTPUT_TAIL = 1024 * 1024;

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (port !== PLAYWRIGHT_PORT) return port;
  }
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, root: string): StackProcess {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  let written = 0;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    written += text.length;
    tail = (tail + text).slice(-OUTPUT_TAIL);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exit: string | undefined;
  child.on("exit", (code, signal) => (exit = `exited with ${signal ?? `code ${code}`}`));
  child.on("error", (error) => (exit = `could not start: ${error.message}`));
  const since = (mark: number) => tail.slice(Math.max(0, tail.length - (written - mark)));
  return { name, child, output: () => tail, mark: () => written, since, exited: () => exit };
}

/**
 * The errors in a process's output, each once with its count: pino lines with an `err` (its type, code, and
 * the first and last lines of its message: Prisma's says what failed on its last) and Next's own `⨯` lines.
 */
export function loggedErrors(output: string): string[] {
  const counts = new Map<string, number>();
  for (const line of output.split("\n")) {
    let error: string | undefined;
    if (line.startsWith("{")) {
      try {
        const { err, msg } = JSON.parse(line) as { err?: { type?: string; code?: string; message?: string }; msg?: string };
        if (err) {
          const lines = (err.message ?? "").split("\n").filter((l) => l.trim());
          const text = lines.length > 1 ? `${lines[0]} … ${lines[lines.length - 1]}` : (lines[0] ?? "");
          error = `${msg}: ${err.type}${err.code ? ` ${err.code}` : ""}: ${text}`;
        }
      } catch {
        // not a log line
      }
    } else if (line.startsWith("⨯")) error = line;
    if (error) counts.set(error, (counts.get(error) ?? 0) + 1);
  }
  return [...counts.entries()].map(([error, n]) => `${error} (×${n})`);
}

async function until(what: string, proc: StackProcess, ready: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    const exit = proc.exited();
    if (exit || Date.now() > deadline) {
      throw new Error(`${proc.name} ${exit ?? `not ready after ${timeoutMs} ms`} while waiting for ${what}; its output:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(proc: StackProcess): Promise<void> {
  if (proc.exited() || proc.child.exitCode !== null) return;
  const gone = new Promise((resolve) => proc.child.once("exit", resolve));
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), 10_000);
  await gone;
  clearTimeout(timer);
}

/** Starts the stack on a fresh `kind` database; `setup` runs against the migrated database before any process starts. */
export async function startStack(kind: DatabaseKind, root: string, setup: (databaseUrl: string) => Promise<void>): Promise<Stack> {
  for (const built of [".next/BUILD_ID", "dist/worker.js"]) {
    if (!existsSync(join(root, built))) throw new Error(`no production build (${built} is missing): run npm run build first`);
  }
  const database: TestDatabase = await createTestDatabase(kind, "fuzz");
  const keyPrefix = uniquePrefix(`fuzz-${kind}`);
  const processes: StackProcess[] = [];
  const stop = async () => {
    for (const proc of [...processes].reverse()) await stopProcess(proc);
    await deleteKeys(keyPrefix);
    await database.drop();
  };
  try {
    await setup(database.url);
    const [port, smtpPort] = [await freePort(), await freePort()];
    const secretKey = randomBytes(32).toString("hex");
    const metricsToken = randomBytes(16).toString("hex");
    const origin = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      NODE_ENV: "production",
      DATABASE_URL: database.url,
      REDIS_URL,
      CELERIAC_KEY_PREFIX: keyPrefix,
      CELERIAC_ALWAYS_EAGER: "0",
      CELERIAC_LOG_FORMAT: "json",
      CELERIAC_LOG_LEVEL: "info",
      SECRET_KEY: secretKey,
      METRICS_TOKEN: metricsToken,
      EMAIL_URL: `smtp://127.0.0.1:${smtpPort}`,
      APP_URL: origin,
      NEXT_TELEMETRY_DISABLED: "1",
      CHECKPOINT_DISABLE: "1",
    };
    const sink = start("mail sink", "node_modules/.bin/tsx", ["scripts/mail-sink.ts", "--port", String(smtpPort)], env, root);
    processes.push(sink);
    await until("its listening line", sink, () => /listening/.test(sink.output()));
    const worker = start("worker", process.execPath, ["dist/worker.js", "-l", "info"], env, root);
    processes.push(worker);
    await until("its ready line", worker, () => /celeriac@\S+ ready\./.test(worker.output()));
    const web = start("next start", "node_modules/.bin/next", ["start", "-p", String(port), "-H", "127.0.0.1"], env, root);
    processes.push(web);
    await until("GET / to answer", web, async () => (await send(port, { method: "GET", path: "/", headers: [] }, 5_000)).kind === "answer");
    return { kind, port, origin, secretKey, metricsToken, databaseUrl: database.url, keyPrefix, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
