/**
 * The human output of `npm run celeriac -- inspect …`, `purge` and `control`, laid out like Celery's: one
 * `-> celeriac@host: OK` block per worker (or `-> queue <name>` per queue), tables inside, and a closing
 * `N nodes online.` line. Pure: each function takes the replies and returns the text.
 */
import type { ActiveReply, BeatReply, PurgeReply, RegisteredReply, ScheduledReply, ShutdownReply, Stats } from "./inspect.js";

const INDENT = "    ";
const EMPTY = `${INDENT}- empty -`;

/** Left-aligned columns, two spaces apart; a header row first. Numbers are right-aligned. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const numeric = rows[0].map((_, c) => rows.slice(1).length > 0 && rows.slice(1).every((r) => /^-?\d+$/.test(r[c])));
  return rows.map((r) =>
    (INDENT + r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ")).trimEnd(),
  );
}

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function nodesOnline(n: number): string {
  return `${n} ${n === 1 ? "node" : "nodes"} online.`;
}

function json(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function renderActive(replies: readonly ActiveReply[], now: number = Date.now()): string {
  const lines = replies.flatMap((r) => [
    `-> ${r.worker}: OK`,
    ...(r.tasks.length === 0
      ? [EMPTY]
      : table([["id", "task", "started", "running for"], ...r.tasks.map((t) => [t.id, t.task, t.startedAt.toISOString(), duration(now - t.startedAt.getTime())])])),
  ]);
  return [...lines, "", nodesOnline(replies.length)].join("\n");
}

export function renderRegistered(replies: readonly RegisteredReply[]): string {
  const lines = replies.flatMap((r) => [`-> ${r.worker}: OK`, ...(r.tasks.length === 0 ? [EMPTY] : r.tasks.map((t) => `${INDENT}* ${t}`))]);
  return [...lines, "", nodesOnline(replies.length)].join("\n");
}

export function renderScheduled(replies: readonly ScheduledReply[]): string {
  if (replies.length === 0) return "no queues yet: nothing was ever sent, and no worker is running.";
  const lines = replies.flatMap((r) => [
    `-> queue ${r.queue}: ${r.total} scheduled`,
    ...(r.tasks.length === 0
      ? [EMPTY]
      : table([["eta", "id", "task", "args", "retries"], ...r.tasks.map((t) => [t.eta.toISOString(), t.id, t.task, json(t.args), String(t.retries)])])),
    ...(r.total > r.tasks.length ? [`${INDENT}... and ${r.total - r.tasks.length} more`] : []),
  ]);
  return lines.join("\n");
}

export function renderStats(stats: Stats): string {
  const workers = stats.workers.flatMap((w) => {
    const c = w.counts;
    return [
      `-> ${w.worker}: OK`,
      `${INDENT}id:           ${w.id}`,
      `${INDENT}pid:          ${w.pid}`,
      `${INDENT}uptime:       ${duration(w.uptimeS * 1000)} (since ${w.startedAt.toISOString()})`,
      `${INDENT}concurrency:  ${w.concurrency} per queue (${w.pool} pool)`,
      `${INDENT}queues:       ${w.queues.join(", ")}`,
      `${INDENT}running now:  ${w.active}`,
      `${INDENT}processed:    ${c.processed} (succeeded ${c.succeeded}, failed ${c.failed}, retried ${c.retried}, revoked ${c.revoked})`,
      ...Object.entries(w.total)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([task, n]) => `${INDENT}  ${task}: ${n}`),
    ];
  });
  const queues =
    stats.queues.length === 0
      ? ["queues: none yet"]
      : [
          "queues:",
          ...table([
            ["queue", "waiting", "prioritized", "active", "delayed", "failed", "paused"],
            ...stats.queues.map((q) => [...[q.queue, q.waiting, q.prioritized, q.active, q.delayed, q.failed].map(String), q.paused ? "yes" : "no"]),
          ]),
        ];
  return [...workers, ...(workers.length ? [""] : []), ...queues, "", nodesOnline(stats.workers.length)].join("\n");
}

export function renderPurge(reply: PurgeReply): string {
  const detail = reply.queues.map((q) => `${INDENT}${q.queue}: ${q.purged}`);
  const queues = `${reply.queues.length} ${reply.queues.length === 1 ? "queue" : "queues"}`;
  return [`Purged ${reply.total} ${reply.total === 1 ? "task" : "tasks"} from ${queues}.`, ...detail].join("\n");
}

export function renderShutdown(asked: readonly ShutdownReply[]): string {
  const lines = asked.map((w) => `-> ${w.worker}: OK, warm shutdown requested (${w.id})`);
  return [...lines, "", "Each takes no new task, finishes its running ones (within its shutdownGraceMs), then exits."].join("\n");
}

export function renderQueueControl(reply: { queue: string; paused: boolean }): string {
  return reply.paused
    ? `-> queue ${reply.queue}: paused; workers take no new task from it (running ones finish), the rest wait until: celeriac control resume ${reply.queue}`
    : `-> queue ${reply.queue}: resumed; workers take its tasks again`;
}

export function renderBeat(reply: BeatReply): string {
  const { leader } = reply;
  const head = leader ? `-> beat ${leader.holder}: leader (term ${leader.term}, lease renewed, ${duration(leader.ttlMs)} left)` : "-> no beat running (nobody holds the lease)";
  const at = (d: Date | null) => d?.toISOString() ?? "-";
  const rows = reply.tasks.map((t) => [t.name, t.task, t.schedule, t.enabled ? "yes" : "no", t.source, at(t.lastRunAt), at(t.nextRunAt), String(t.totalRunCount)]);
  return [head, ...(rows.length === 0 ? [EMPTY] : table([["name", "task", "schedule", "enabled", "source", "last run", "next run", "runs"], ...rows]))].join("\n");
}
