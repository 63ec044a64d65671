/**
 * What the dev and test commands need running before they start: Redis (started locally when it is not
 * reachable and redis-server is installed), PostgreSQL and Chromium for tests (checked, with the exact
 * install command when missing).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import pg from "pg";

export class MissingServiceError extends Error {}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
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

/** Makes sure Redis answers at `url`; returns the local redis-server it had to start, if any. */
export async function ensureRedis(url: string): Promise<ChildProcess | undefined> {
  if (await redisAnswers(url)) return undefined;
  const { hostname, port } = new URL(url);
  const local = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(hostname);
  if (!local) throw new MissingServiceError(`Redis does not answer at ${url}. Start it, or point REDIS_URL at a running one.`);
  if (!onPath("redis-server")) {
    throw new MissingServiceError(
      `Redis does not answer at ${url} and redis-server is not installed.\n` +
        "  Install it:  sudo apt-get install -y redis-server   (Debian/Ubuntu)\n" +
        "               brew install redis                      (macOS)\n" +
        "  or point REDIS_URL at a running Redis.",
    );
  }
  const server = spawn("redis-server", ["--port", port || "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) {
      console.log(`started a local redis-server on port ${port || 6379} (it stops with this command)`);
      return server;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  throw new MissingServiceError(`started redis-server, but it does not answer at ${url}`);
}

/** Throws with the install command when PostgreSQL does not answer at `url`. */
export async function ensurePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw new MissingServiceError(
      `PostgreSQL does not answer at ${url} (${(error as Error).message}); the test suite runs on it as well as on SQLite.\n` +
        "  Install and start it:  sudo apt-get install -y postgresql && sudo pg_ctlcluster $(ls /etc/postgresql) main start\n" +
        "  and allow this user in, or point TEST_POSTGRES_URL at a server where it may create databases.",
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Throws with the install command when Debian's Chromium (used by the Playwright tests) is missing. */
export function ensureChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new MissingServiceError(
      `Chromium is not at ${CHROMIUM_PATH}; the end-to-end tests drive it.\n` +
        "  Install it:  sudo apt-get install -y chromium   (or set CHROMIUM_PATH to a Chromium/Chrome binary)",
    );
  }
}
