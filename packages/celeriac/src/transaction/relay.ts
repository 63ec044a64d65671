/**
 * The outbox relay, run inside every worker: sends TaskOutbox rows that the fast path did not (the
 * process died between commit and enqueue, or Redis refused), and prunes sent rows. The row id is the
 * BullMQ job id, so a row sent twice while its job exists is still one job; a row whose task a worker has
 * already recorded is only marked sent.
 */
import type { TaskTransport } from "../broker/broker.js";
import type { Logger } from "../log.js";
import type { SchemaMonitor } from "../results/schema-monitor.js";
import { MIN_RELAY_GRACE_MS, RELAY_GRACE_MS, type OutboxStore } from "./outbox.js";
import { fromOutboxRow } from "./outbox-row.js";

export interface RelayOptions {
  outbox: OutboxStore;
  broker: TaskTransport;
  log: Logger;
  /** A missing TaskOutbox or TaskResult table is reported by it, once a minute, instead of at every pass. */
  schema?: Pick<SchemaMonitor, "report">;
  /** How often the relay looks, ms. @defaultValue 1000 */
  intervalMs?: number;
  /** Rows younger than this are left to the fast path, ms; at least MIN_RELAY_GRACE_MS (3000). @defaultValue RELAY_GRACE_MS (5000) */
  graceMs?: number;
  /** A claim older than this is considered dead and taken over, ms. @defaultValue 30000 */
  leaseMs?: number;
  /** Sent rows are deleted after this long, ms. @defaultValue 3600000 */
  retentionMs?: number;
  /** Rows claimed per look. @defaultValue 100 */
  batchSize?: number;
}

export interface Relay {
  /** One pass: claims, sends and marks due rows; returns how many were sent. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export function startRelay(options: RelayOptions, { autostart = true } = {}): Relay {
  const { outbox, broker, log, schema, intervalMs = 1000, leaseMs = 30_000, retentionMs = 3_600_000, batchSize = 100 } = options;
  // The fast path sends young rows without a claim: a relay taking them too would send them twice.
  const graceMs = Math.max(MIN_RELAY_GRACE_MS, options.graceMs ?? RELAY_GRACE_MS);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let lastPrune = 0;

  async function tick(): Promise<number> {
    const now = new Date();
    const rows = await outbox.claimBatch(now, {
      olderThan: new Date(now.getTime() - graceMs),
      leaseExpired: new Date(now.getTime() - leaseMs),
      limit: batchSize,
    });
    let sent = 0;
    for (const row of rows) {
      try {
        if (!(await outbox.taken(row.id))) {
          const { message, publish } = fromOutboxRow(row, Date.now());
          await broker.publish(message, publish);
          sent++;
        }
        await outbox.markDispatched(row.id, new Date());
      } catch (error) {
        if (!schema?.report(error)) log.warn({ err: error, taskId: row.id }, "outbox relay could not send a task; it will retry");
        await outbox.release(row.id, String(error));
      }
    }
    if (sent) log.info({ sent }, "outbox relay sent tasks the fast path did not");
    if (now.getTime() - lastPrune > 60_000) {
      lastPrune = now.getTime();
      await outbox.prune(new Date(now.getTime() - retentionMs));
    }
    return sent;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((error: unknown) => {
          if (!schema?.report(error)) log.error({ err: error }, "outbox relay pass failed; retrying");
        })
        .finally(schedule);
    }, intervalMs);
  }
  if (autostart) schedule();

  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
