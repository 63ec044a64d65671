/**
 * The live feed's hub: one per dashboard, shared by every page connected to this process (one timer, not
 * one per client), running only while at least one is connected.
 *
 *   tasks                       pushed: the result store's announcements, batched (at most one event per
 *                               TASKS_BATCH_MS), the latest row per id
 *   workers, queues, periodic,  polled: computed every POLL_MS, sent only when they changed; a page that
 *   overview                    connects gets the latest of each at once
 *
 * A source that fails (Redis or the database away) is logged, at most once a minute per source, and tried
 * again at the next turn; nothing thrown here reaches the caller or goes unhandled.
 */
import type { Logger } from "../log.js";
import { sseEvent } from "../web/sse.js";
import type { FeedEventName, FeedEvents, TaskRow } from "./api-types.js";

/** How often the polled events are computed. */
export const POLL_MS = 2000;
/** Task rows announced within this long go out as one event. */
export const TASKS_BATCH_MS = 250;
/** A failing source is logged at most this often. */
const REPORT_EVERY_MS = 60_000;

type Polled = Exclude<FeedEventName, "tasks">;

export interface FeedSources {
  /** Each polled event's value now. */
  poll: { [K in Polled]: () => Promise<FeedEvents[K]> };
  /** What makes a value "changed": its JSON, less what changes on its own (the overview's `now`). */
  changeKey?: Partial<{ [K in Polled]: (value: FeedEvents[K]) => unknown }>;
  /** Starts listening to task rows as they change; resolves the function that stops. */
  onTasks(listener: (rows: readonly TaskRow[]) => void): Promise<() => void>;
}

/** A connected page: where its frames go, and how its stream is ended. */
export interface FeedClient {
  send(frame: string): void;
  close(): void;
}

export class FeedHub {
  private readonly clients = new Set<FeedClient>();
  private readonly latest = new Map<Polled, { key: string; frame: string }>();
  private readonly reportedAt = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopTasks: Promise<(() => void) | undefined> | undefined;
  private readonly pending = new Map<string, TaskRow>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;

  constructor(
    private readonly sources: FeedSources,
    private readonly log: Logger,
    private readonly pollMs = POLL_MS,
  ) {}

  /** Sends this client every event from now on (and the latest polled ones at once); returns the unsubscribe. */
  subscribe(client: FeedClient): () => void {
    this.clients.add(client);
    for (const { frame } of this.latest.values()) client.send(frame);
    if (this.clients.size === 1) this.start();
    return () => {
      if (this.clients.delete(client) && this.clients.size === 0) this.stop();
    };
  }

  /** Ends every connected page's stream and stops. */
  close(): void {
    const clients = [...this.clients];
    this.clients.clear();
    this.stop();
    for (const client of clients) client.close();
  }

  private start(): void {
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    void this.poll();
    this.stopTasks = this.sources.onTasks((rows) => this.queueTasks(rows)).catch((error: unknown) => {
      this.report("tasks", error);
      return undefined;
    });
  }

  private stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.flushTimer);
    this.timer = this.flushTimer = undefined;
    this.pending.clear();
    // What was last sent is stale once nobody listens: the next client gets fresh values.
    this.latest.clear();
    void this.stopTasks?.then((stop) => stop?.());
    this.stopTasks = undefined;
  }

  private broadcast(frame: string): void {
    for (const client of this.clients) client.send(frame);
  }

  private queueTasks(rows: readonly TaskRow[]): void {
    if (this.clients.size === 0) return;
    for (const row of rows) this.pending.set(row.id, row);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const batch = [...this.pending.values()];
      this.pending.clear();
      if (batch.length > 0) this.broadcast(sseEvent({ event: "tasks", data: JSON.stringify(batch) }));
    }, TASKS_BATCH_MS);
  }

  /** One turn: every polled source at once; a turn still running when the next is due is not doubled. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const names = Object.keys(this.sources.poll) as Polled[];
      await Promise.all(names.map((name) => this.pollOne(name)));
    } finally {
      this.polling = false;
    }
  }

  private async pollOne<K extends Polled>(name: K): Promise<void> {
    let value: FeedEvents[K];
    try {
      value = await this.sources.poll[name]();
    } catch (error) {
      this.report(name, error);
      return;
    }
    if (this.clients.size === 0) return;
    const keyOf = this.sources.changeKey?.[name];
    const key = JSON.stringify(keyOf ? keyOf(value) : value);
    if (this.latest.get(name)?.key === key) return;
    const frame = sseEvent({ event: name, data: JSON.stringify(value) });
    this.latest.set(name, { key, frame });
    this.broadcast(frame);
  }

  private report(source: string, error: unknown): void {
    const now = Date.now();
    if (now - (this.reportedAt.get(source) ?? -Infinity) < REPORT_EVERY_MS) return;
    this.reportedAt.set(source, now);
    this.log.warn({ err: error, source }, "dashboard feed: could not compute an event; trying again at the next turn");
  }
}
