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
 * A key goes by DUMP, RESTORE under its new name with the TTL it has left, and DEL: RENAME cannot cross
 * Cluster slots and the two names are in different ones. No value names a key (celeriac sends no BullMQ
 * flows, whose jobs keep their parent's key), so the values move as they are.
 *
 * A web process of the old version may still be sending (it writes a job's hash and pushes its id in one
 * script), and a push between a list's DUMP and its DEL would be lost. So a queue moves in passes: each
 * first RENAMEs the keys an old producer pushes to (STAGED_KEYS) to a staging name in the same slot, atomic,
 * so a later push makes a fresh old key instead; then it moves the job hashes, the `meta` (a paused queue is
 * paused before its jobs appear), and the staged keys last, so a worker of the new layout never sees an id
 * whose job is not there yet. Passes go on until one finds nothing new (at most MAX_PASSES: a producer that
 * never stops is reported), and the old `meta` goes last, in a script that checks no job came meanwhile,
 * since a run finds a queue by it.
 *
 * Safe to run again: what moved is gone from the old place. A key whose new name is taken already (a run cut
 * off between its RESTORE and its DEL, or jobs that upgraded processes sent meanwhile) is merged when its type
 * allows it without losing an entry of either (lists, sets, sorted sets, hashes, BullMQ's counters; the new
 * events stream and stalled-check mark are kept), and otherwise left in both places and reported, unless
 * `force`: then the old value replaces the new one. An id goes into the new lists only while its job's hash
 * is there (or still at its old name): new workers may have run and removed a job an interrupted run copied.
 */
import type { QueueCounts } from "./inspection.js";
import type { OldLayoutQueue } from "./broker.js";
import { globEscape, scanKeys, type RedisConnection } from "./redis-connection.js";
import { queueNameSchema } from "../config.js";
import { queueKeyPrefix } from "./key-layout.js";

/**
 * The app-wide key families under `{prefix}` (bullmq.ts's key() calls). A 0.2 queue of one of these names
 * has its keys mixed with them (`{prefix}:rate:<task>` is a rate limit, `{prefix}:rate:<jobId>` a job), so
 * it is never moved: it is reported instead.
 */
export const APP_WIDE_KEY_FAMILIES = ["control", "revoked", "rate", "worker", "workers-seen", "workers-seen-at", "workers-stopped", "lease", "lease-term", "results"] as const;

/** A queue's keys that hold job ids: an id goes to their new name only with its job (see moveStaged). */
const ID_KEYS = ["wait", "paused", "prioritized", "delayed", "active", "stalled", "waiting-children", "failed", "completed"];

/**
 * The keys a producer of the old version writes besides the new job's own: renamed to a staging name at the
 * start of each pass and moved after the job hashes, in this order (`marker`, what wakes a worker, last).
 */
const STAGED_KEYS = [...ID_KEYS, "id", "marker"];

/** What a staged key's name gets: `{p}:q:wait` → `{p}:q:wait:migrating`, in the same slot. */
const STAGING_SUFFIX = ":migrating";

/** Keys moved at once (one command each, in flight together on the connection). */
const BATCH = 200;

/** Passes over a queue (see the module's comment); one finding nothing new ends the move. */
const MAX_PASSES = 20;

/** A 0.2 queue's keys start with this and a colon. */
export function oldQueuePrefix(keyPrefix: string, queue: string): string {
  return `${queueKeyPrefix(keyPrefix, queue, "one-slot")}:${queue}`;
}

/** The per-queue layout's name for a queue's keys: bullmq.ts's queuePrefix(), then BullMQ's `:<queue>`. */
export function newQueuePrefix(keyPrefix: string, queue: string): string {
  return `${queueKeyPrefix(keyPrefix, queue)}:${queue}`;
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

/**
 * A 0.2 key's part in a pass: `meta`; a staged key (`wait:migrating`) with the STAGED_KEYS name it has;
 * one of STAGED_KEYS still at its own name (its staging name was taken: it waits for the next pass); or
 * the rest, job data (hashes, their logs and locks, the events stream, …).
 */
export type KeyRole = { role: "meta" } | { role: "staged"; suffix: string } | { role: "unstaged"; suffix: string } | { role: "data" };

export function roleOf(keyPrefix: string, queue: string, oldKey: string): KeyRole {
  const suffix = suffixOf(keyPrefix, queue, oldKey);
  if (suffix === "meta") return { role: "meta" };
  if (STAGED_KEYS.includes(suffix)) return { role: "unstaged", suffix };
  const unstaged = suffix.endsWith(STAGING_SUFFIX) ? suffix.slice(0, -STAGING_SUFFIX.length) : undefined;
  if (unstaged !== undefined && STAGED_KEYS.includes(unstaged)) return { role: "staged", suffix: unstaged };
  return { role: "data" };
}

/** A 0.2 key under the name it gets: its per-queue name, a staged key's without the staging suffix. */
export function targetName(keyPrefix: string, queue: string, oldKey: string): string {
  const role = roleOf(keyPrefix, queue, oldKey);
  return newKeyName(keyPrefix, queue, role.role === "staged" ? oldKey.slice(0, -STAGING_SUFFIX.length) : oldKey);
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

/**
 * Those of `queues` (a worker's) that hold jobs under the 0.2 layout: an EXISTS of each one's meta, counts
 * of those that have one; no SCAN, which on a big Redis would take a while at every worker's start.
 */
export async function oldLayoutQueues(redis: RedisConnection, keyPrefix: string, queues: readonly string[]): Promise<OldLayoutQueue[]> {
  const found = await Promise.all(
    [...new Set(queues)].sort().map(async (queue) => {
      if ((await redis.exists(`${oldQueuePrefix(keyPrefix, queue)}:meta`)) === 0) return { queue, jobs: 0 };
      return { queue, jobs: jobsIn(await countOldLayoutJobs(redis, keyPrefix, queue)) };
    }),
  );
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
  /** Every pass found new keys under the old layout: a process of the old version is still sending to the queue. */
  stillWritten: boolean;
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
    queues.map(async (queue) => ({ queue, jobs: await countOldLayoutJobs(redis, keyPrefix, queue), keys: 0, moved: 0, inBoth: 0, left: [], stillWritten: false })),
  );
  const refusals = queues.length === 0 || force ? [] : await refusalsOf(redis, keyPrefix, moves);
  for (const move of moves) {
    if (dryRun || refusals.length > 0) {
      const keys = await scanKeys(redis, `${globEscape(oldQueuePrefix(keyPrefix, move.queue))}:*`);
      move.keys = keys.length;
      const taken = await Promise.all(keys.map((key) => redis.exists(targetName(keyPrefix, move.queue, key))));
      move.inBoth = taken.filter((n) => n === 1).length;
      continue;
    }
    await moveQueue(redis, keyPrefix, move, force);
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

/** Deletes the old meta (KEYS[1]) unless one of the other keys exists: a job sent since the last pass. */
const DELETE_META_IF_QUIET = `for i = 2, #KEYS do if redis.call("EXISTS", KEYS[i]) == 1 then return -1 end end
return redis.call("DEL", KEYS[1])`;

/** Moves one queue in passes (see the module's comment), counting into `move` each key name once. */
async function moveQueue(redis: RedisConnection, keyPrefix: string, move: QueueMove, force: boolean): Promise<void> {
  const old = (suffix: string) => `${oldQueuePrefix(keyPrefix, move.queue)}:${suffix}`;
  const meta = old("meta");
  const seen = new Set<string>();
  const moved = new Set<string>();
  const inBoth = new Set<string>();
  const left = new Set<string>();
  // A staged key counts under the name it had.
  const nameOf = (key: string) => (roleOf(keyPrefix, move.queue, key).role === "staged" ? key.slice(0, -STAGING_SUFFIX.length) : key);
  const tally = (key: string, outcome: KeyOutcome) => {
    const name = nameOf(key);
    // A key an old producer wrote again after this run moved it merges into this run's copy: not in both.
    if ((outcome === "merged" && !moved.has(name)) || outcome === "left") inBoth.add(name);
    if (outcome === "copied" || outcome === "merged") moved.add(name);
    if (outcome === "left") left.add(key);
  };
  const hasJob = async (id: string) => (await redis.exists(`${newQueuePrefix(keyPrefix, move.queue)}:${id}`)) === 1 || (await redis.exists(old(id))) === 1;
  let metaOutcome: KeyOutcome = "gone";
  let settled = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    // An old producer's push after this lands in a fresh key, moved by the next pass. A staging name taken
    // (a run cut off) keeps the key where it is until that staged one has moved.
    for (const suffix of STAGED_KEYS) await redis.renamenx(old(suffix), old(suffix) + STAGING_SUFFIX).catch(ignoreNoSuchKey);
    const keys = await scanKeys(redis, `${globEscape(oldQueuePrefix(keyPrefix, move.queue))}:*`);
    for (const key of keys) seen.add(nameOf(key));
    const roles = keys.map((key) => ({ key, ...roleOf(keyPrefix, move.queue, key) }));
    if (keys.includes(meta)) {
      // Copied again each pass (an old producer may have changed it); its first outcome says whether the new layout had one.
      const outcome = await copyKey(redis, meta, newKeyName(keyPrefix, move.queue, meta), "meta", force);
      if (metaOutcome === "gone" || outcome === "left") metaOutcome = outcome;
    }
    const stuck = (key: string, role: KeyRole) => left.has(key) || (role.role === "unstaged" && left.has(key + STAGING_SUFFIX));
    if (roles.every(({ key, ...role }) => role.role === "meta" || stuck(key, role))) {
      // Nothing new. The meta stays with a key left behind; otherwise it goes, unless a job came since the scan.
      if (left.size === 0 && metaOutcome !== "gone") {
        if (metaOutcome !== "left" && (await redis.eval(DELETE_META_IF_QUIET, 1 + STAGED_KEYS.length * 2, meta, ...STAGED_KEYS.flatMap((s) => [old(s), old(s) + STAGING_SUFFIX]))) === -1) continue;
        tally(meta, metaOutcome);
      }
      settled = true;
      break;
    }
    const data = roles.filter((r) => r.role === "data").map((r) => r.key);
    for (let at = 0; at < data.length; at += BATCH) {
      await Promise.all(
        data.slice(at, at + BATCH).map(async (key) => {
          const outcome = await copyKey(redis, key, newKeyName(keyPrefix, move.queue, key), suffixOf(keyPrefix, move.queue, key), force);
          if (outcome === "copied" || outcome === "merged") await redis.del(key);
          tally(key, outcome);
        }),
      );
    }
    for (const suffix of STAGED_KEYS) {
      const key = old(suffix) + STAGING_SUFFIX;
      if (!keys.includes(key) || left.has(key)) continue;
      const to = newKeyName(keyPrefix, move.queue, old(suffix));
      const outcome = ID_KEYS.includes(suffix) ? await moveIds(redis, key, to, hasJob, force) : await copyKey(redis, key, to, suffix, force);
      if (outcome === "copied" || outcome === "merged") await redis.del(key);
      tally(key, outcome);
    }
  }
  move.keys = seen.size;
  move.moved = moved.size;
  move.inBoth = inBoth.size;
  move.left = [...left];
  move.stillWritten = !settled;
}

/** RENAMENX of a key that is not there: nothing to stage. */
function ignoreNoSuchKey(error: Error): void {
  if (!error.message.includes("no such key")) throw error;
}

/**
 * Puts the ids of a staged list or (sorted) set whose job is there into `to`, merged with what `to` has
 * (see mergeMembers), keeping `from`: the caller deletes it. An id whose job hash is gone from both names
 * belongs to a job new workers ran and removed (a copy an interrupted run made): it would wait forever.
 */
async function moveIds(redis: RedisConnection, from: string, to: string, hasJob: (id: string) => Promise<boolean>, force: boolean): Promise<KeyOutcome> {
  const [type, typeThere] = await Promise.all([redis.type(from), redis.type(to)]);
  if (type === "none") return "gone";
  const keep = async (ids: string[]) => {
    const kept: string[] = [];
    for (let at = 0; at < ids.length; at += 1000) {
      const chunk = ids.slice(at, at + 1000);
      const there = await Promise.all(chunk.map(hasJob));
      kept.push(...chunk.filter((_, i) => there[i]));
    }
    return kept;
  };
  if ((typeThere === "none" || typeThere === type) && (await mergeMembers(redis, type, from, to, keep))) return typeThere === "none" ? "copied" : "merged";
  if (!force) return "left";
  await redis.restore(to, 0, await redis.dumpBuffer(from), "REPLACE");
  return "merged";
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
 * allow it.
 */
async function mergeKey(redis: RedisConnection, from: string, to: string, suffix: string, payload: Buffer): Promise<boolean> {
  const existing = (await redis.dumpBuffer(to)) as Buffer | null;
  if (existing?.equals(payload)) return true; // the copy an interrupted run made
  const [type, typeThere] = await Promise.all([redis.type(from), redis.type(to)]);
  if (type !== typeThere) return false;
  switch (type) {
    case "list":
    case "zset":
    case "set":
      return mergeMembers(redis, type, from, to, async (members) => members);
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

/**
 * Adds the members of list, sorted set or set `from` that `keep` keeps to `to` (which may not exist yet);
 * false for another type. A list's missing entries go to its right end in their order, which BullMQ takes
 * from first: the old jobs waited longer (BullMQ's own resume merges its paused list into wait the same
 * way); a sorted set's keep their scores, unless `to` has them already.
 */
async function mergeMembers(redis: RedisConnection, type: string, from: string, to: string, keep: (members: string[]) => Promise<string[]>): Promise<boolean> {
  switch (type) {
    case "list": {
      const there = new Set(await redis.lrange(to, 0, -1));
      const missing = await keep((await redis.lrange(from, 0, -1)).filter((id) => !there.has(id)));
      for (let at = 0; at < missing.length; at += 1000) await redis.rpush(to, ...missing.slice(at, at + 1000));
      return true;
    }
    case "zset": {
      const flat = await redis.zrange(from, 0, "-1", "WITHSCORES");
      const scores = new Map(flat.flatMap((_, i) => (i % 2 === 0 ? [[flat[i]!, flat[i + 1]!] as const] : [])));
      const members = await keep([...scores.keys()]);
      for (let at = 0; at < members.length; at += 1000) await redis.zadd(to, "NX", ...members.slice(at, at + 1000).flatMap((m) => [scores.get(m)!, m]));
      return true;
    }
    case "set": {
      const members = await keep(await redis.smembers(from));
      for (let at = 0; at < members.length; at += 1000) await redis.sadd(to, ...members.slice(at, at + 1000));
      return true;
    }
    default:
      return false;
  }
}
