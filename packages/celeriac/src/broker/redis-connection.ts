/**
 * Connections to what a Redis URL names (redis-url.ts): ioredis speaks all three forms and BullMQ takes any
 * of its connections. Callers pass the options they would give a single server's connection; on a Cluster
 * they are mapped onto ioredis' Cluster options.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { parseRedisUrl } from "./redis-url.js";

export type RedisConnection = Redis | Cluster;

/**
 * The options celeriac sets on its connections, named as for a single server. On a Cluster, the per-node
 * ones go to every node's connection and the others to the Cluster itself (retryStrategy becomes its
 * clusterRetryStrategy: when no seed node answers).
 */
export type ConnectionOptions = Pick<RedisOptions, "maxRetriesPerRequest" | "enableOfflineQueue" | "lazyConnect" | "retryStrategy" | "connectTimeout" | "commandTimeout">;

export function createRedisConnection(url: string, options: ConnectionOptions = {}): RedisConnection {
  const target = parseRedisUrl(url);
  switch (target.kind) {
    case "server":
      return new Redis(url, options);
    case "sentinel":
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        ...target.auth,
        sentinelPassword: target.sentinelPassword,
        // rediss+sentinel://: TLS to the sentinels and to the master they name.
        ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        // A connection that must give up when Redis is not there (the start-up probe) gives up on the sentinels too:
        // ioredis asks them again for ever otherwise.
        ...(options.retryStrategy ? { sentinelRetryStrategy: options.retryStrategy } : {}),
        // Ask the sentinels to say when the master changes instead of finding out from a broken connection.
        failoverDetector: true,
      });
    case "cluster": {
      const { enableOfflineQueue, lazyConnect, retryStrategy, ...perNode } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...perNode, ...target.auth, ...(target.tls ? { tls: {} } : {}) },
        ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
        ...(lazyConnect !== undefined ? { lazyConnect } : {}),
        ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

/** Whether a connection is to a Cluster: commands that see one node's keys (SCAN) must ask every master. */
export function isCluster(redis: RedisConnection): redis is Cluster {
  // Not instanceof: an app may load a second copy of ioredis.
  return (redis as Cluster).isCluster === true;
}

/**
 * Every key matching a pattern, by SCAN (never KEYS: it does not block Redis however many keys it holds);
 * on a Cluster, on each master in turn.
 */
export async function scanKeys(redis: RedisConnection, pattern: string): Promise<string[]> {
  const keys = new Set<string>();
  // A Cluster knows its masters once it is ready; before that nodes() is empty and the scan would find nothing.
  if (isCluster(redis) && redis.status !== "ready") await clusterReady(redis);
  for (const node of isCluster(redis) ? redis.nodes("master") : [redis]) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      for (const k of batch) keys.add(k);
      cursor = next;
    } while (cursor !== "0");
  }
  return [...keys];
}

/** A literal for a Redis MATCH pattern: `*`, `?`, `[`, `]` and `\\` lose their meaning. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

const CLUSTER_READY_TIMEOUT_MS = 10_000;

/** Waits until a Cluster is ready (connecting a lazy one); rejects when it ends or takes too long. */
function clusterReady(cluster: Cluster): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      cluster.off("ready", onReady);
      cluster.off("end", onEnd);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`the Redis Cluster did not become ready within ${CLUSTER_READY_TIMEOUT_MS} ms (status ${cluster.status})`)), CLUSTER_READY_TIMEOUT_MS);
    const onReady = () => done();
    const onEnd = () => done(new Error("the Redis Cluster connection ended before it was ready"));
    cluster.once("ready", onReady);
    cluster.once("end", onEnd);
    if (cluster.status === "wait") cluster.connect().catch((error: Error) => done(error));
  });
}
