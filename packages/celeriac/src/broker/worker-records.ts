/**
 * The workers' records in Redis: each worker's live heartbeat, what is kept of the workers seen in the last
 * hour (so a dead worker is listed offline, and a stopped one stopped, for a while: Flower's workers page),
 * and the shutdown request that names one of them. All keys share the app's hash tag (one Cluster slot):
 *
 *   {prefix}:worker:<id>        string  the live heartbeat (JSON), with a TTL; what inspect reads
 *   {prefix}:workers-seen       hash    id → its last heartbeat (JSON)
 *   {prefix}:workers-seen-at    zset    id → that heartbeat's sentAt: what the retention prunes by
 *   {prefix}:workers-stopped    hash    id → when it removed its live heartbeat (a clean stop)
 *
 * Every heartbeat prunes the workers last seen before the retention, so the records hold about an hour of
 * workers however long the app runs; workersSeen() lists only those within it.
 *
 * BEAT     KEYS[1] live key, KEYS[2] seen, KEYS[3] seen-at, KEYS[4] stopped
 *          ARGV[1] worker id, ARGV[2] heartbeat JSON, ARGV[3] TTL ms, ARGV[4] sentAt, ARGV[5] retention cutoff
 *          Returns how many workers it pruned (at most PRUNE_BATCH; the next beats take the rest).
 * STOP     KEYS[1] live key, KEYS[2] seen-at, KEYS[3] stopped; ARGV[1] worker id, ARGV[2] now
 *          Deletes the live key and marks the worker stopped, if it is kept.
 * SEEN     KEYS[1] seen, KEYS[2] seen-at, KEYS[3] stopped; ARGV[1] retention cutoff, ARGV[2] live key prefix
 *          Returns, per worker kept: its heartbeat JSON, its stop time or '', 1 if its live key exists else 0.
 * SHUTDOWN KEYS[1] live key; ARGV[1] control channel, ARGV[2] the request (JSON)
 *          Publishes the request if the live key exists; returns 1 if it did, 0 if no such worker is live.
 */
import type { RedisConnection } from "./redis-connection.js";
import { HEARTBEAT_TTL_INTERVALS, type SeenWorker, type WorkerHeartbeat, type WorkerState } from "./inspection.js";

/** @defaultValue 1 hour: how long a worker stays listed after its last heartbeat. */
export const WORKER_RETENTION_MS = 3600 * 1000;
/** Workers pruned per heartbeat at most, so that one write never holds Redis for long. */
const PRUNE_BATCH = 100;

const WORKER_BEAT = `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5], 'LIMIT', 0, ${PRUNE_BATCH})
if #old > 0 then
  redis.call('HDEL', KEYS[2], unpack(old))
  redis.call('HDEL', KEYS[4], unpack(old))
  redis.call('ZREM', KEYS[3], unpack(old))
end
return #old
`;

const WORKER_STOP = `
redis.call('DEL', KEYS[1])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
return 0
`;

const WORKERS_SEEN = `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], '+inf')) do
  local beat = redis.call('HGET', KEYS[1], id)
  if beat then
    out[#out + 1] = beat
    out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
    out[#out + 1] = redis.call('EXISTS', ARGV[2] .. id)
  end
end
return out
`;

const WORKER_SHUTDOWN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

type WithWorkerRecords = RedisConnection & {
  celeriacWorkerBeat(live: string, seen: string, seenAt: string, stopped: string, id: string, json: string, ttlMs: number, sentAt: number, cutoff: number): Promise<number>;
  celeriacWorkerStop(live: string, seenAt: string, stopped: string, id: string, now: number): Promise<number>;
  celeriacWorkersSeen(seen: string, seenAt: string, stopped: string, cutoff: number, livePrefix: string): Promise<Array<string | number>>;
  celeriacWorkerShutdown(live: string, channel: string, request: string): Promise<number>;
};

export function defineWorkerCommands(redis: RedisConnection): WithWorkerRecords {
  if (!("celeriacWorkerBeat" in redis)) {
    redis.defineCommand("celeriacWorkerBeat", { numberOfKeys: 4, lua: WORKER_BEAT });
    redis.defineCommand("celeriacWorkerStop", { numberOfKeys: 3, lua: WORKER_STOP });
    redis.defineCommand("celeriacWorkersSeen", { numberOfKeys: 3, lua: WORKERS_SEEN });
    redis.defineCommand("celeriacWorkerShutdown", { numberOfKeys: 1, lua: WORKER_SHUTDOWN });
  }
  return redis as WithWorkerRecords;
}

/**
 * Where a kept worker stands: stopped if it said so; online while its live key exists and its last beat is
 * younger than its TTL (the key is checked too: this reader's clock may run behind the worker's); else offline.
 */
function workerState(heartbeat: WorkerHeartbeat, stopped: boolean, live: boolean, now: number): WorkerState {
  if (stopped) return "stopped";
  return live && now - heartbeat.sentAt < HEARTBEAT_TTL_INTERVALS * heartbeat.intervalMs ? "online" : "offline";
}

/** SEEN's flat reply → the workers, by hostname then start (as heartbeats() sorts them). */
export function parseWorkersSeen(flat: ReadonlyArray<string | number>, now: number): SeenWorker[] {
  const seen: SeenWorker[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const heartbeat = JSON.parse(String(flat[i])) as WorkerHeartbeat;
    seen.push({ heartbeat, state: workerState(heartbeat, flat[i + 1] !== "", Number(flat[i + 2]) === 1, now) });
  }
  return seen.sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname) || a.heartbeat.startedAt - b.heartbeat.startedAt);
}
