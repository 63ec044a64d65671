/**
 * Prometheus metrics (prom-client, a Registry of the dashboard's own: an app's global registry and its
 * default metrics are left alone), served at the app's `/api/metrics` to a bearer token only:
 *
 *   celeriac_tasks_total{task,outcome}         counter: tasks that ended (SUCCESS, FAILURE, REVOKED) or failed
 *                                              and will run again (RETRY)
 *   celeriac_task_runtime_seconds{task}        histogram of those runs' runtimes
 *   celeriac_queue_depth{queue,state}          gauge, read at scrape: jobs per queue and state (waiting,
 *                                              prioritized, active, delayed, failed)
 *   celeriac_workers_online                    gauge, read at scrape: workers with a live heartbeat
 *
 * The counter and the histogram are what this process heard on the broker (the result store's
 * announcements) since it began listening, at its first request: like Flower's, each web process counts
 * on its own from zero, so sum them over instances and read them with rate()/increase(), which allow for
 * restarts. The gauges are the same from every process.
 *
 * Answers: 404 when no metricsToken is set (the route does not exist), 401 without the right
 * `Authorization: Bearer <token>` (compared in constant time; the token is never logged or echoed).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Celeriac } from "../app.js";
import { knownQueues } from "../inspect/inspect.js";
import type { Logger } from "../log.js";
import type { TaskRecord } from "../results/backend.js";
import type { TaskState } from "../states.js";
import { onRecords } from "./announcements.js";

/** The states a run ends in (RETRY: it ended and will run again). */
const COUNTED: ReadonlySet<TaskState> = new Set(["SUCCESS", "FAILURE", "REVOKED", "RETRY"]);
const QUEUE_STATES = ["waiting", "prioritized", "active", "delayed", "failed"] as const;
/** Runtime buckets, seconds: from a quick lookup to a ten-minute report. */
const RUNTIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether the Authorization header carries `token` as a bearer token, compared in constant time. */
export function bearerMatches(header: string | null, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  // Digests have one length whatever was sent, so neither the comparison nor its time tells the token's length.
  return timingSafeEqual(digest(match?.[1] ?? ""), digest(token)) && match !== null;
}

export class DashboardMetrics {
  private readonly registry = new Registry();
  private readonly tasks = new Counter({
    name: "celeriac_tasks_total",
    help: "Tasks that ended (SUCCESS, FAILURE, REVOKED) or will run again (RETRY), as announced to this process since it started listening",
    labelNames: ["task", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly runtime = new Histogram({
    name: "celeriac_task_runtime_seconds",
    help: "Runtime of the runs counted in celeriac_tasks_total, in seconds",
    labelNames: ["task"] as const,
    buckets: RUNTIME_BUCKETS,
    registers: [this.registry],
  });
  private listening: Promise<() => void> | undefined;

  constructor(
    private readonly app: Celeriac,
    private readonly log: Logger,
  ) {
    const { broker } = app;
    new Gauge({
      name: "celeriac_queue_depth",
      help: "Jobs per queue and state, read from the broker at scrape",
      labelNames: ["queue", "state"] as const,
      registers: [this.registry],
      async collect() {
        const queues = await knownQueues(broker);
        const counts = await Promise.all(queues.map((queue) => broker.queueCounts(queue)));
        this.reset();
        queues.forEach((queue, i) => {
          for (const state of QUEUE_STATES) this.set({ queue, state }, counts[i][state]);
        });
      },
    });
    new Gauge({
      name: "celeriac_workers_online",
      help: "Workers with a live heartbeat, read from the broker at scrape",
      registers: [this.registry],
      async collect() {
        this.set((await broker.heartbeats()).length);
      },
    });
  }

  /** Starts counting the announcements this process hears (once; later calls do nothing). */
  listen(): void {
    this.listening ??= onRecords(this.app, (records) => this.observe(records), (error) => this.log.warn({ err: error }, "metrics: could not read announced task rows")).catch((error: unknown) => {
      this.log.warn({ err: error }, "metrics: could not listen to the broker's announcements; counting nothing until the next request");
      this.listening = undefined;
      return () => {};
    });
  }

  observe(records: readonly TaskRecord[]): void {
    for (const record of records) {
      if (!COUNTED.has(record.status)) continue;
      this.tasks.inc({ task: record.name, outcome: record.status });
      if (record.runtimeMs !== null) this.runtime.observe({ task: record.name }, record.runtimeMs / 1000);
    }
  }

  /** The text exposition (Prometheus' format), gauges read now. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  async close(): Promise<void> {
    const stop = await this.listening;
    this.listening = undefined;
    stop?.();
  }
}
