/**
 * A PgBouncer of a test's own (Debian's `pgbouncer`) in front of the test PostgreSQL server, in transaction
 * mode: on a free loopback port, its config and auth file in a mkdtemp folder, logging to a buffer; `stop()`
 * ends it and removes the folder. Its admin console answers SHOW POOLS / SHOW STATS.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const PGBOUNCER_INSTALL = "apt-get install -y pgbouncer";
const HOST = "127.0.0.1";

/** The binary: Debian's path, else the PATH's; undefined when it is not installed. */
export function findPgbouncer(): string | undefined {
  if (existsSync("/usr/sbin/pgbouncer")) return "/usr/sbin/pgbouncer";
  try {
    return execFileSync("sh", ["-c", "command -v pgbouncer"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface PgbouncerOptions {
  /** Any URL of the PostgreSQL server it pools for: its host, port, user and password are used. */
  serverUrl: string;
  /** Server connections per database and user (default_pool_size). */
  poolSize: number;
  /** Client connections it accepts (max_client_conn). @defaultValue 500 */
  maxClients?: number;
}

export interface Pgbouncer {
  port: number;
  /** The URL of `database` through it. */
  url(database: string): string;
  /** One SHOW command on its admin console (simple protocol, as the console requires). */
  show(what: "POOLS" | "STATS" | "CLIENTS" | "SERVERS"): Promise<Array<Record<string, string>>>;
  /** What it logged. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Its version as [major, minor]. From 1.21 it can track protocol-level prepared statements in transaction
 * mode (max_prepared_statements, on by default from 1.24): the tests pin that off, so that every version
 * behaves as Debian 12's 1.18, the least a deployment may have.
 */
function versionOf(binary: string): [number, number] {
  const match = /PgBouncer (\d+)\.(\d+)/.exec(execFileSync(binary, ["--version"], { encoding: "utf8" }));
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export async function startPgbouncer(binary: string, { serverUrl, poolSize, maxClients = 500 }: PgbouncerOptions): Promise<Pgbouncer> {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || "postgres");
  const password = decodeURIComponent(server.password);
  const [major, minor] = versionOf(binary);
  const dir = mkdtempSync(join(tmpdir(), "celeriac-pgbouncer-"));
  try {
    const port = await freePort();
    // Clients are trusted (loopback, the test's own); the auth file's password is what it logs in to the server with.
    writeFileSync(join(dir, "userlist.txt"), `"${user}" "${password.replace(/"/g, '""')}"\n`);
    const ini = [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || 5432}`,
      "[pgbouncer]",
      `listen_addr = ${HOST}`,
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      `admin_users = ${user}`,
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      `max_client_conn = ${maxClients}`,
      ...(major > 1 || minor >= 21 ? ["max_prepared_statements = 0"] : []),
    ];
    writeFileSync(join(dir, "pgbouncer.ini"), `${ini.join("\n")}\n`);
    // It refuses to run as root: as root it is started as nobody, who must read the folder.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) for (const [path, mode] of [[dir, 0o755], [join(dir, "userlist.txt"), 0o644], [join(dir, "pgbouncer.ini"), 0o644]] as const) chmodSync(path, mode);
    const child = spawn(binary, [...(asRoot ? ["-u", "nobody"] : []), join(dir, "pgbouncer.ini")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const append = (chunk: Buffer) => (log = (log + chunk).slice(-65_536));
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    await ready(child, () => log, exited);
    const base = (database: string) => `postgresql://${encodeURIComponent(user)}@${HOST}:${port}/${database}`;
    let admin: Promise<pg.Client> | undefined;
    const adminConsole = () =>
      (admin ??= (async () => {
        const client = new pg.Client({ connectionString: base("pgbouncer") });
        client.on("error", () => undefined);
        await client.connect();
        return client;
      })());
    return {
      port,
      url: base,
      show: async (what) => (await (await adminConsole()).query(`SHOW ${what}`)).rows,
      output: () => log,
      async stop() {
        await admin?.then((client) => client.end()).catch(() => undefined);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Resolves once it listens; rejects with its log when it exits first or takes over 10 s. */
async function ready(child: ChildProcess, log: () => string, exited: Promise<void>): Promise<void> {
  const deadline = Date.now() + 10_000;
  let ended = false;
  void exited.then(() => (ended = true));
  while (!/process up/.test(log())) {
    if (ended || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`pgbouncer ${ended ? "exited" : "did not start in 10 s"}:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
