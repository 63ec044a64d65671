/**
 * The local Redis servers the cluster and Sentinel tests stand on (test/redis-servers.ts) behave as those
 * tests assume: the cluster spreads hash tags over its masters and fails over to a replica; the Sentinel set
 * fails over, and what was acknowledged while its replica lagged is gone from the new master.
 */
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisCluster, startRedisSentinelSet, type RedisCluster, type RedisSentinelSet } from "../../test/redis-servers.js";

const NODE_TIMEOUT_MS = 2000;

async function within<T>(timeoutMs: number, what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("startRedisCluster", () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
  });
  afterAll(() => cluster?.stop());

  it("serves all 16384 slots on 3 masters, each with a replica, and keys of different hash tags land on different masters", async () => {
    const masters = cluster.nodes.filter((node) => node.role === "master");
    expect(masters).toHaveLength(3);
    expect(masters.flatMap((node) => node.slots).reduce((sum, [from, to]) => sum + to - from + 1, 0)).toBe(16384);
    expect(cluster.nodes.filter((node) => node.role === "replica").map((node) => node.replicaOf).sort()).toEqual(masters.map((node) => node.port).sort());
    expect(await cluster.masters()).toEqual(masters.map((node) => node.port).sort((a, b) => a - b));
    expect(cluster.url).toBe(`redis://${masters.map((node) => `127.0.0.1:${node.port}`).join(",")}`);

    const client = new Cluster(masters.map(({ port }) => ({ host: "127.0.0.1", port })));
    try {
      const tags = Array.from({ length: 12 }, (_, i) => `{celeriac:q${i}}`);
      const owners = new Set<number>();
      for (const tag of tags) {
        const owner = await cluster.nodeOfKey(`${tag}:wait`);
        expect(await cluster.nodeOfKey(`${tag}:events`)).toBe(owner);
        await client.set(`${tag}:wait`, tag);
        // Straight from the node said to own it: any other would answer MOVED.
        const node = new Redis({ host: "127.0.0.1", port: owner });
        expect(await node.get(`${tag}:wait`)).toBe(tag);
        node.disconnect();
        owners.add(owner);
      }
      expect([...owners].sort()).toEqual(masters.map((node) => node.port).sort());
    } finally {
      client.disconnect();
    }
  });

  it("a replica takes over a killed master within the node timeout and a few seconds, with its data", async () => {
    const victim = cluster.nodes.find((node) => node.role === "master")!;
    const heir = cluster.nodes.find((node) => node.replicaOf === victim.port)!;
    const key = await within(5000, "a key on the victim", async () => {
      for (let i = 0; ; i++) if ((await cluster.nodeOfKey(`{k${i}}`)) === victim.port) return `{k${i}}`;
    });
    const direct = new Redis({ host: "127.0.0.1", port: victim.port });
    await direct.set(key, "kept");
    expect(await direct.wait(1, 2000)).toBe(1);
    direct.disconnect();

    const killed = Date.now();
    await cluster.killNode(victim.port);
    await within(NODE_TIMEOUT_MS + 8000, `${heir.port} serving ${key}`, async () => ((await cluster.nodeOfKey(key)) === heir.port ? true : undefined));
    const tookOver = Date.now() - killed;
    expect((await cluster.masters()).sort()).toEqual(cluster.nodes.filter((n) => n.role === "master" && n !== victim).map((n) => n.port).concat(heir.port).sort());

    const client = new Cluster(cluster.nodes.filter((node) => node !== victim).map(({ port }) => ({ host: "127.0.0.1", port })));
    try {
      expect(await client.get(key)).toBe("kept");
    } finally {
      client.disconnect();
    }
    console.log(`cluster: replica ${heir.port} took over from ${victim.port} ${tookOver} ms after its SIGKILL (node timeout ${NODE_TIMEOUT_MS} ms)`);
  });
});

describe("startRedisSentinelSet", () => {
  let set: RedisSentinelSet;
  beforeAll(async () => {
    set = await startRedisSentinelSet({ sentinels: 3 });
  });
  afterAll(() => set?.stop());

  it("pauseReplica makes replication lag: WAIT gets no acknowledgement until the pause ends, then the replica has it all", async () => {
    const master = new Redis({ host: "127.0.0.1", port: set.masterPort() });
    const replica = new Redis({ host: "127.0.0.1", port: set.replicaPort() });
    try {
      await set.pauseReplica(600);
      await master.set("lag:during", "1");
      expect(await master.wait(1, 200)).toBe(0);
      expect(await replica.exists("lag:during")).toBe(0);
      expect(await master.wait(1, 3000)).toBe(1);
      expect(await replica.get("lag:during")).toBe("1");
    } finally {
      master.disconnect();
      replica.disconnect();
    }
  });

  it("fails over after killMaster, and writes acknowledged while the replica was paused are missing on the new master", async () => {
    expect(set.url).toBe(`redis+sentinel://${set.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${set.masterName}`);
    const old = set.masterPort();
    const heir = set.replicaPort();
    const client = new Redis({ sentinels: set.sentinels, name: set.masterName });
    client.on("error", () => undefined);
    const during = Array.from({ length: 100 }, (_, i) => `lost:${i}`);
    try {
      await client.set("kept", "1");
      expect(await client.wait(1, 2000)).toBe(1);
      await set.pauseReplica(2000);
      for (const key of during) expect(await client.set(key, "1")).toBe("OK");
      const killed = Date.now();
      expect(await set.killMaster()).toBe(old);
      expect(await set.waitForFailover(20_000)).toBe(heir);
      const failedOver = Date.now() - killed;
      expect(set.masterPort()).toBe(heir);
      expect(() => set.replicaPort()).toThrow(/no live replica/);

      const after = new Redis({ sentinels: set.sentinels, name: set.masterName });
      try {
        expect(await after.get("kept")).toBe("1");
        expect(await after.exists(...during)).toBe(0);
        expect(await after.set("after", "1")).toBe("OK");
      } finally {
        after.disconnect();
      }
      console.log(`sentinel: ${heir} promoted ${failedOver} ms after the master's SIGKILL (replica paused 2000 ms); ${during.length} of ${during.length} acknowledged writes lost`);
    } finally {
      client.disconnect();
    }
  });
});
