/**
 * Local Redis servers for the tests and the bench, beyond the one shared Redis: a Redis Cluster (masters with
 * or without a replica each) and a Sentinel set (one master, one replica, sentinels). Debian's redis-server
 * 7.0 processes on free loopback ports, in a temp directory per set, no persistence. Everything started here
 * is SIGKILLed when this process exits, so a crashed test leaves no servers behind; stop() is safe to call
 * twice and after a failure. Imports nothing from the app.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";

const HOST = "127.0.0.1";
const SLOTS = 16384;
/** A cluster node's bus port is its port + 10000, so both must be free. */
const BUS_OFFSET = 10_000;
const READY_TIMEOUT_MS = 30_000;
const LOG_TAIL_LINES = 30;

export interface ClusterNode {
  port: number;
  role: "master" | "replica";
  /** Inclusive slot ranges served; [] for a replica. */
  slots: Array<[number, number]>;
  /** A replica's master. */
  replicaOf?: number;
}

export interface RedisCluster {
  /** The seed list: every master, `redis://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  url: string;
  /** The layout once the cluster was ready: masters by first slot, then replicas. */
  nodes: readonly ClusterNode[];
  /** Ports of the live nodes whose role is master now (a promoted replica included), ascending. */
  masters(): Promise<number[]>;
  /** The port of the live master serving `key`'s slot now (hash tags count: `{tag}`). */
  nodeOfKey(key: string): Promise<number>;
  /** Signals a node and waits for its exit; SIGKILL is a crash. */
  killNode(port: number, signal?: NodeJS.Signals): Promise<void>;
  /** The tail of every server's log, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

export interface RedisSentinelSet {
  masterName: string;
  sentinels: Array<{ host: string; port: number }>;
  /** `redis+sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/<masterName>`. */
  url: string;
  /** The master as last seen: the one started, then what waitForFailover() found. */
  masterPort(): number;
  /** The live server that is not the master; throws when there is none (the old master killed). */
  replicaPort(): number;
  /** Signals the master, waits for its exit and returns its port. */
  killMaster(signal?: NodeJS.Signals): Promise<number>;
  /**
   * Starts a killed server again on its port, empty (no persistence), as a replica of masterPort(): what
   * Sentinel makes of a returning old master, without waiting for its INFO period. Resolves once it is in sync.
   */
  restartAsReplica(port: number): Promise<void>;
  /** Resolves with the port of a master other than masterPort() once every sentinel names it and it reports role master. */
  waitForFailover(timeoutMs?: number): Promise<number>;
  /**
   * Makes replication lag for `ms` and resolves at once: `CLIENT PAUSE ms WRITE` on the replica, which keeps
   * answering PING and INFO and keeps reading the master's stream but applies none of it, nor acknowledges it
   * (a WAIT on the master gets 0). If the master dies meanwhile, what the replica read but had not applied
   * goes with the master link: writes acknowledged to clients during the pause are missing once it is promoted.
   */
  pauseReplica(ms: number): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** At least 3, as redis-cli requires. Default 3. */
  masters?: number;
  /** Default 0. */
  replicasPerMaster?: 0 | 1;
  /** cluster-node-timeout: how long a node may be unreachable before it is failed over. Default 2000. */
  nodeTimeoutMs?: number;
}

export interface SentinelSetOptions {
  /** Default 3; the quorum is a majority of them. */
  sentinels?: number;
  /** Default "celeriac". */
  masterName?: string;
}

/** Starts a cluster and resolves once every node says cluster_state:ok, all slots are served and replicas are in sync. */
export async function startRedisCluster({ masters = 3, replicasPerMaster = 0, nodeTimeoutMs = 2000 }: ClusterOptions = {}): Promise<RedisCluster> {
  if (masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters (got ${masters})`);
  const bin = binaries();
  const group = new ServerGroup("cluster");
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
      ports.push(await group.launch(bin["redis-server"], (port) => clusterNodeArgs(port, group.dir, nodeTimeoutMs), { busPort: true }));
    }
    const addresses = ports.map((port) => `${HOST}:${port}`);
    await group.run(bin["redis-cli"], ["--cluster", "create", ...addresses, "--cluster-replicas", String(replicasPerMaster), "--cluster-yes"]);
    const nodes = await waitUntil(`the cluster on ${ports.join(", ")}`, READY_TIMEOUT_MS, () => clusterReady(ports, masters, replicasPerMaster));
    const liveMasters = async () => {
      const roles = await Promise.all(group.livePorts().map(async (port) => ({ port, role: await roleOf(port).catch(() => "") })));
      return roles.filter((node) => node.role === "master").map((node) => node.port).sort((a, b) => a - b);
    };
    return {
      url: `redis://${nodes.filter((node) => node.role === "master").map((node) => `${HOST}:${node.port}`).join(",")}`,
      nodes,
      masters: liveMasters,
      async nodeOfKey(key) {
        const [any] = group.livePorts();
        const slot = Number(await command(any, "CLUSTER", "KEYSLOT", key));
        for (const port of await liveMasters()) {
          const myself = parseClusterNodes(String(await command(port, "CLUSTER", "NODES"))).find((node) => node.flags.includes("myself"));
          if (myself?.slots.some(([from, to]) => slot >= from && slot <= to)) return port;
        }
        throw group.failure(`no live master serves slot ${slot} (key ${key})`);
      },
      killNode: (port, signal = "SIGKILL") => group.kill(port, signal),
      logs: () => group.logs(),
      stop: () => group.stop(),
    };
  } catch (error) {
    throw await group.abort(error);
  }
}

/** Starts a master, its replica and `sentinels` sentinels, and resolves once every sentinel sees all of them. */
export async function startRedisSentinelSet({ sentinels = 3, masterName = "celeriac" }: SentinelSetOptions = {}): Promise<RedisSentinelSet> {
  const bin = binaries();
  const group = new ServerGroup("sentinel");
  try {
    let master = await group.launch(bin["redis-server"], (port) => serverArgs(port, group.dir));
    const replica = await group.launch(bin["redis-server"], (port) => [...serverArgs(port, group.dir), "--replicaof", HOST, String(master)]);
    await waitUntil(`replica ${replica} to sync with ${master}`, READY_TIMEOUT_MS, async () => (await inSync(replica)) || "master_link_status is not up");
    const sentinelPorts: number[] = [];
    for (let i = 0; i < sentinels; i++) {
      // A file of its own, which the sentinel rewrites with what it learns (its id, the replica, the other sentinels).
      const config = (port: number) => {
        const file = join(group.dir, `sentinel-${port}.conf`);
        writeFileSync(file, sentinelConfig(port, group.dir, masterName, master, Math.floor(sentinels / 2) + 1));
        return [file];
      };
      sentinelPorts.push(await group.launch(bin["redis-sentinel"], config));
    }
    const everyone = `the sentinels on ${sentinelPorts.join(", ")} to see ${master}, ${replica} and each other`;
    await waitUntil(everyone, READY_TIMEOUT_MS, () => sentinelsReady(sentinelPorts, masterName, replica));
    const set: RedisSentinelSet = {
      masterName,
      sentinels: sentinelPorts.map((port) => ({ host: HOST, port })),
      url: `redis+sentinel://${sentinelPorts.map((port) => `${HOST}:${port}`).join(",")}/${masterName}`,
      masterPort: () => master,
      replicaPort() {
        const port = group.livePorts().find((p) => !sentinelPorts.includes(p) && p !== master);
        if (port === undefined) throw new Error(`the sentinel set has no live replica (master ${master})`);
        return port;
      },
      async killMaster(signal = "SIGKILL") {
        const killed = master;
        await group.kill(killed, signal);
        return killed;
      },
      async restartAsReplica(port) {
        await group.relaunch(port, [...serverArgs(port, group.dir), "--replicaof", HOST, String(master)]);
        await waitUntil(`${port} to sync with ${master}`, READY_TIMEOUT_MS, async () => (await inSync(port)) || "master_link_status is not up");
      },
      async waitForFailover(timeoutMs = READY_TIMEOUT_MS) {
        const previous = master;
        const what = `the sentinels to agree on a master for ${masterName} other than ${previous}`;
        try {
          master = await waitUntil(what, timeoutMs, () => failedOver(group, sentinelPorts, masterName, previous));
        } catch (error) {
          throw group.failure(error instanceof Error ? error.message : String(error));
        }
        return master;
      },
      async pauseReplica(ms) {
        await command(set.replicaPort(), "CLIENT", "PAUSE", ms, "WRITE");
      },
      logs: () => group.logs(),
      stop: () => group.stop(),
    };
    return set;
  } catch (error) {
    throw await group.abort(error);
  }
}

/** A redis-server without persistence; a full sync starts at once instead of waiting for more replicas. */
function serverArgs(port: number, dir: string): string[] {
  return ["--port", String(port), "--bind", HOST, "--dir", dir, "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"];
}

/** cluster-replica-validity-factor 0: a replica always stands for election, however long since it heard from its master. */
function clusterNodeArgs(port: number, dir: string, nodeTimeoutMs: number): string[] {
  return [
    ...serverArgs(port, dir),
    ...["--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`)],
    ...["--cluster-node-timeout", String(nodeTimeoutMs), "--cluster-replica-validity-factor", "0"],
  ];
}

function sentinelConfig(port: number, dir: string, name: string, master: number, quorum: number): string {
  return [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${dir}`,
    `sentinel monitor ${name} ${HOST} ${master} ${quorum}`,
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 5000`,
    `sentinel parallel-syncs ${name} 1`,
    "",
  ].join("\n");
}

/** The cluster's layout once every node agrees it is whole; otherwise what is still missing. */
async function clusterReady(ports: number[], masters: number, replicasPerMaster: number): Promise<ClusterNode[] | string> {
  for (const port of ports) {
    const state = info(await command(port, "CLUSTER", "INFO"));
    if (state.cluster_state !== "ok" || Number(state.cluster_slots_ok) !== SLOTS || Number(state.cluster_known_nodes) !== ports.length) {
      return `node ${port}: cluster_state:${state.cluster_state} cluster_slots_ok:${state.cluster_slots_ok} cluster_known_nodes:${state.cluster_known_nodes}`;
    }
    const seen = parseClusterNodes(String(await command(port, "CLUSTER", "NODES")));
    const unsettled = seen.find((node) => node.flags.some((flag) => ["fail", "fail?", "handshake", "noaddr"].includes(flag)));
    if (unsettled) return `node ${port} sees ${unsettled.port} as ${unsettled.flags.join(",")}`;
    const heads = seen.filter((node) => node.flags.includes("master") && node.slots.length);
    if (heads.length !== masters) return `node ${port} sees ${heads.length} masters with slots`;
    const short = heads.find((head) => seen.filter((node) => node.masterId === head.id).length !== replicasPerMaster);
    if (short) return `node ${port} sees master ${short.port} without its ${replicasPerMaster} replica(s)`;
  }
  const layout = parseClusterNodes(String(await command(ports[0], "CLUSTER", "NODES")));
  for (const node of layout.filter((n) => n.flags.includes("slave"))) {
    if (!(await inSync(node.port))) return `replica ${node.port} is not in sync yet`;
  }
  const portOf = new Map(layout.map((node) => [node.id, node.port]));
  const nodes = layout.map(({ port, flags, slots, masterId }): ClusterNode =>
    flags.includes("master") ? { port, role: "master", slots } : { port, role: "replica", slots: [], replicaOf: portOf.get(masterId) },
  );
  const first = (node: ClusterNode) => (node.role === "master" ? node.slots[0][0] : SLOTS + node.port);
  return nodes.sort((a, b) => first(a) - first(b));
}

async function sentinelsReady(sentinels: number[], name: string, replica: number): Promise<true | string> {
  for (const port of sentinels) {
    const master = pairs(await command(port, "SENTINEL", "MASTER", name));
    if (master.flags !== "master" || Number(master["num-other-sentinels"]) !== sentinels.length - 1) {
      return `sentinel ${port}: flags ${master.flags}, ${master["num-other-sentinels"]} other sentinels`;
    }
    const replicas = (await command(port, "SENTINEL", "REPLICAS", name)) as unknown[];
    const seen = replicas.map(pairs).find((r) => Number(r.port) === replica);
    if (seen?.flags !== "slave" || seen["master-link-status"] !== "ok") return `sentinel ${port} does not see replica ${replica} in sync`;
  }
  return true;
}

async function failedOver(group: ServerGroup, sentinels: number[], name: string, previous: number): Promise<number | string> {
  const named = await Promise.all(sentinels.map(async (port) => Number(((await command(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[])[1])));
  const [candidate] = named;
  if (named.some((port) => port !== candidate)) return `the sentinels name ${named.join(", ")}`;
  if (candidate === previous) return `the sentinels still name ${previous}`;
  if (!group.livePorts().includes(candidate)) return `the sentinels name ${candidate}, which is down`;
  const role = await roleOf(candidate);
  return role === "master" ? candidate : `${candidate} reports role ${role}`;
}

interface SeenNode {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: Array<[number, number]>;
}

/** CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`; slots in migration (`[...]`) left out. */
function parseClusterNodes(text: string): SeenNode[] {
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(" ");
      return {
        id,
        port: Number(address.split("@")[0].split(":").pop()),
        flags: flags.split(","),
        masterId,
        slots: slots.filter((range) => !range.startsWith("[")).map(slotRange),
      };
    });
}

/** `5461-10922`, or one slot: `5461`. */
function slotRange(text: string): [number, number] {
  const [from, to = from] = text.split("-").map(Number);
  return [from, to];
}

async function inSync(replica: number): Promise<boolean> {
  return info(await command(replica, "INFO", "replication")).master_link_status === "up";
}

async function roleOf(port: number): Promise<string> {
  return String(((await command(port, "ROLE")) as unknown[])[0]);
}

/** INFO's `key:value` lines. */
function info(text: unknown): Record<string, string> {
  const lines = String(text).split("\r\n").filter((line) => line.includes(":"));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
}

/** A sentinel's flat [key, value, key, value...] reply. */
function pairs(reply: unknown): Record<string, string> {
  const flat = reply as string[];
  return Object.fromEntries(flat.flatMap((_, i) => (i % 2 ? [] : [[flat[i], flat[i + 1]]])));
}

/** One command on a fresh connection that neither retries nor waits for long (a dead or stuck server fails it). */
async function command(port: number, name: string, ...args: Array<string | number>): Promise<unknown> {
  const redis = new Redis({ host: HOST, port, lazyConnect: true, enableReadyCheck: false, connectTimeout: 1000, commandTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return await redis.call(name, args);
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns something other than a string (the reason it is not there yet; a throw counts as one). */
async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await check().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    if (typeof outcome !== "string") return outcome;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${outcome}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Binary = "redis-server" | "redis-sentinel" | "redis-cli";

function binaries(): Record<Binary, string> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const find = (name: Binary) =>
    dirs
      .map((dir) => join(dir, name))
      .find((file) => {
        try {
          accessSync(file, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
  const found = { "redis-server": find("redis-server"), "redis-sentinel": find("redis-sentinel"), "redis-cli": find("redis-cli") };
  const missing = Object.entries(found).filter(([, file]) => !file).map(([name]) => name);
  if (missing.length) throw new Error(`${missing.join(", ")} not found on PATH; the cluster and Sentinel tests start their own: apt-get install -y redis-server redis-sentinel`);
  return found as Record<Binary, string>;
}

/** Processes and directories alive in this process: what the exit handler cleans up. */
const running = new Set<ChildProcess>();
const directories = new Set<string>();
let exitHandler = false;

function track(child: ChildProcess, dir: string): void {
  if (!exitHandler) {
    exitHandler = true;
    process.on("exit", () => {
      for (const c of running) c.kill("SIGKILL");
      for (const d of directories) rmSync(d, { recursive: true, force: true });
    });
  }
  directories.add(dir);
  running.add(child);
  child.on("exit", () => running.delete(child));
}

interface ServerProcess {
  name: string;
  binary: string;
  child: ChildProcess;
  alive: boolean;
  exited: Promise<void>;
  log: string;
}

/** The processes of one set, by port, in one temp directory. */
class ServerGroup {
  readonly dir: string;
  private readonly servers = new Map<number, ServerProcess>();
  private readonly outputs: string[] = [];

  constructor(label: string) {
    this.dir = mkdtempSync(join(tmpdir(), `celeriac-redis-${label}-`));
    directories.add(this.dir);
  }

  /** Starts `binary` on a free port and resolves with the port once it answers PING; another port if that one was taken meanwhile. */
  async launch(binary: string, args: (port: number) => string[], { busPort = false } = {}): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort(busPort, [...this.servers.keys()]);
      const server = this.spawn(binary, port, args(port));
      // Resolves false when it exited instead.
      if (await waitUntil(`${server.name} to answer PING`, 10_000, async () => server.alive && ((await command(port, "PING")) === "PONG" || "no PONG"))) return port;
      this.servers.delete(port);
      if (!/already in use/i.test(server.log) || attempt === 5) throw new Error(`${server.name} exited at start:\n${tail(server.log)}`);
    }
  }

  /** Runs a command to its end (redis-cli); its output joins the logs. */
  async run(binary: string, args: string[]): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      execFile(binary, args, { timeout: READY_TIMEOUT_MS }, (error, stdout, stderr) => {
        this.outputs.push(`--- ${binary} ${args.join(" ")} ---\n${tail(stdout + stderr)}`);
        if (error) reject(new Error(`${binary} ${args.slice(0, 2).join(" ")} failed: ${error.message}`));
        else resolve();
      }),
    );
  }

  /** Starts `port`'s binary again with `args`, once its previous process has exited; resolves once it answers PING. */
  async relaunch(port: number, args: string[]): Promise<void> {
    const previous = this.servers.get(port);
    if (!previous) throw new Error(`no server of this set listened on ${port}`);
    if (previous.alive) throw new Error(`${previous.name} is still running`);
    this.outputs.push(`--- ${previous.name} (before its restart) ---\n${tail(previous.log)}`);
    const server = this.spawn(previous.binary, port, args);
    const answered = await waitUntil(`${server.name} to answer PING`, 10_000, async () => server.alive && ((await command(port, "PING")) === "PONG" || "no PONG"));
    if (!answered) throw new Error(`${server.name} exited at restart:\n${tail(server.log)}`);
  }

  livePorts(): number[] {
    return [...this.servers].filter(([, server]) => server.alive).map(([port]) => port);
  }

  async kill(port: number, signal: NodeJS.Signals): Promise<void> {
    const server = this.servers.get(port);
    if (!server) throw new Error(`no server of this set listens on ${port}`);
    if (server.alive) server.child.kill(signal);
    await server.exited;
  }

  logs(): string {
    const servers = [...this.servers.values()].map((server) => `--- ${server.name}${server.alive ? "" : " (exited)"} ---\n${tail(server.log)}`);
    return [...servers, ...this.outputs].join("\n");
  }

  failure(message: string): Error {
    return new Error(`${message}\n${this.logs()}`);
  }

  /** Stops everything after a failed start and returns the error to throw, with the logs. */
  async abort(error: unknown): Promise<Error> {
    const failure = this.failure(error instanceof Error ? error.message : String(error));
    await this.stop();
    return failure;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((port) => this.kill(port, "SIGKILL")));
    rmSync(this.dir, { recursive: true, force: true });
    directories.delete(this.dir);
  }

  private spawn(binary: string, port: number, args: string[]): ServerProcess {
    const child = spawn(binary, args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    const name = `${binary.split("/").pop()} :${port}`;
    let ended = () => {};
    const server: ServerProcess = { name, binary, child, alive: true, log: "", exited: new Promise((resolve) => (ended = resolve)) };
    const append = (chunk: Buffer | string) => (server.log = (server.log + chunk).slice(-32_768));
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    const end = () => {
      server.alive = false;
      ended();
    };
    child.on("exit", end);
    // A process that could not be spawned emits no "exit".
    child.on("error", (error) => {
      append(`${error.message}\n`);
      if (child.pid === undefined) end();
    });
    track(child, this.dir);
    this.servers.set(port, server);
    return server;
  }
}

function tail(text: string): string {
  return text.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
}

/** A free loopback port (and, for a cluster node, its bus port) that this set has not handed out yet. */
async function freePort(busPort: boolean, taken: number[]): Promise<number> {
  for (;;) {
    const port = await listenAndClose(0);
    const usable = !taken.includes(port) && !taken.some((t) => busPort && (t + BUS_OFFSET === port || t === port + BUS_OFFSET));
    if (usable && (!busPort || (port + BUS_OFFSET < 65536 && (await listenAndClose(port + BUS_OFFSET).then(() => true, () => false))))) return port;
  }
}

function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, HOST, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}
