/**
 * Hosts as network namespaces, for the several-hosts chaos test: a bridge in the root namespace (the
 * "switch", with an address of its own that servers bind to) and one namespace per host, joined to it by a
 * veth pair. The root-side end is the host's cable: set down, the host is cut off and its TCP connections
 * hang (packets are dropped, nothing is reset), as when a switch port or a link dies.
 *
 * Namespace names carry the owner's pid; the bridge and the root-side veths carry it in their alias; the
 * redis-server started here carries it in the name of its --dir. So parallel runs never collide, and what a crashed
 * run left behind is found and removed (removeStale) without touching a live run's.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForRedisPing } from "./helpers";

const NS_PREFIX = "celeriac-sh-";
const OWNER = /^celeriac-several-hosts pid (\d+)$/;
const ownerAlias = () => `celeriac-several-hosts pid ${process.pid}`;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Teardown and stale cleanup: a thing already gone is fine. */
function ipQuietly(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Why hosts cannot be made on this machine, or null if they can (root, and `ip netns add` works). */
export function whyNoNamespaces(): string | null {
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.()}); network namespaces need CAP_SYS_ADMIN`;
  const probe = `${NS_PREFIX}${process.pid}-probe`;
  try {
    ip("netns", "add", probe);
    ip("netns", "del", probe);
    return null;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    return `\`ip netns add\` failed: ${stderr || (error as Error).message}`;
  }
}

/**
 * Removes what crashed runs of this test left: namespaces, links and redis-servers whose owner pid is no
 * longer alive. Returns what it removed, for the log.
 */
export function removeStale(): string[] {
  const removed: string[] = [];
  for (const line of ip("netns", "list").split("\n")) {
    const name = line.split(" ")[0];
    const owner = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(name);
    if (!owner || alive(Number(owner[1]))) continue;
    ipQuietly("netns", "del", name);
    removed.push(`namespace ${name}`);
  }
  const links = JSON.parse(ip("-j", "link", "show")) as Array<{ ifname: string; ifalias?: string }>;
  for (const link of links) {
    const owner = OWNER.exec(link.ifalias ?? "");
    if (!owner || alive(Number(owner[1]))) continue;
    ipQuietly("link", "del", link.ifname);
    removed.push(`link ${link.ifname}`);
  }
  // redis-server rewrites its command line, but runs in its --dir, which names the owner.
  const redisDir = new RegExp(`^${join(tmpdir(), NS_PREFIX)}(\\d+)-redis-`);
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let owner: RegExpExecArray | null;
    try {
      owner = readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "redis-server" ? redisDir.exec(readlinkSync(`/proc/${pid}/cwd`)) : null;
    } catch {
      continue; // exited meanwhile
    }
    if (!owner || alive(Number(owner[1]))) continue;
    process.kill(Number(pid), "SIGKILL");
    removed.push(`redis-server pid ${pid}`);
  }
  return removed;
}

export interface Host {
  /** 1, 2, … */
  index: number;
  netns: string;
  address: string;
  /** The root-side end of the host's veth pair, its "cable". */
  cable: string;
}

export interface Hosts {
  bridge: string;
  /** The bridge's address: what the hosts reach the root namespace's servers at. */
  gateway: string;
  hosts: Host[];
  /** Cuts a host off: its cable goes down (its connections hang; none is reset). */
  cut(host: Host): void;
  restore(host: Host): void;
  /** Deletes the namespaces, veths and bridge; safe to call twice and after a partial set-up. */
  destroy(): void;
}

/** A /24 in 10.231.0.0/16 that no address of the root namespace is in (a parallel run's bridge, say). */
function freeSubnet(): string {
  const used = new Set([...ip("-4", "-o", "addr", "show").matchAll(/inet 10\.231\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((n) => !used.has(n));
  if (free.length === 0) throw new Error("no free /24 left in 10.231.0.0/16");
  return `10.231.${free[Math.floor(Math.random() * free.length)]}`;
}

/** `count` hosts on a fresh bridge: 10.231.N.1 is the bridge, 10.231.N.11, .12, … the hosts. */
export function createHosts(count: number): Hosts {
  const tag = randomBytes(2).toString("hex");
  const subnet = freeSubnet();
  const bridge = `csh${tag}-br`; // interface names: 15 characters at most
  const hosts: Host[] = Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    netns: `${NS_PREFIX}${process.pid}-${tag}-${i + 1}`,
    address: `${subnet}.${11 + i}`,
    cable: `csh${tag}-r${i + 1}`,
  }));
  const result: Hosts = {
    bridge,
    gateway: `${subnet}.1`,
    hosts,
    cut: (host) => ip("link", "set", host.cable, "down"),
    restore: (host) => ip("link", "set", host.cable, "up"),
    destroy() {
      for (const host of hosts) {
        ipQuietly("link", "del", host.cable); // and its peer in the namespace with it
        ipQuietly("netns", "del", host.netns);
      }
      ipQuietly("link", "del", bridge);
    },
  };
  try {
    ip("link", "add", bridge, "type", "bridge");
    ip("link", "set", bridge, "alias", ownerAlias());
    ip("addr", "add", `${result.gateway}/24`, "dev", bridge);
    ip("link", "set", bridge, "up");
    for (const host of hosts) {
      const inside = `csh${tag}-h${host.index}`;
      ip("netns", "add", host.netns);
      ip("link", "add", host.cable, "type", "veth", "peer", "name", inside, "netns", host.netns);
      ip("link", "set", host.cable, "alias", ownerAlias());
      ip("link", "set", host.cable, "master", bridge);
      ip("link", "set", host.cable, "up");
      ip("-n", host.netns, "addr", "add", `${host.address}/24`, "dev", inside);
      ip("-n", host.netns, "link", "set", inside, "up");
      ip("-n", host.netns, "link", "set", "lo", "up");
    }
  } catch (error) {
    result.destroy();
    throw error;
  }
  return result;
}

/**
 * The host's TCP connections as both ends see them (`ss -tnio`: in its namespace, and in the root namespace
 * towards its address), one line each: how many wait for an acknowledgement, and how far their
 * retransmission timers have backed off. With the cable down both ends retransmit into the void; each
 * connection resumes at its next retransmission after the cable is back.
 */
export function tcpSummary(host: Host): string {
  const side = (args: string[]) => {
    const out = execFileSync(args[0], args.slice(1), { encoding: "utf8" });
    const sockets = out.split("\n").slice(1).join("\n").split(/\n(?=\S)/).filter((s) => s.trim());
    const waiting = sockets.filter((s) => /unacked:\d+/.test(s));
    const backoff = Math.max(0, ...waiting.map((s) => Number(/backoff:(\d+)/.exec(s)?.[1] ?? 0)));
    const rto = Math.max(0, ...waiting.map((s) => Number(/rto:([\d.]+)/.exec(s)?.[1] ?? 0)));
    return `${sockets.length} connections, ${waiting.length} with unacknowledged data (backoff up to ${backoff}, rto up to ${rto} ms)`;
  };
  return `host side ${side(["ip", "netns", "exec", host.netns, "ss", "-tnio"])}; servers' side ${side(["ss", "-tnio", "dst", host.address])}`;
}

export interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * A redis-server bound to `host` (the bridge's address), without persistence: the test's broker. Its
 * --dir names the owner's pid, for removeStale.
 */
export async function bridgeRedis(host: string, port: number): Promise<Server & { output(): string }> {
  const dir = mkdtempSync(join(tmpdir(), `${NS_PREFIX}${process.pid}-redis-`));
  const args = ["--bind", host, "--port", String(port), "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", dir];
  const child: ChildProcess = spawn("/usr/bin/redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `redis://${host}:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRedisPing(url, `redis-server on ${host}:${port}`, () => (child.exitCode !== null ? out : undefined));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, output: () => out, stop };
}

/**
 * A TCP forwarder in this process: listens on `host` (the bridge's address) and pipes each connection to
 * `target`, so the hosts reach a server that listens on 127.0.0.1 only (the system PostgreSQL).
 */
export async function forwarder(host: string, target: { host: string; port: number }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection(target);
    for (const [a, b] of [
      [inbound, outbound],
      [outbound, inbound],
    ]) {
      sockets.add(a);
      a.pipe(b);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `tcp://${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
