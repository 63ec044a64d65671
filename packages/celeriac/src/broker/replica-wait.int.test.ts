/**
 * redisWaitReplicas on a real master and replica whose link takes 1 ms each way (a TCP proxy in this
 * process, so the round trip a WAIT waits for is a network's, not loopback's): what sharing WAITs buys over
 * one per send, and what a refused send means — the job may be in Redis, and a re-send of it from any
 * connection is held to the same WAIT — and that a WAIT holds up only the sends' own connection.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerUnavailableError } from "../errors.js";
import type { TaskMessage } from "../message.js";
import { BullmqBroker, jobOptions } from "./bullmq.js";

const LINK_DELAY_MS = 1;
const SENDS = 1500;
const IN_FLIGHT = 64;

let dir: string;
const servers: ChildProcess[] = [];
let proxy: Server;
let master: Redis;
let masterPort: number;
let replicaPort: number;
const brokers: BullmqBroker[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function redisServer(port: number, ...args: string[]): Promise<Redis> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", ...args], { stdio: "ignore" });
  servers.push(child);
  for (let i = 0; ; i++) {
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      return probe;
    } catch (error) {
      probe.disconnect();
      if (i > 100) throw error;
      await sleep(50);
    }
  }
}

/** Forwards to the master, each chunk held LINK_DELAY_MS each way (Nagle off: a network's latency, not a TCP artefact). */
function laggingLink(port: number, to: number): Promise<Server> {
  const server = createServer((downstream) => {
    const upstream = connect(to, "127.0.0.1");
    for (const socket of [downstream, upstream]) {
      socket.setNoDelay(true);
      socket.on("error", () => undefined);
    }
    downstream.on("data", (chunk) => setTimeout(() => upstream.write(chunk), LINK_DELAY_MS));
    upstream.on("data", (chunk) => setTimeout(() => downstream.write(chunk), LINK_DELAY_MS));
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "celeriac-replica-wait-"));
  [masterPort, replicaPort] = [await freePort(), await freePort()];
  const linkPort = await freePort();
  master = await redisServer(masterPort, "--repl-diskless-sync-delay", "0");
  proxy = await laggingLink(linkPort, masterPort);
  const replica = await redisServer(replicaPort, "--replicaof", "127.0.0.1", String(linkPort));
  try {
    for (let i = 0; !/master_link_status:up/.test(await replica.info("replication")); i++) {
      if (i > 200) throw new Error("the replica did not sync");
      await sleep(50);
    }
  } finally {
    replica.disconnect();
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  master?.disconnect();
  for (const child of servers) child.kill("SIGKILL");
  proxy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const message = (id: string): TaskMessage => ({ id, task: "t", args: [], queue: "q", sentAt: Date.now(), retries: 0 });

function broker(waitReplicas: number, { waitTimeoutMs = 1000, keyPrefix = `replica-wait-${brokers.length}-${Date.now()}` } = {}): BullmqBroker {
  const b = new BullmqBroker({ redisUrl: `redis://127.0.0.1:${masterPort}`, keyPrefix, waitReplicas, waitTimeoutMs, lockMs: 2000 });
  brokers.push(b);
  return b;
}

/** `send(i)` for i < SENDS, IN_FLIGHT at a time; sends/s. */
async function rate(send: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < SENDS; i = next++) await send(i);
    }),
  );
  return Math.round((SENDS * 1000) / (performance.now() - started));
}

async function waitCalls(): Promise<number> {
  return Number(/cmdstat_wait:calls=(\d+)/.exec(await master.info("commandstats"))?.[1] ?? 0);
}

describe("redisWaitReplicas over a link of 1 ms each way", () => {
  it(`sends share WAITs: ${IN_FLIGHT} at a time go several times faster than with one WAIT each`, async () => {
    const plain = broker(0);
    await plain.publish(message("warm"), { delayMs: 0 });
    const noWait = await rate((i) => plain.publish(message(`plain-${i}`), { delayMs: 0 }));

    // The way a send waited before: its add, then a WAIT of its own on the same connection.
    const connection = new Redis({ port: masterPort, maxRetriesPerRequest: null });
    const queue = new Queue("q", { connection, prefix: `{replica-wait-each-${Date.now()}}` });
    const each = await rate(async (i) => {
      await queue.add("t", { args: [] }, jobOptions(`each-${i}`, { delayMs: 0 }));
      if ((await connection.wait(1, 1000)) < 1) throw new Error("not acknowledged");
    });
    await queue.close();
    connection.disconnect();

    const shared = broker(1);
    await shared.publish(message("warm"), { delayMs: 0 });
    const before = await waitCalls();
    const sharedRate = await rate((i) => shared.publish(message(`shared-${i}`), { delayMs: 0 }));
    const waits = (await waitCalls()) - before;

    console.log(`[replica wait] ${SENDS} sends, ${IN_FLIGHT} at a time, replica link ${2 * LINK_DELAY_MS} ms round trip: no WAIT ${noWait}/s; one WAIT per send ${each}/s; shared WAITs ${sharedRate}/s (${waits} WAITs)`);
    expect(waits).toBeLessThan(SENDS / 4);
    expect(sharedRate).toBeGreaterThan(3 * each);
  }, 60_000);

  it("a send the replica does not acknowledge is refused, though its job is in Redis; a re-send from another connection is held to the same WAIT", async () => {
    const replica = new Redis({ port: replicaPort });
    const keyPrefix = `replica-wait-resend-${Date.now()}`;
    const first = broker(1, { waitTimeoutMs: 300, keyPrefix });
    const other = broker(1, { waitTimeoutMs: 300, keyPrefix });
    await first.publish(message("warm-first"), { delayMs: 0 });
    await other.publish(message("warm-other"), { delayMs: 0 });
    try {
      await replica.call("CLIENT", "PAUSE", "2000", "WRITE");
      await expect(first.publish(message("lagging"), { delayMs: 0 })).rejects.toThrow(BrokerUnavailableError);
      expect(await master.exists(`${first.queuePrefix("q")}:q:lagging`)).toBe(1);
      // The job exists, so BullMQ's add only notes a duplicate — a write, so the other connection's WAIT
      // covers the first copy too: with the replica still behind, the re-send is refused as well.
      await expect(other.publish(message("lagging"), { delayMs: 0 })).rejects.toThrow(BrokerUnavailableError);
      await replica.call("CLIENT", "UNPAUSE");
      await expect(other.publish(message("lagging"), { delayMs: 0 })).resolves.toBeUndefined();
    } finally {
      await replica.call("CLIENT", "UNPAUSE").catch(() => undefined);
      replica.disconnect();
    }
  }, 30_000);

  it("a WAIT holds only the sends' connection: while one waits for the replica, revokes, rate-limit reservations and leases answer", async () => {
    const replica = new Redis({ port: replicaPort });
    const b = broker(1, { waitTimeoutMs: 1500 });
    await b.publish(message("warm"), { delayMs: 0 });
    await b.revoke("warm-up", false);
    try {
      await replica.call("CLIENT", "PAUSE", "3000", "WRITE");
      let sendSettled = false;
      const send = b.publish(message("held"), { delayMs: 0 }).finally(() => (sendSettled = true));
      send.catch(() => undefined);
      await sleep(50); // the add answered, the WAIT is out: on a shared connection what follows would queue behind it
      await b.revoke("other-task", false);
      await b.reserveRate("t", "100/s");
      expect(await b.holdLease("replica-wait-lease", "me", 5000)).not.toBeNull();
      expect(sendSettled).toBe(false);
      await expect(send).rejects.toThrow(BrokerUnavailableError);
    } finally {
      await replica.call("CLIENT", "UNPAUSE").catch(() => undefined);
      replica.disconnect();
    }
  }, 30_000);
});
