/**
 * The production broker: one BullMQ queue per celeriac queue, over ioredis.
 *
 * Wire format: job name = task name, job id = task id, job data = { args, sentAt, expires?, owner? }; a task's
 * retry count is BullMQ's attemptsMade (each RETRY is one failed attempt, retried with celeriac's delay).
 * Keys (redisKeyLayout "per-queue"): a queue's BullMQ keys start with `{keyPrefix:queue}`, the app-wide ones
 * (revocations, heartbeats, leases, rate limits, the control and results channels) with `{keyPrefix}`. A
 * hash tag is what a Redis Cluster places by: BullMQ's Lua scripts touch one queue's keys at a time, and
 * celeriac's touch app-wide keys only, so each runs within one slot, and the queues spread over the masters.
 * Layout "one-slot" puts every key under `{keyPrefix}` (celeriac 0.2). The prefix keeps apps and test runs
 * sharing a Redis apart either way.
 * Results live in the result store, so finished jobs are removed at once; failed ones are kept a while
 * for inspection.
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import { BrokerUnavailableError } from "../errors.js";
import type { Cluster, Redis } from "ioredis";
import { createRedisConnection, globEscape, isCluster, scanKeys, type RedisConnection } from "./redis-connection.js";
import { defineLeaseCommands, parseLeaseValue } from "./lease.js";
import { ReplicaWait } from "./replica-wait.js";
import { defineRateLimitCommand, emissionIntervalMs } from "./rate-limit.js";
import { defineWorkerCommands, parseWorkersSeen, WORKER_RETENTION_MS } from "./worker-records.js";
import { queueNameSchema } from "../config.js";
import type { Outcome, StateChange, TaskMessage } from "../message.js";
import { redactUrl } from "../url.js";
import type { RedisKeyLayout } from "../config.js";
import { oldLayoutQueues } from "./key-migration.js";
import { queueKeyPrefix } from "./key-layout.js";
import type { Broker, ConsumeOptions, Consumer, LeaseInfo, MessageHandler, OldLayoutQueue, PublishOptions } from "./broker.js";
import type { QueueCounts, ScheduledJob, SeenWorker, WorkerHeartbeat } from "./inspection.js";

interface JobData extends Pick<TaskMessage, "parentId" | "rootId" | "groupId" | "workflow"> {
  args: unknown[];
  sentAt: number;
  expires?: number;
  rateReserved?: boolean;
  owner?: string;
}

const REVOKED_KEPT_MS = 24 * 3600 * 1000;
/** How long a send waits for a Redis connection that is (re)connecting before it gives up. */
const READY_TIMEOUT_MS = 3000;
/** probe(): how long one connection attempt may take. */
const PROBE_TIMEOUT_MS = 2000;

const FAILED_JOBS_KEPT = { age: 7 * 24 * 3600, count: 10_000 };
/** BullMQ stops retrying at `attempts`; celeriac decides when a task is done retrying (maxRetries), so this is only a ceiling. */
const ATTEMPTS_CEILING = 1_000_000;
const BACKOFF_TYPE = "celeriac";
/**
 * purge removes jobs whose timestamp is at most now minus this grace: a negative one takes every job,
 * even one stamped by a producer whose clock runs ahead of this machine's.
 */
const PURGE_GRACE_MS = -7 * 24 * 3600 * 1000;
/** BullMQ's delayed-set score is the due time × 0x1000 plus a counter that keeps FIFO order within a ms. */
const DELAYED_SCORE_FACTOR = 0x1000;

/** The BullMQ job options of every task message (exported for the bench's raw BullMQ baseline). */
export function jobOptions(taskId: string, options: PublishOptions) {
  return {
    jobId: taskId,
    delay: options.delayMs > 0 ? options.delayMs : undefined,
    priority: options.priority,
    attempts: ATTEMPTS_CEILING,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: true,
    removeOnFail: FAILED_JOBS_KEPT,
  };
}

/** A run that asked to go again: BullMQ's retry machinery waits `delayMs` (see backoffStrategy below). */
class RetryLater extends Error {
  override name = "RetryLater";
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export interface BullmqBrokerOptions {
  redisUrl: string;
  keyPrefix: string;
  /** @defaultValue "per-queue" */
  keyLayout?: RedisKeyLayout;
  /** Replicas every send waits for (Redis WAIT), and for how long; 0 does not wait. */
  waitReplicas?: number;
  waitTimeoutMs?: number;
  /** BullMQ lockDuration: a dead worker's jobs are redelivered after this, ms. */
  lockMs: number;
}

export class BullmqBroker implements Broker {
  readonly transport: string;
  private readonly prefix: string;
  private producerConnection: RedisConnection | undefined;
  /** redisWaitReplicas: the sends' own connection (see sender()). */
  private sendConnection: RedisConnection | undefined;
  private readonly becomingReady = new WeakMap<RedisConnection, Promise<RedisConnection>>();
  private readonly queues = new Map<string, Queue<JobData>>();
  private readonly consumerConnections = new Set<RedisConnection>();
  /** On a Cluster: the slot of each queue's keys, to send WAIT to the master that took the send. */
  private readonly queueSlots = new Map<string, number>();
  /** redisWaitReplicas: the WAITs of each connection sends go through (the producer's; a Cluster's masters'). */
  private readonly replicaWaits = new WeakMap<Redis, ReplicaWait>();
  /** Revoked ids → until when they stay revoked; live while a consumer listens to the control channel. */
  private revokedIds: Map<string, number> | undefined;
  private resultListeners = new Set<(changes: readonly StateChange[]) => void>();
  private resultSubscriber: Promise<RedisConnection> | undefined;

  constructor(private readonly options: BullmqBrokerOptions) {
    this.transport = redactUrl(options.redisUrl);
    this.prefix = `{${options.keyPrefix}}`;
  }

  /** BullMQ needs `maxRetriesPerRequest: null` so commands wait out a reconnect instead of failing. */
  private connect(): RedisConnection {
    return createRedisConnection(this.options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  }

  /** The hash tag a queue's BullMQ keys start with (BullMQ's `prefix`; it appends `:<queue>:…`). */
  queuePrefix(queue: string): string {
    return queueKeyPrefix(this.options.keyPrefix, queue, this.options.keyLayout);
  }

  /**
   * The producer side (`.delay()`, revoke, rate limits, heartbeats) fails fast while Redis is unreachable
   * instead of queueing commands until it is back: a route handler answers with an error rather than
   * hanging, and a send it gave up on can never happen later behind its back. ioredis keeps reconnecting.
   */
  private producer(): RedisConnection {
    return (this.producerConnection ??= this.connectFailingFast());
  }

  /**
   * The connection sends and the producer-side Queues use: the producer's, or with redisWaitReplicas one of
   * their own, because a WAIT holds its connection until the replicas answer (up to redisWaitTimeoutMs): on the
   * producer's it would hold up every heartbeat, lease renewal, rate-limit reservation and result announcement
   * sent meanwhile, and each WAIT would also wait for their writes.
   */
  private sender(): RedisConnection {
    if (!this.options.waitReplicas) return this.producer();
    return (this.sendConnection ??= this.connectFailingFast());
  }

  private connectFailingFast(): RedisConnection {
    const redis = createRedisConnection(this.options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false });
    // Reconnection attempts are reported by the commands that fail meanwhile; don't print each one.
    redis.on("error", () => undefined);
    return redis;
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(":");
  }

  /**
   * The producer connection (or `redis`, the sender's) once it is ready; every producer-side command goes
   * through here (the connection does not queue commands). While Redis is unreachable this throws after a
   * few seconds without having sent anything, so a send reported as failed can never happen later.
   */
  private async ready(redis = this.producer()): Promise<RedisConnection> {
    if (redis.status === "ready") return redis;
    // One wait shared by every caller, not one "ready" listener each.
    let becoming = this.becomingReady.get(redis);
    if (!becoming) {
      becoming = new Promise<RedisConnection>((resolve, reject) => {
        const timer = setTimeout(() => {
          redis.off("ready", onReady);
          reject(new BrokerUnavailableError(`Redis at ${this.transport} did not answer within ${READY_TIMEOUT_MS} ms; nothing was enqueued`));
        }, READY_TIMEOUT_MS);
        const onReady = () => {
          clearTimeout(timer);
          resolve(redis);
        };
        redis.once("ready", onReady);
      }).finally(() => this.becomingReady.delete(redis));
      this.becomingReady.set(redis, becoming);
    }
    return becoming;
  }

  /**
   * One connection of its own, one attempt, one PING: the connections BullMQ and the producer use retry
   * for ever and report every failed attempt, which is right once running and noise while Redis is simply
   * not there yet. Within the connect timeout, so an address that drops packets fails too.
   */
  async probe(): Promise<void> {
    const redis = createRedisConnection(this.options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: PROBE_TIMEOUT_MS });
    // connect() rejects with "Connection is closed."; the socket's own error (ECONNREFUSED…) says why.
    let cause: Error | undefined;
    redis.on("error", (error: Error) => (cause ??= error));
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      throw cause ?? error;
    } finally {
      redis.disconnect();
    }
  }

  /** The producer-side Queue of a name, created on first use so importing the app opens no connection. */
  queue(name: string): Queue<JobData> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<JobData>(name, { connection: this.sender(), prefix: this.queuePrefix(name) });
      queue.on("error", () => undefined); // connection errors surface through ready() and the failing call
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The producer-side Queue of a name, its connection ready (the connection does not queue commands). */
  private async readyQueue(name: string): Promise<Queue<JobData>> {
    await this.ready(this.sender());
    return this.queue(name);
  }

  async publish(message: TaskMessage, options: PublishOptions): Promise<undefined> {
    const data: JobData = { args: message.args, sentAt: message.sentAt };
    if (message.expires !== undefined) data.expires = message.expires;
    if (message.owner !== undefined) data.owner = message.owner;
    if (message.rootId !== undefined) Object.assign(data, { parentId: message.parentId, rootId: message.rootId, groupId: message.groupId, workflow: message.workflow });
    const redis = await this.ready(this.sender());
    const add = () => this.queue(message.queue).add(message.task, data, jobOptions(message.id, options));
    if (this.options.waitReplicas) await this.addOnReplicas(redis, message.queue, add);
    else await add();
    return undefined;
  }

  /**
   * The send, then WAIT on the connection that made it (on a Cluster, the one to the master of the queue's
   * slot), shared with the sends around it (replica-wait.ts): it answers once that many replicas have every
   * write the connection made so far — a re-send of a job that exists writes too (BullMQ's "duplicated"
   * event), so it covers the first copy. A send they lack could be lost with the master, so it counts as
   * failed: the durable outbox sends it again (the job id makes a second copy a no-op), a plain `.delay()`
   * reports it.
   */
  private async addOnReplicas(redis: RedisConnection, queue: string, add: () => Promise<unknown>): Promise<void> {
    const wanted = this.options.waitReplicas!;
    const timeoutMs = this.options.waitTimeoutMs ?? 1000;
    const node = isCluster(redis) ? await this.masterOf(redis, queue) : redis;
    let wait = this.replicaWaits.get(node);
    if (!wait) this.replicaWaits.set(node, (wait = new ReplicaWait(node, wanted, timeoutMs)));
    const acknowledged = await wait.acknowledged(add);
    if (acknowledged < wanted) {
      throw new BrokerUnavailableError(
        `Redis at ${this.transport}: ${acknowledged} of ${wanted} replicas acknowledged the send within ${timeoutMs} ms, or the connection was re-established meanwhile (redisWaitReplicas); ` +
          "it may not survive a fail-over, so it counts as not sent, though it may still run: send it again with the same taskId, or dispatch durably",
      );
    }
  }

  private async masterOf(cluster: Cluster, queue: string): Promise<Redis> {
    let slot = this.queueSlots.get(queue);
    if (slot === undefined) {
      slot = Number(await cluster.cluster("KEYSLOT", this.queuePrefix(queue)));
      this.queueSlots.set(queue, slot);
    }
    const owner = cluster.slots[slot]?.[0];
    const node = cluster.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (!node) throw new BrokerUnavailableError(`Redis Cluster at ${this.transport}: no master known for slot ${slot} (queue ${queue})`);
    return node;
  }

  async consume(handler: MessageHandler, options: ConsumeOptions): Promise<Consumer> {
    const connection = this.connect();
    this.consumerConnections.add(connection);
    const processor = (job: Job<JobData>, token?: string) => handleJob(job, token);
    const handleJob = async (job: Job<JobData>, token?: string) => {
      const outcome = await handler(toMessage(job));
      switch (outcome.status) {
        case "FAILURE":
          // Recorded already; failing the job keeps it in BullMQ's failed set for inspection, and
          // UnrecoverableError stops BullMQ from retrying behind celeriac's back.
          throw new UnrecoverableError(`${outcome.error.type}: ${outcome.error.message}`);
        case "RETRY":
          throw new RetryLater(`${outcome.error.type}: ${outcome.error.message}`, outcome.countdownMs);
        case "DEFERRED":
          // BullMQ's manual delay: back to the delayed set without counting an attempt; the slot it
          // waits for is reserved already.
          await job.updateData({ ...job.data, rateReserved: true });
          await job.moveToDelayed(Date.now() + outcome.delayMs, token);
          throw new DelayedError();
        default:
          return outcome.status;
      }
    };
    const workers = options.queues.map((queue) => {
      const worker = new Worker<JobData, Outcome["status"]>(queue, processor, {
        connection,
        prefix: this.queuePrefix(queue),
        concurrency: options.concurrency,
        name: options.hostname,
        autorun: false,
        lockDuration: this.options.lockMs,
        // BullMQ moves a job whose lock lapsed back to waiting on its second stalled check after the lapse;
        // checking every half lock time brings a dead worker's jobs back within about 2 × lockMs
        // (the default interval, 30 s, made it ~60 s whatever the lock time).
        stalledInterval: Math.max(500, Math.floor(this.options.lockMs / 2)),
        // A job whose worker died is delivered again (at-least-once) up to this many times before it fails.
        maxStalledCount: 10,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
            error instanceof RetryLater ? error.delayMs : Math.min(60_000, 1000 * 2 ** attemptsMade),
        },
      });
      if (options.onError) worker.on("error", options.onError);
      return worker;
    });
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    const control = await this.subscribeControl(options);
    for (const w of workers) void w.run();
    return {
      close: async (graceMs) => {
        // BullMQ's close() stops fetching at once and waits for the running jobs, without a bound (and a
        // later close(true) only returns that same pending promise). So wait for it up to the grace period
        // and then stop waiting: runs still going go on while this process lives; when it exits, their
        // locks lapse and BullMQ's stalled check hands them to another worker (at-least-once delivery).
        const closing = Promise.all(workers.map((w) => w.close())).finally(() => {
          this.consumerConnections.delete(connection);
          connection.disconnect();
          control.disconnect();
          this.revokedIds = undefined;
        });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, graceMs, false)));
        const drained = await Promise.race([closing.then(() => true), timeout]);
        clearTimeout(timer);
        return { drained };
      },
    };
  }

  /**
   * Workers listen on one channel for revokes and shutdown requests (pub/sub needs a connection of its own).
   * The revoked ids are loaded after subscribing, and again after each reconnect, so a revoke made while the
   * channel was down is still seen: revoke() stores the id before it publishes. A shutdown request made
   * while it was down is lost: shutdownWorker() can be asked again.
   */
  private async subscribeControl(options: ConsumeOptions): Promise<RedisConnection> {
    const subscriber = this.connect();
    // Without a listener ioredis prints each failed reconnect as an "Unhandled error event" with its stack.
    subscriber.on("error", (error: Error) => options.onError?.(error));
    const channel = this.key("control");
    const revoked = (this.revokedIds ??= new Map());
    subscriber.on("message", (from: string, text: string) => {
      if (from !== channel) return;
      const request = JSON.parse(text) as { revoke?: string; until?: number; terminate?: boolean; shutdown?: string };
      if (request.shutdown !== undefined) {
        if (request.shutdown === options.workerId) options.onShutdown?.();
        return;
      }
      if (!request.revoke) return;
      revoked.set(request.revoke, request.until ?? Date.now() + REVOKED_KEPT_MS);
      if (revoked.size % 1000 === 0) dropExpired(revoked, Date.now()); // a worker that runs for weeks keeps a day's worth
      if (request.terminate) options.onTerminate?.(request.revoke);
    });
    const load = async () => {
      const now = Date.now();
      const flat = await (await this.ready()).zrangebyscore(this.key("revoked"), now, "+inf", "WITHSCORES");
      for (let i = 0; i < flat.length; i += 2) revoked.set(flat[i], Number(flat[i + 1]));
      dropExpired(revoked, now);
    };
    await subscriber.subscribe(channel);
    await load();
    subscriber.on("ready", () => void load().catch((error: Error) => options.onError?.(error)));
    return subscriber;
  }

  async reserveRate(task: string, rate: string): Promise<number> {
    return defineRateLimitCommand(await this.ready()).celeriacGcraReserve(this.key("rate", task), emissionIntervalMs(rate));
  }

  /** `{prefix}:revoked` is a sorted set of ids scored by when they stop being revoked; expired ones are trimmed here. */
  async revoke(taskId: string, terminate: boolean): Promise<void> {
    const redis = await this.ready();
    const now = Date.now();
    const until = now + REVOKED_KEPT_MS;
    await redis
      .multi()
      .zadd(this.key("revoked"), until, taskId)
      .zremrangebyscore(this.key("revoked"), "-inf", now)
      .publish(this.key("control"), JSON.stringify({ revoke: taskId, until, terminate }))
      .exec();
  }

  async shutdownWorker(workerId: string): Promise<boolean> {
    const redis = defineWorkerCommands(await this.ready());
    return (await redis.celeriacWorkerShutdown(this.key("worker", workerId), this.key("control"), JSON.stringify({ shutdown: workerId }))) === 1;
  }

  isRevoked(taskId: string): boolean | Promise<boolean> {
    if (this.revokedIds) {
      const until = this.revokedIds.get(taskId);
      return until !== undefined && until > Date.now();
    }
    return this.ready()
      .then((redis) => redis.zscore(this.key("revoked"), taskId))
      .then((score) => score !== null && Number(score) > Date.now());
  }

  /** One PUBLISH per flush on `{prefix}:results`: a JSON array of [id, state, row?]. */
  announce(changes: readonly StateChange[]): void {
    const redis = this.producer();
    if (redis.status !== "ready" || changes.length === 0) return; // readers fall back to polling
    redis.publish(this.key("results"), JSON.stringify(changes)).catch(() => undefined);
  }

  async onAnnounce(listener: (changes: readonly StateChange[]) => void): Promise<() => void> {
    this.resultListeners.add(listener);
    try {
      await (this.resultSubscriber ??= this.subscribeResults());
    } catch (error) {
      this.resultListeners.delete(listener);
      this.resultSubscriber = undefined;
      throw error;
    }
    return () => void this.resultListeners.delete(listener);
  }

  private async subscribeResults(): Promise<RedisConnection> {
    const subscriber = createRedisConnection(this.options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    subscriber.on("error", () => undefined);
    const channel = this.key("results");
    subscriber.on("message", (from: string, text: string) => {
      if (from !== channel || this.resultListeners.size === 0) return;
      const changes = JSON.parse(text) as StateChange[];
      for (const listener of this.resultListeners) listener(changes);
    });
    try {
      await subscriber.connect();
      await subscriber.subscribe(channel);
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return subscriber;
  }

  /**
   * `{prefix}:worker:<id>`, a plain string with a TTL (a worker that dies stops renewing it, and it goes),
   * and the record workersSeen() reads, in one script (worker-records.ts).
   */
  async sendHeartbeat(heartbeat: WorkerHeartbeat, ttlMs: number): Promise<void> {
    const redis = defineWorkerCommands(await this.ready());
    const [seen, seenAt, stopped] = this.seenKeys();
    const ttl = Math.max(1, Math.round(ttlMs));
    await redis.celeriacWorkerBeat(this.key("worker", heartbeat.id), seen, seenAt, stopped, heartbeat.id, JSON.stringify(heartbeat), ttl, heartbeat.sentAt, Date.now() - WORKER_RETENTION_MS);
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    const [, seenAt, stopped] = this.seenKeys();
    await defineWorkerCommands(await this.ready()).celeriacWorkerStop(this.key("worker", workerId), seenAt, stopped, workerId, Date.now());
  }

  /** celeriac 0.2's keys of these queues (key-migration.ts), which a per-queue broker does not read: a few commands per queue, no SCAN. */
  async oldLayoutQueues(queues: readonly string[]): Promise<OldLayoutQueue[]> {
    if (this.options.keyLayout === "one-slot") return [];
    return oldLayoutQueues(await this.ready(), this.options.keyPrefix, queues);
  }

  async workersSeen(): Promise<SeenWorker[]> {
    const now = Date.now();
    const flat = await defineWorkerCommands(await this.ready()).celeriacWorkersSeen(...this.seenKeys(), now - WORKER_RETENTION_MS, `${this.key("worker")}:`);
    return parseWorkersSeen(flat, now);
  }

  /** The workers-seen hash, its sent-at index and the stopped marks (worker-records.ts). */
  private seenKeys(): [string, string, string] {
    return [this.key("workers-seen"), this.key("workers-seen-at"), this.key("workers-stopped")];
  }

  async heartbeats(): Promise<WorkerHeartbeat[]> {
    const redis = await this.ready();
    const keys = await scanKeys(redis, `${globEscape(this.key("worker"))}:*`);
    if (keys.length === 0) return [];
    // One MGET is fine on a Cluster too: the heartbeats share the app-wide hash tag, so one slot.
    const values = await redis.mget(...keys);
    return values
      .flatMap((v) => (v === null ? [] : [JSON.parse(v) as WorkerHeartbeat]))
      .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.startedAt - b.startedAt);
  }

  /** Queues with a BullMQ meta key (`<queuePrefix>:<queue>:meta`): any queue a producer or consumer ever opened. */
  async queueNames(): Promise<string[]> {
    const pattern = this.options.keyLayout === "one-slot" ? `${globEscape(this.prefix)}:*:meta` : `{${globEscape(this.options.keyPrefix)}:*}:*:meta`;
    const keys = await scanKeys(await this.ready(), pattern);
    const names = keys.flatMap((k) => {
      const name = k.slice(k.indexOf("}:") + 2, -":meta".length);
      return queueNameSchema.safeParse(name).success && k.startsWith(`${this.queuePrefix(name)}:`) ? [name] : [];
    });
    return [...new Set(names)].sort();
  }

  async queueCounts(queue: string): Promise<QueueCounts> {
    const q = await this.readyQueue(queue);
    const [c, paused] = await Promise.all([q.getJobCounts("waiting", "prioritized", "active", "delayed", "failed"), q.isPaused()]);
    return { waiting: c.waiting ?? 0, prioritized: c.prioritized ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, paused };
  }

  /** BullMQ's pause: a flag in the queue's meta key that every worker's fetch checks; its jobs stay waiting. */
  async pauseQueue(queue: string): Promise<void> {
    await (await this.readyQueue(queue)).pause();
  }

  async resumeQueue(queue: string): Promise<void> {
    await (await this.readyQueue(queue)).resume();
  }

  /** Read from the delayed sorted set itself: its score is the due time, whatever delayed the job. */
  async scheduled(queue: string, limit: number): Promise<{ total: number; jobs: ScheduledJob[] }> {
    const [redis, q] = await Promise.all([this.ready(), this.readyQueue(queue)]);
    const [total, flat] = await Promise.all([redis.zcard(q.keys.delayed), redis.zrange(q.keys.delayed, 0, String(limit - 1), "WITHSCORES")]);
    const entries = Array.from({ length: flat.length / 2 }, (_, i) => ({ id: flat[2 * i], eta: Math.floor(Number(flat[2 * i + 1]) / DELAYED_SCORE_FACTOR) }));
    const jobs = await Promise.all(entries.map((e) => q.getJob(e.id)));
    // A job may have become due (or been removed) between the two reads: it is simply left out.
    const found = entries.flatMap((e, i) => {
      const job = jobs[i];
      return job ? [{ id: e.id, task: job.name, args: job.data.args, queue, eta: e.eta, retries: job.attemptsMade }] : [];
    });
    return { total, jobs: found };
  }

  /**
   * Delayed first, then prioritized, then waiting: a delayed job that falls due meanwhile moves to one of
   * the later lists and is still caught. Active jobs are never touched (BullMQ's clean skips them).
   */
  async purge(queue: string): Promise<number> {
    const q = await this.readyQueue(queue);
    let removed = 0;
    for (const state of ["delayed", "prioritized", "wait"] as const) removed += (await q.clean(PURGE_GRACE_MS, 0, state)).length;
    return removed;
  }

  /** `{prefix}:lease:<name>` holds "<term>:<holder>"; `{prefix}:lease-term:<name>` counts the terms (lease.ts). */
  async holdLease(name: string, holder: string, ttlMs: number): Promise<number | null> {
    const term = await defineLeaseCommands(await this.ready()).celeriacLeaseHold(this.key("lease", name), this.key("lease-term", name), holder, Math.round(ttlMs));
    return term < 0 ? null : term;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await defineLeaseCommands(await this.ready()).celeriacLeaseRelease(this.key("lease", name), this.key("lease-term", name), holder);
  }

  async leaseHolder(name: string): Promise<LeaseInfo | null> {
    const redis = await this.ready();
    const [value, ttlMs] = await Promise.all([redis.get(this.key("lease", name)), redis.pttl(this.key("lease", name))]);
    return value === null ? null : { ...parseLeaseValue(value), ttlMs: Math.max(0, ttlMs) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    this.producerConnection?.disconnect();
    this.producerConnection = undefined;
    this.sendConnection?.disconnect();
    this.sendConnection = undefined;
    for (const c of this.consumerConnections) c.disconnect();
    this.consumerConnections.clear();
    const subscriber = this.resultSubscriber;
    this.resultSubscriber = undefined;
    this.resultListeners.clear();
    await subscriber?.then((r) => r.disconnect(), () => undefined);
  }
}

function dropExpired(revoked: Map<string, number>, now: number): void {
  for (const [id, until] of revoked) if (until <= now) revoked.delete(id);
}

function toMessage(job: Job<JobData>): TaskMessage {
  return {
    id: job.id!,
    task: job.name,
    args: job.data.args,
    queue: job.queueName,
    sentAt: job.data.sentAt,
    expires: job.data.expires,
    // Each RETRY is one failed attempt in BullMQ; a stalled (redelivered) run is not.
    retries: job.attemptsMade,
    rateReserved: job.data.rateReserved,
    owner: job.data.owner,
    parentId: job.data.parentId,
    rootId: job.data.rootId,
    groupId: job.data.groupId,
    workflow: job.data.workflow,
  };
}
