/**
 * Moving an app's queues from celeriac 0.2's Redis key layout to the per-queue one (bullmq.ts), for an app
 * upgraded with jobs still in Redis (`celeriac migrate-redis-keys`), and finding such queues (the worker's
 * warning at start):
 *
 *   one-slot (0.2)   {prefix}:<queue>:wait, {prefix}:<queue>:<jobId>, …   every key in the slot of {prefix}
 *   per-queue        {prefix:queue}:<queue>:wait, …                        each queue in a slot of its own
 *
 * The app-wide keys ({prefix}:worker:*, :rate:*, :lease:*, …) keep their names in both layouts.
 *
 * Each key goes by DUMP, RESTORE under its new name with the TTL it has left, and DEL, one command per key:
 * RENAME cannot cross Cluster slots and the two names are in different ones. No value names a key (celeriac
 * sends no BullMQ flows, whose jobs keep their parent's key), so the values move as they are. A queue's job
 * hashes move before the lists that point at them and its `marker` (what wakes a worker) last, so a worker
 * of the new layout never sees an id whose job is not there yet; the old `meta` key goes once nothing else
 * of the queue is left there, since a run finds a queue by it.
 *
 * Safe to run again: what moved is gone from the old place. A key whose new name is taken already (a run cut
 * off between its RESTORE and its DEL, or jobs that upgraded processes sent meanwhile) is merged when its type
 * allows it without losing an entry of either (lists, sets, sorted sets, hashes, BullMQ's counters; the new
 * events stream and stalled-check mark are kept), and otherwise left in both places and reported, unless
 * `force`: then the old value replaces the new one.
 */
import type { QueueCounts } from "./inspection.js";
import type { OldLayoutQueue } from "./broker.js";
import { globEscape, scanKeys, type RedisConnection } from "./redis-connection.js";
import { queueNameSchema } from "../config.js";

/**
 * The app-wide key families under `{prefix}` (bullmq.ts's key() calls). A 0.2 queue of one of these names
 * has its keys mixed with them (`{prefix}:rate:<task>` is a rate limit, `{prefix}:rate:<jobId>` a job), so
 * it is never moved: it is reported instead.
 */
export const APP_WIDE_KEY_FAMILIES = ["control", "revoked", "rate", "worker", "workers-seen", "workers-seen-at", "workers-stopped", "lease", "lease-term", "results"] as const;

/**
 * The keys that point at job ids, moved after the rest in this order: `meta` first (a paused queue is paused
 * before its jobs appear; its old copy is deleted last, see moveQueue), `marker` last. Every other key of a
 * queue (job hashes, their logs and locks, counters, the events stream) moves before them.
 */
const INDEX_KEYS = ["meta", "wait", "paused", "prioritized", "delayed", "active", "stalled", "waiting-children", "failed", "completed", "marker"];

/** Keys moved at once (one command each, in flight together on the connection). */
const BATCH = 200;

/** A 0.2 queue's keys start with this and a colon. */
export function oldQueuePrefix(keyPrefix: string, queue: string): string {
  return `{${keyPrefix}}:${queue}`;
}

/** The per-queue layout's name for a queue's keys: bullmq.ts's queuePrefix(), then BullMQ's `:<queue>`. */
export function newQueuePrefix(keyPrefix: string, queue: string): string {
  return `{${keyPrefix}:${queue}}:${queue}`;
}

/** A 0.2 key of a queue under its per-queue name: `{p}:q:wait` → `{p:q}:q:wait`. */
export function newKeyName(keyPrefix: string, queue: string, oldKey: string): string {
  const from = `${oldQueuePrefix(keyPrefix, queue)}:`;
  if (!oldKey.startsWith(from)) throw new Error(`${oldKey} is not a key of queue ${queue} under {${keyPrefix}}`);
  return `${newQueuePrefix(keyPrefix, queue)}:${oldKey.slice(from.length)}`;
}

/** The queue a 0.2 meta key (`{p}:<queue>:meta`) belongs to; undefined for a key that is no queue's meta. */
export function queueOfOldMetaKey(keyPrefix: string, key: string): string | undefined {
  const head = `{${keyPrefix}}:`;
  if (!key.startsWith(head) || !key.endsWith(":meta")) return undefined;
  const name = key.slice(head.length, -":meta".length);
  return queueNameSchema.safeParse(name).success ? name : undefined;
}

/** What follows a queue's name in its key: `wait`, `<jobId>`, `<jobId>:lock`, … */
function suffixOf(keyPrefix: string, queue: string, oldKey: string): string {
  return oldKey.slice(oldQueuePrefix(keyPrefix, queue).length + 1);
}

/** When a queue's key moves: 0 with the job data, then the index keys in INDEX_KEYS order. */
export function moveRank(keyPrefix: string, queue: string, oldKey: string): number {
  return INDEX_KEYS.indexOf(suffixOf(keyPrefix, queue, oldKey)) + 1;
}

export interface OldLayoutScan {
  /** Queues with keys under the 0.2 layout, sorted. */
  queues: string[];
  /** 0.2 queues named like an app-wide key family: never moved. */
  collisions: string[];
}

/** The 0.2 queues under a prefix: one SCAN for their meta keys. */
export async function findOldLayoutQueues(redis: RedisConnection, keyPrefix: string): Promise<OldLayoutScan> {
  const keys = await scanKeys(redis, `${globEscape(`{${keyPrefix}}`)}:*:meta`);
  const queues = new Set<string>();
  const collisions = new Set<string>();
  for (const key of keys) {
    const queue = queueOfOldMetaKey(keyPrefix, key);
    if (queue === undefined) continue;
    if (!(APP_WIDE_KEY_FAMILIES as readonly string[]).includes(queue)) queues.add(queue);
    // BullMQ's meta is a hash; `{p}:rate:meta` as a string is the rate limit of a task named "meta".
    else if ((await redis.type(key)) === "hash") collisions.add(queue);
  }
  return { queues: [...queues].sort(), collisions: [...collisions].sort() };
}

/** A 0.2 queue's jobs by state, read from its keys (waiting counts BullMQ's legacy paused list too). */
export async function countOldLayoutJobs(redis: RedisConnection, keyPrefix: string, queue: string): Promise<QueueCounts> {
  const key = (suffix: string) => `${oldQueuePrefix(keyPrefix, queue)}:${suffix}`;
  const [wait, paused, prioritized, active, delayed, failed, isPaused] = await Promise.all([
    redis.llen(key("wait")),
    redis.llen(key("paused")),
    redis.zcard(key("prioritized")),
    redis.llen(key("active")),
    redis.zcard(key("delayed")),
    redis.zcard(key("failed")),
    redis.hexists(key("meta"), "paused"),
  ]);
  return { waiting: wait + paused, prioritized, active, delayed, failed, paused: isPaused === 1 };
}

/** A queue's jobs in every state counted. */
export function jobsIn(counts: QueueCounts): number {
  return counts.waiting + counts.prioritized + counts.active + counts.delayed + counts.failed;
}

/** The 0.2 queues that hold jobs (collisions included: their jobs are stranded too). */
export async function oldLayoutQueues(redis: RedisConnection, keyPrefix: string): Promise<OldLayoutQueue[]> {
  const { queues, collisions } = await findOldLayoutQueues(redis, keyPrefix);
  const found = await Promise.all([...queues, ...collisions].sort().map(async (queue) => ({ queue, jobs: jobsIn(await countOldLayoutJobs(redis, keyPrefix, queue)) })));
  return found.filter((q) => q.jobs > 0);
}

export interface QueueMove {
  queue: string;
  /** Its jobs by state, read from the old keys before anything moved. */
  jobs: QueueCounts;
  /** Its keys under the old layout. */
  keys: number;
  /** Keys gone from the old layout, their values under the new names (a dry run: 0). */
  moved: number;
  /** Keys whose new name was taken already (merged, replaced, or left): a dry run counts them too. */
  inBoth: number;
  /** Keys left in both layouts: their values differ and cannot be merged (without `force`). */
  left: string[];
}

export interface Migration {
  keyPrefix: string;
  dryRun: boolean;
  /** Why nothing was moved (a live worker, active jobs); empty when the move went ahead (or would). */
  refusals: string[];
  /** The 0.2 queues that can move, with what moved. */
  queues: QueueMove[];
  /** 0.2 queues named like an app-wide key family: not moved (see APP_WIDE_KEY_FAMILIES). */
  collisions: string[];
  elapsedMs: number;
}

export interface MigrationOptions {
  /** Count and report, move nothing. */
  dryRun?: boolean;
  /** Move even while workers are alive or a queue has active jobs, and let old values replace new ones that cannot be merged. */
  force?: boolean;
}

/** Moves every 0.2 queue under `keyPrefix` to the per-queue layout (see the module's comment). */
export async function migrateRedisKeys(redis: RedisConnection, keyPrefix: string, options: MigrationOptions = {}): Promise<Migration> {
  const started = Date.now();
  const { dryRun = false, force = false } = options;
  const { queues, collisions } = await findOldLayoutQueues(redis, keyPrefix);
  const moves: QueueMove[] = await Promise.all(
    queues.map(async (queue) => ({ queue, jobs: await countOldLayoutJobs(redis, keyPrefix, queue), keys: 0, moved: 0, inBoth: 0, left: [] })),
  );
  const refusals = queues.length === 0 || force ? [] : await refusalsOf(redis, keyPrefix, moves);
  for (const move of moves) {
    const keys = await scanKeys(redis, `${globEscape(oldQueuePrefix(keyPrefix, move.queue))}:*`);
    move.keys = keys.length;
    if (dryRun || refusals.length > 0) {
      const taken = await Promise.all(keys.map((key) => redis.exists(newKeyName(keyPrefix, move.queue, key))));
      move.inBoth = taken.filter((n) => n === 1).length;
      continue;
    }
    await moveQueue(redis, keyPrefix, move, keys, force);
  }
  return { keyPrefix, dryRun, refusals, queues: moves, collisions, elapsedMs: Date.now() - started };
}

/** What stops a move (without `force`): a live worker of the app, a 0.2 queue with active jobs. */
async function refusalsOf(redis: RedisConnection, keyPrefix: string, moves: readonly QueueMove[]): Promise<string[]> {
  const refusals: string[] = [];
  const workers = await liveWorkers(redis, keyPrefix);
  if (workers.length > 0) {
    refusals.push(
      `${workers.length} ${workers.length === 1 ? "worker" : "workers"} of this app ${workers.length === 1 ? "is" : "are"} alive (${workers.join(", ")}): ` +
        "one of the old version would go on writing the old keys. Stop every worker first (a killed one counts as alive until its heartbeat lapses, a few seconds)",
    );
  }
  for (const { queue, jobs } of moves) {
    if (jobs.active === 0) continue;
    refusals.push(
      `queue ${queue} has ${jobs.active} active ${jobs.active === 1 ? "job" : "jobs"} under the old layout: a worker of the old version is running them, or died doing so. ` +
        "Let it finish (stop it warm); if it is dead, --force moves them and a new worker runs them again once their locks lapse",
    );
  }
  return refusals;
}

/** The live heartbeats under the prefix (`{p}:worker:<id>`), by hostname and pid. */
async function liveWorkers(redis: RedisConnection, keyPrefix: string): Promise<string[]> {
  const keys = await scanKeys(redis, `${globEscape(`{${keyPrefix}}`)}:worker:*`);
  const values = await Promise.all(keys.map((key) => redis.get(key)));
  return values.flatMap((value, i) => {
    if (value === null) return [];
    try {
      const beat = JSON.parse(value) as { hostname?: unknown; pid?: unknown };
      return [`${String(beat.hostname)} pid ${String(beat.pid)}`];
    } catch {
      return [keys[i]!];
    }
  });
}

async function moveQueue(redis: RedisConnection, keyPrefix: string, move: QueueMove, keys: readonly string[], force: boolean): Promise<void> {
  const meta = `${oldQueuePrefix(keyPrefix, move.queue)}:meta`;
  let metaCopied: KeyOutcome = "gone";
  const byRank = new Map<number, string[]>();
  for (const key of keys) {
    const rank = moveRank(keyPrefix, move.queue, key);
    byRank.set(rank, [...(byRank.get(rank) ?? []), key]);
  }
  const tally = (key: string, outcome: KeyOutcome) => {
    if (outcome === "copied" || outcome === "merged") move.moved++;
    if (outcome === "merged" || outcome === "left") move.inBoth++;
    if (outcome === "left") move.left.push(key);
  };
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    const group = byRank.get(rank)!;
    for (let at = 0; at < group.length; at += BATCH) {
      await Promise.all(
        group.slice(at, at + BATCH).map(async (key) => {
          const outcome = await copyKey(redis, key, newKeyName(keyPrefix, move.queue, key), suffixOf(keyPrefix, move.queue, key), force);
          if (key === meta) return void (metaCopied = outcome);
          if (outcome === "copied" || outcome === "merged") await redis.del(key);
          tally(key, outcome);
        }),
      );
    }
  }
  // The meta key is what a run finds the queue by: it goes last, once nothing of the queue is left behind.
  if (move.left.length > 0 || metaCopied === "gone") return;
  if (metaCopied !== "left") await redis.del(meta);
  tally(meta, metaCopied);
}

/** copied: restored under the new name; merged: into a key there already (or the same copy found); left: both kept; gone: expired meanwhile. */
type KeyOutcome = "copied" | "merged" | "left" | "gone";

/** Puts `from`'s value at `to` (see the module's comment), keeping `from`: the caller deletes it. */
async function copyKey(redis: RedisConnection, from: string, to: string, suffix: string, force: boolean): Promise<KeyOutcome> {
  const [ttl, payload] = await Promise.all([redis.pttl(from), redis.dumpBuffer(from)]);
  // PTTL: -1 no expiry (RESTORE's 0), -2 gone; 0 is expiring now.
  if ((payload as Buffer | null) === null || ttl === -2 || ttl === 0) return "gone";
  const restoreTtl = ttl === -1 ? 0 : ttl;
  try {
    await redis.restore(to, restoreTtl, payload);
    return "copied";
  } catch (error) {
    if (!(error as Error).message.startsWith("BUSYKEY")) throw error;
  }
  if (!(await mergeKey(redis, from, to, suffix, payload))) {
    if (!force) return "left";
    await redis.restore(to, restoreTtl, payload, "REPLACE");
  }
  return "merged";
}

/**
 * Merges `from` into the existing `to` without losing an entry of either; false when their types do not
 * allow it. A list's missing entries go to its right end, which BullMQ takes from first: the old jobs waited
 * longer (BullMQ's own resume merges its paused list into wait the same way).
 */
async function mergeKey(redis: RedisConnection, from: string, to: string, suffix: string, payload: Buffer): Promise<boolean> {
  const existing = (await redis.dumpBuffer(to)) as Buffer | null;
  if (existing?.equals(payload)) return true; // the copy an interrupted run made
  const [type, typeThere] = await Promise.all([redis.type(from), redis.type(to)]);
  if (type !== typeThere) return false;
  switch (type) {
    case "list": {
      const there = new Set(await redis.lrange(to, 0, -1));
      const missing = (await redis.lrange(from, 0, -1)).filter((id) => !there.has(id));
      for (let at = 0; at < missing.length; at += 1000) await redis.rpush(to, ...missing.slice(at, at + 1000));
      return true;
    }
    case "zset": {
      const flat = await redis.zrange(from, 0, "-1", "WITHSCORES");
      for (let at = 0; at < flat.length; at += 2000) {
        const pairs = flat.slice(at, at + 2000);
        const scoreMembers = pairs.flatMap((_, i) => (i % 2 === 0 ? [pairs[i + 1]!, pairs[i]!] : []));
        await redis.zadd(to, "NX", ...scoreMembers);
      }
      return true;
    }
    case "set": {
      const members = await redis.smembers(from);
      if (members.length > 0) await redis.sadd(to, ...members);
      return true;
    }
    case "hash": {
      const fields = await redis.hgetall(from);
      await Promise.all(Object.entries(fields).map(([field, value]) => redis.hsetnx(to, field, value)));
      return true;
    }
    case "string": {
      // It only spaces out the stalled-jobs check: the new one is kept.
      if (suffix === "stalled-check") return true;
      // BullMQ's job-id and priority counters only ever grow: the larger one serves both layouts' jobs.
      if (suffix !== "id" && suffix !== "pc") return false;
      const [old, current] = await Promise.all([redis.get(from), redis.get(to)]);
      if (Number(old) > Number(current)) await redis.set(to, old!);
      return true;
    }
    case "stream":
      // The events stream notifies listeners (celeriac has none); no job depends on it: the new one is kept.
      return suffix === "events";
    default:
      return false;
  }
}
