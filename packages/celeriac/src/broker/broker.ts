/**
 * The broker's ports, one interface per part its callers use together (Oban's Engine, Notifier and Peer):
 *
 *   TaskTransport     transport, probe, publish, close           dispatch, transactions, the outbox relay, start-up
 *   WorkerChannel     consume, sendHeartbeat, removeHeartbeat,   a running worker
 *                     oldLayoutQueues
 *   TaskControl       revoke, isRevoked, reserveRate,            AsyncResult.revoke(); each message a worker runs;
 *                     shutdownWorker                             control shutdown
 *   ResultEvents      announce, onAnnounce                       the result store; AsyncResult.get() waiting
 *   Leases            holdLease, releaseLease, leaseHolder       beat's leader lease; inspect beat, the admin
 *   BrokerInspection  heartbeats, workersSeen, queueNames,       inspect, purge, control pause/resume, the dashboard
 *                     queueCounts, scheduled, purge,
 *                     pauseQueue, resumeQueue
 *
 * `Broker` is all of them: what an app holds (broker/slot.ts) and what bullmq.ts (Redis, production)
 * implements. An eager app (Celery's task_always_eager) composes eager.ts (transport, control, events) with
 * the ports it cannot serve, which refuse in one place (compose.ts). Only the app's composition picks.
 */
import type { HandlerResult, Outcome, StateChange, TaskMessage } from "../message.js";
import type { QueueCounts, ScheduledJob, SeenWorker, WorkerHeartbeat } from "./inspection.js";

export interface LeaseInfo {
  holder: string;
  term: number;
  ttlMs: number;
}

export interface PublishOptions {
  /** Wait this long before the message becomes available to workers (countdown / eta). */
  delayMs: number;
  /** BullMQ priority: 1 is the most urgent. */
  priority?: number;
}

/**
 * Runs one message and says how it ended; the broker acts on it: SUCCESS/REVOKED ack the job, FAILURE fails
 * it for good, RETRY runs it again after countdownMs (one more retry), DEFERRED runs it again after delayMs
 * (not counted as a retry: a rate limit said "not now").
 */
export type MessageHandler = (message: TaskMessage) => Promise<HandlerResult>;

export interface ConsumeOptions {
  queues: readonly string[];
  /** Messages handled at once, per queue. */
  concurrency: number;
  /** Worker name, for the broker's own bookkeeping. */
  hostname: string;
  /** The worker's heartbeat id: a shutdown request (TaskControl.shutdownWorker) names it. */
  workerId: string;
  /** Called when the connection to the broker fails; the consumer keeps trying on its own. */
  onError?: (error: Error) => void;
  /** Called when some client asked to terminate a task (revoke with terminate): stop it if it runs here. */
  onTerminate?: (taskId: string) => void;
  /** Called when some client asked this worker (`workerId`) to shut down: stop as a SIGTERM would. */
  onShutdown?: () => void;
}

export interface Consumer {
  /** Stops taking messages, waits up to `graceMs` for running ones, then lets go of the rest (they are redelivered). */
  close(graceMs: number): Promise<{ drained: boolean }>;
}

/** How task messages leave: what every sender needs (dispatch, transactions, the outbox relay, start-up). */
export interface TaskTransport {
  /** Where messages go, for banners and logs (credentials removed). */
  readonly transport: string;
  /**
   * Connects once, without retrying, and resolves when the broker answers; rejects with the connection's
   * own error (its `code`, e.g. ECONNREFUSED) otherwise. The worker and beat wait on it at start.
   */
  probe(): Promise<void>;
  /** Enqueues a message. A broker that runs messages inline resolves with the outcome. */
  publish(message: TaskMessage, options: PublishOptions): Promise<Outcome | undefined>;
  /** Closes every connection this broker opened. */
  close(): Promise<void>;
}

/** A queue whose jobs sit in Redis under celeriac 0.2's key layout, which a per-queue broker does not read. */
export interface OldLayoutQueue {
  queue: string;
  /** Its jobs there: waiting, prioritized, delayed, active and failed. */
  jobs: number;
}

/** The broker as a running worker sees it: the messages of its queues, and its heartbeat record. */
export interface WorkerChannel {
  /** Starts handling messages from the given queues. */
  consume(handler: MessageHandler, options: ConsumeOptions): Promise<Consumer>;
  /**
   * Stores a worker's heartbeat in place of its last one; it is live for `ttlMs` unless sent again, and
   * kept for workersSeen() an hour after.
   */
  sendHeartbeat(heartbeat: WorkerHeartbeat, ttlMs: number): Promise<void>;
  /** Removes a worker's live heartbeat at once (the worker stopped cleanly): workersSeen() says stopped. */
  removeHeartbeat(workerId: string): Promise<void>;
  /**
   * Those of `queues` that still hold jobs under a key layout this broker does not read (celeriac 0.2's, until
   * `celeriac migrate-redis-keys` moves them), so a worker can say at start why its jobs do not run; []
   * when there are none, or when the broker reads that layout itself.
   */
  oldLayoutQueues(queues: readonly string[]): Promise<OldLayoutQueue[]>;
}

/** What every worker shares about tasks: the revoked ids and the rate limits' slots. */
export interface TaskControl {
  /**
   * Marks a task id revoked for every worker (for a day) and tells the running workers at once (Celery
   * broadcasts revokes the same way); with `terminate`, workers running it stop it.
   */
  revoke(taskId: string, terminate: boolean): Promise<void>;
  /**
   * True when the task id was revoked. A consuming broker answers from memory: its revoked ids are loaded
   * when it starts consuming and kept current by the revoke broadcasts, so a task costs no round trip.
   */
  isRevoked(taskId: string): boolean | Promise<boolean>;
  /**
   * Takes a slot of a rate limit ("10/s") shared by every consumer of this broker: resolves 0 to run now,
   * or the ms until the slot it reserved.
   */
  reserveRate(task: string, rate: string): Promise<number>;
  /**
   * Asks the live worker with this heartbeat id to shut down warm (Celery's `control shutdown`): it takes no
   * new message, finishes its running ones within its grace period and removes its heartbeat. Resolves
   * false, and asks nothing, when no live worker has that id. Does not wait for the worker to stop.
   */
  shutdownWorker(workerId: string): Promise<boolean>;
}

/** Result state changes, from the process that wrote them to those waiting on them (Oban's Notifier). */
export interface ResultEvents {
  /** Publishes result state changes (written already) to whoever listens; best effort, never rejects. */
  announce(changes: readonly StateChange[]): void;
  /** Calls `listener` with every announced change until the returned function is called; resolves once listening. */
  onAnnounce(listener: (changes: readonly StateChange[]) => void): Promise<() => void>;
}

/** Named leases with a holder and a term, so one of several processes leads (Oban's Peer): beat's. */
export interface Leases {
  /**
   * Takes the lease `name` for `holder`, or renews it if `holder` has it, for `ttlMs`: resolves its term
   * (a number that grows each time the lease changes hands) while `holder` has it, null while another does.
   */
  holdLease(name: string, holder: string, ttlMs: number): Promise<number | null>;
  /** Gives up the lease at once if `holder` has it, so another can take it without waiting for it to lapse. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who has the lease now, its term, and how long it lasts unless renewed; null when nobody has it. */
  leaseHolder(name: string): Promise<LeaseInfo | null>;
}

/** What `inspect`, `purge` and `control` read and do: the workers' heartbeats and the queues. */
export interface BrokerInspection {
  /** The heartbeats of the workers alive now. */
  heartbeats(): Promise<WorkerHeartbeat[]>;
  /**
   * Every worker whose last heartbeat was sent within the last hour, live or not, with its last heartbeat
   * and where it stands (a dead worker is offline HEARTBEAT_TTL_INTERVALS intervals after its last beat).
   */
  workersSeen(): Promise<SeenWorker[]>;
  /** Every queue the broker keeps state for, sorted. */
  queueNames(): Promise<string[]>;
  /** A queue's jobs by state. */
  queueCounts(queue: string): Promise<QueueCounts>;
  /** A queue's delayed jobs, soonest first: at most `limit` of them, and how many there are in all. */
  scheduled(queue: string, limit: number): Promise<{ total: number; jobs: ScheduledJob[] }>;
  /** Deletes a queue's waiting and delayed jobs, never running ones; resolves how many went. */
  purge(queue: string): Promise<number>;
  /** Pauses a queue for every worker (BullMQ's pause): they take no new job from it; running ones finish. */
  pauseQueue(queue: string): Promise<void>;
  /** Lets the workers take a paused queue's jobs again. */
  resumeQueue(queue: string): Promise<void>;
}

/** Every port: what an app holds and a full broker (BullMQ) implements. */
export type Broker = TaskTransport & WorkerChannel & TaskControl & ResultEvents & Leases & BrokerInspection;
