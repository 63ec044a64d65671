/**
 * What the dev and test commands need running before they start: Redis (started locally when it is not
 * reachable and redis-server is installed); for tests, PostgreSQL (an embedded one, scripts/embedded-postgres.ts, when
 * none answers at TEST_POSTGRES_URL), Chromium and the programs the scale-out tests start (redis-server, redis-cli, redis-sentinel,
 * pgbouncer, ip). Every check runs before anything is told, and whatever is missing
 * is told in one message, with the one command that installs it all.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRedisConnection } from "celeriac";
import { parseRedisUrl, redactUrl, type RedisTarget } from "celeriac/states";
import pg from "pg";
import { EmbeddedPostgresUnavailable, startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";

export class MissingServiceError extends Error {}

/** A server a command needs and cannot have. */
export interface Missing {
  /** What is wrong and what else would do, as sentences. */
  problem: string;
  /** The Debian package that brings it, when one does. */
  apt?: string;
  /** A command that fixes it otherwise (run before the apt-get one). */
  command?: string;
}

/** One message for all that is missing, ending with the one command that installs it all (when there is one). */
export function missingMessage(missing: Missing[]): string {
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  const commands = [...new Set(missing.flatMap((m) => m.command ?? []))];
  const apt = [...new Set(missing.flatMap((m) => m.apt ?? []))];
  if (apt.length > 0) commands.push(`${sudo}apt-get update && ${sudo}apt-get install -y ${apt.join(" ")}`);
  const lines = [`Missing before this command can run (${missing.length}):`, ...missing.map((m) => `  - ${m.problem.replaceAll("\n", "\n    ")}`)];
  if (commands.length > 0) lines.push(`Install it all${apt.length > 0 ? " (Debian/Ubuntu)" : ""}:  ${commands.join(" && ")}`);
  return lines.join("\n");
}

const LOOPBACK = ["127.0.0.1", "localhost", "::1", "[::1]"];

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = createRedisConnection(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Redis at `url`: answering, or a local redis-server started for it (with a line saying so), or what is missing. */
export async function checkRedis(url: string): Promise<{ server?: ChildProcess; note?: string; missing?: Missing }> {
  const shown = redactUrl(url);
  let target: RedisTarget;
  try {
    target = parseRedisUrl(url);
  } catch (error) {
    return { missing: { problem: `REDIS_URL: ${(error as Error).message}` } };
  }
  if (await redisAnswers(url)) return {};
  // Only a single local server is started here; a Cluster or a Sentinel set is the operator's to run.
  const { hostname, port } = target.kind === "server" ? new URL(url) : { hostname: "", port: "" };
  if (!LOOPBACK.includes(hostname)) return { missing: { problem: `Redis does not answer at ${shown}. Start it, or point REDIS_URL at a running one.` } };
  if (!onPath("redis-server")) {
    return {
      missing: {
        problem: `Redis does not answer at ${shown}, and redis-server is not installed to start one there (brew install redis on macOS; or point REDIS_URL at a running Redis).`,
        apt: "redis-server",
      },
    };
  }
  const server = spawn("redis-server", ["--port", port || "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) return { server, note: `started a local redis-server on port ${port || 6379} (it stops with this command)` };
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  return { missing: { problem: `started redis-server, but it does not answer at ${shown}.` } };
}

/** Makes sure Redis answers at `url`; returns the local redis-server it had to start, if any. */
export async function ensureRedis(url: string): Promise<ChildProcess | undefined> {
  const { server, note, missing } = await checkRedis(url);
  if (missing) throw new MissingServiceError(missingMessage([missing]));
  if (note) console.log(note);
  return server;
}

/** Why PostgreSQL does not answer at `url`, or undefined when it does. */
async function postgresFails(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return (error as Error).message || (error as Error).name;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * PostgreSQL at `url`: answering, or (on this machine) an embedded server started in its place, whose URL the tests
 * are to use, or what is missing.
 */
export async function checkPostgres(url: string): Promise<{ embedded?: EmbeddedPostgres; note?: string; missing?: Missing }> {
  const why = await postgresFails(url);
  if (why === undefined) return {};
  const elsewhere = "or point TEST_POSTGRES_URL at a server where it may create databases.";
  if (!LOOPBACK.includes(new URL(url).hostname)) {
    return { missing: { problem: `PostgreSQL does not answer at ${url} (${why}). Start it, ${elsewhere}` } };
  }
  const started = Date.now();
  try {
    const embedded = await startEmbeddedPostgres(url);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const as = embedded.asUser ? `, as the user ${embedded.asUser} (PostgreSQL refuses root)` : "";
    return {
      embedded,
      note: `PostgreSQL does not answer at ${url} (${why}): started an embedded PostgreSQL ${embedded.version} at ${embedded.url}${as} in ${seconds} s; it stops with this command`,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      missing: {
        problem: `PostgreSQL does not answer at ${url} (${why}), and an embedded one cannot start: ${reason}. Fix that, ${elsewhere}`,
        command: error instanceof EmbeddedPostgresUnavailable ? error.fix : undefined,
      },
    };
  }
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's Chromium, which the Playwright tests drive (playwright.config.ts), or what is missing. */
export function checkChromium(): Missing | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return { problem: `Chromium is not at ${CHROMIUM_PATH}; the end-to-end tests drive it.`, apt: "chromium" };
}

/**
 * The servers the scale-out tests start of their own (a Redis Cluster, a Sentinel set, a connection pooler) and
 * the network tools the several-hosts test uses: each a program on PATH, from a Debian package.
 */
const TEST_PROGRAMS = [
  { program: "redis-server", apt: "redis-server", why: "the Cluster, Sentinel and replica tests start servers of their own, whatever REDIS_URL is" },
  { program: "redis-cli", apt: "redis-tools", why: "creates the Redis Cluster the Cluster tests run on" },
  { program: "redis-sentinel", apt: "redis-sentinel", why: "the Sentinel fail-over test runs three" },
  { program: "pgbouncer", apt: "pgbouncer", why: "the test of results through a pooler in transaction mode runs one" },
  { program: "ip", apt: "iproute2", why: "the several-hosts test makes its hosts as network namespaces" },
];

export function checkTestPrograms(): Missing[] {
  return TEST_PROGRAMS.filter((p) => !onPath(p.program) && !existsSync(`/usr/sbin/${p.program}`)).map((p) => ({ problem: `${p.program} is not installed; ${p.why}.`, apt: p.apt }));
}

export interface TestServices {
  /** The PostgreSQL URL the tests are to use: `postgresUrl`, or the embedded server's. */
  postgresUrl: string;
  /** Lines to print: what was started for the run. */
  notes: string[];
  /** Stops what was started for the run (a local redis-server, an embedded PostgreSQL); safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Everything the test command needs, all checked before anything is told: throws one MissingServiceError listing
 * every missing server (after stopping whatever it started meanwhile).
 */
export async function prepareTestServices(redisUrl: string, postgresUrl: string): Promise<TestServices> {
  const [redis, postgres] = await Promise.all([checkRedis(redisUrl), checkPostgres(postgresUrl)]);
  const chromium = checkChromium();
  const services: TestServices = {
    postgresUrl: postgres.embedded?.url ?? postgresUrl,
    notes: [redis.note, postgres.note].filter((n): n is string => n !== undefined),
    stop: async () => {
      redis.server?.kill();
      await postgres.embedded?.stop();
    },
  };
  const missing = [redis.missing, postgres.missing, chromium, ...checkTestPrograms()].filter((m): m is Missing => m !== undefined);
  if (missing.length > 0) {
    await services.stop();
    throw new MissingServiceError(missingMessage(missing));
  }
  return services;
}
