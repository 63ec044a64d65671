/**
 * The Redis the integration tests run against. By default the one at REDIS_URL. With CELERIAC_TEST_REDIS=cluster
 * (the test command's Cluster pass) a local 3-master Redis Cluster, one replica each, started for the run
 * (redis-servers.ts): REDIS_URL is set to its seed list before any test file loads, so every app, worker process
 * and helper the tests make uses the Cluster. While the tests run, the masters are looked at every second for
 * queues (BullMQ meta keys; the tests delete their keys when done); at the end, which master held which queues is
 * printed: the proof that the queues spread over the Cluster instead of sharing one slot.
 */
import { once } from "node:events";
import { Cluster } from "ioredis";
import { startRedisCluster } from "./redis-servers.js";

const LOOK_EVERY_MS = 1000;

export default async function setup() {
  if (process.env.CELERIAC_TEST_REDIS !== "cluster") return;
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  process.env.REDIS_URL = cluster.url;
  console.log(`integration tests on a Redis Cluster: ${cluster.url} (3 masters, 1 replica each)`);
  const watcher = new Cluster(cluster.nodes.filter((n) => n.role === "master").map((n) => ({ host: "127.0.0.1", port: n.port })));
  watcher.on("error", () => undefined);
  await once(watcher, "ready");
  const seen = new Map<number, Set<string>>();
  const look = async () => {
    for (const node of watcher.nodes("master")) {
      const queues = seen.get(node.options.port!) ?? new Set<string>();
      seen.set(node.options.port!, queues);
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", "*:meta", "COUNT", 1000);
        for (const key of keys) queues.add(key.slice(0, -":meta".length));
        cursor = next;
      } while (cursor !== "0");
    }
  };
  const timer = setInterval(() => void look().catch(() => undefined), LOOK_EVERY_MS);
  return async () => {
    clearInterval(timer);
    try {
      await look();
      const lines = [...seen].sort(([a], [b]) => a - b).map(([port, queues]) => {
        const slots = cluster.nodes.find((n) => n.port === port)?.slots.map(([a, b]) => `${a}-${b}`).join(",") ?? "promoted replica";
        const sample = [...queues].sort().slice(0, 3).join(", ");
        return `  127.0.0.1:${port} (slots ${slots}): ${queues.size} queues${queues.size ? ` — ${sample}${queues.size > 3 ? ", …" : ""}` : ""}`;
      });
      console.log(`Redis Cluster: the queues each master held during the run\n${lines.join("\n")}`);
    } finally {
      watcher.disconnect();
      await cluster.stop();
    }
  };
}
