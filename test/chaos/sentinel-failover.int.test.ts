/**
 * Chaos: a Redis Sentinel fail-over in the middle of 2,000 tasks. A Sentinel set (master, replica, three
 * sentinels: packages/celeriac/test/redis-servers.ts) behind a `redis+sentinel://` URL; two real worker
 * processes (test/fixtures/chaos-worker.ts, running the outbox relay as `celeriac worker` does); this process
 * sends the tasks, faster than the workers run them, so a backlog waits in Redis. In the middle the replica
 * stops applying what it receives (CLIENT PAUSE WRITE: replication lag) and the master is SIGKILLed a second
 * later; the sentinels promote the replica, and the old master comes back empty, as its replica, 6 s after. The producer
 * keeps sending throughout, trying a failed send again with the same task id, as a route handler's client
 * would. Twice, with the same scenario:
 *
 *   1. default settings (`.applyAsync()`): the sends acknowledged during the lag live only on the master
 *      that died — those not run yet are lost;
 *   2. `redisWaitReplicas: 1` and durable dispatch (`transaction({ durable: true })` + `applyAsyncOnCommit`):
 *      a send the replica did not acknowledge counts as failed, stays in the outbox, and the relay sends it
 *      again — refused too until the new master has a replica, then taken; nothing is lost.
 *
 * Counted, not guessed: "acknowledged" is every task id whose send resolved (run 1) or whose transaction
 * committed (run 2); "ran" is the fixture's run log, kept in the tests' own Redis (not the one failing over),
 * one entry per run; "completed" is a SUCCESS row in the result store (the database, untouched by the
 * fail-over). Lost = acknowledged and never ran once everything has settled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHarness, type Harness } from "@/test/harness";
import { REDIS_URL } from "@/test/redis";
import { startRedisSentinelSet, type RedisSentinelSet } from "../../packages/celeriac/test/redis-servers";
import { readRunLog, sleep, startChaosWorker, waitFor, type ChaosWorker, type RunEntry } from "./helpers";

const TASKS = 2000;
/** The producer's pace; the workers run fewer a second, so a backlog builds up. */
const SENDS_PER_S = 400;
const IN_FLIGHT = 32;
const WORKERS = 2;
const CONCURRENCY = 4;
const TASK_MS = 30;
const LOCK_MS = 2000;
/** Acknowledged sends before the replica stops applying the master's stream. */
const PAUSE_AT = 700;
const PAUSE_MS = 2000;
/** The master dies this long into the pause: what was acknowledged meanwhile is on no other server. */
const KILL_AFTER_MS = 1000;
/**
 * The old master comes back (empty, as the new master's replica) this long after the promotion. Meanwhile the set has
 * no replica: with redisWaitReplicas every send is refused, the relay's included, past its 5 s grace.
 */
const REJOIN_AFTER_MS = 6000;
const RETRY_SEND_MS = 200;
/** Nothing waiting, running or unsent, and no new run for this long: whatever has not run by now never will. */
const SETTLED_MS = 4000;

interface Scenario {
  label: string;
  waitReplicas: 0 | 1;
  durable: boolean;
}

interface Outcome {
  scenario: Scenario;
  acknowledged: number;
  completed: number;
  lost: string[];
  lostInPause: number;
  ackedInPause: number;
  ranTwice: string[];
  maxRuns: number;
  /** Run 2: rows the relay took (claimed at least once), those it sent (no worker had taken the task), and those of them that ran twice. */
  claimed: number;
  /** The most claims one row took: a send the relay could not make is released and taken again. */
  maxAttempts: number;
  relayed: number;
  /** Relay sends of a job that was in Redis already: the no-op re-sends, whose tasks must not run twice either. */
  relayedExisting: number;
  relayedRanTwice: string[];
  sendFailures: number;
  /** When things happened, counted from the first send. */
  timeline: string;
  failoverMs: number;
  sendMs: number;
  slowestSendMs: number;
}

const sets: RedisSentinelSet[] = [];
const harnesses: Harness[] = [];
const workers: ChaosWorker[] = [];
const outcomes: Outcome[] = [];

const defineRecord = (app: Harness["app"]) => app.task({ name: "chaos.record", args: z.tuple([z.number()]), run: (_ctx, n) => n });

beforeAll(async () => {
  // One set per run, started together: run 2 must not inherit run 1's promoted master.
  const started = await Promise.allSettled([startRedisSentinelSet(), startRedisSentinelSet()]);
  for (const s of started) if (s.status === "fulfilled") sets.push(s.value);
  for (const s of started) if (s.status === "rejected") throw s.reason;
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill("SIGKILL")));
  for (const h of harnesses) await h.close().catch(() => undefined);
  await Promise.all(sets.map((set) => set.stop()));
  if (outcomes.length) console.log(table(outcomes));
}, 60_000);

async function runScenario(scenario: Scenario, set: RedisSentinelSet): Promise<Outcome> {
  const h = createHarness(`sentinel-${scenario.label}`, { redisUrl: set.url, redisWaitReplicas: scenario.waitReplicas });
  harnesses.push(h);
  const record = defineRecord(h.app);
  const queue = h.keyPrefix.replace(/[^a-z0-9-]/g, "");
  const idOf = (n: number) => `${queue}-${n}`;
  const own = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) =>
      startChaosWorker({
        databaseUrl: h.databaseUrl,
        keyPrefix: h.keyPrefix,
        redisUrl: set.url,
        runLogUrl: REDIS_URL,
        queues: [queue],
        concurrency: CONCURRENCY,
        taskMs: TASK_MS,
        lockMs: LOCK_MS,
        hostname: `celeriac@sentinel-${scenario.label}-${i + 1}`,
        waitReplicas: scenario.waitReplicas,
        relay: true,
      }),
    ),
  );
  workers.push(...own);

  const send = scenario.durable
    ? (n: number) => h.app.transaction(async () => void record.applyAsyncOnCommit([n], { queue, taskId: idOf(n) }), { durable: true })
    : (n: number) => record.applyAsync([n], { queue, taskId: idOf(n) }).then(() => undefined);
  const acked = new Map<string, number>();
  let sendFailures = 0;
  /** From a send's first attempt to its acknowledgement, retries included. */
  let slowestSendMs = 0;
  let lastSendError = "";
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    for (let n = next++; n < TASKS; n = next++) {
      const due = started + (n * 1000) / SENDS_PER_S;
      if (due > Date.now()) await sleep(due - Date.now());
      const first = Date.now();
      for (let attempt = 1; ; attempt++) {
        try {
          await send(n);
          break;
        } catch (error) {
          sendFailures++;
          lastSendError = (error as Error).message;
          if (attempt * RETRY_SEND_MS > 30_000) throw new Error(`task ${n} could not be sent for 30 s: ${lastSendError}`);
          await sleep(RETRY_SEND_MS);
        }
      }
      acked.set(idOf(n), Date.now());
      slowestSendMs = Math.max(slowestSendMs, Date.now() - first);
    }
  };

  const times = { pausedAt: 0, killedAt: 0, promotedAt: 0, rejoinedAt: 0 };
  const failOver = async () => {
    await waitFor(() => acked.size >= PAUSE_AT, `${PAUSE_AT} sends`, 30_000, 5);
    // Stamped before asking: the lag begins when the replica takes the command, before this call returns.
    times.pausedAt = Date.now();
    await set.pauseReplica(PAUSE_MS);
    await sleep(KILL_AFTER_MS);
    const old = await set.killMaster("SIGKILL");
    times.killedAt = Date.now();
    await set.waitForFailover(20_000);
    times.promotedAt = Date.now();
    await sleep(REJOIN_AFTER_MS);
    await set.restartAsReplica(old);
    times.rejoinedAt = Date.now();
  };
  await Promise.all([...Array.from({ length: IN_FLIGHT }, lane), failOver()]);

  // Settled: every acknowledged task ran, or nothing is left anywhere that could still run.
  let lastRuns = -1;
  let quietSince = Date.now();
  await waitFor(
    async () => {
      const runs = await readRunLog(REDIS_URL, h.keyPrefix);
      const ran = new Set(runs.map((r) => r.id));
      if ([...acked.keys()].every((id) => ran.has(id))) return true;
      if (runs.length !== lastRuns) {
        lastRuns = runs.length;
        quietSince = Date.now();
        return false;
      }
      const c = await h.app.broker.queueCounts(queue);
      const unsent = await h.db.taskOutbox.count({ where: { queue, dispatchedAt: null } });
      return c.waiting + c.prioritized + c.active + c.delayed === 0 && unsent === 0 && Date.now() - quietSince > SETTLED_MS;
    },
    `the ${scenario.label} run to settle`,
    45_000,
    250,
  );

  const runs = await readRunLog(REDIS_URL, h.keyPrefix);
  const perId = new Map<string, RunEntry[]>();
  for (const run of runs) perId.set(run.id, [...(perId.get(run.id) ?? []), run]);
  const ids = [...acked.keys()];
  const rows = await h.db.taskResult.findMany({ where: { id: { in: ids } }, select: { id: true, status: true } });
  const succeeded = new Set(rows.filter((r) => r.status === "SUCCESS").map((r) => r.id));
  const lost = ids.filter((id) => !perId.has(id));
  const inPause = (id: string) => acked.get(id)! >= times.pausedAt && acked.get(id)! <= times.killedAt;
  const ranTwice = [...perId].filter(([, list]) => list.length >= 2).map(([id]) => id);
  const claims = scenario.durable ? await h.db.taskOutbox.aggregate({ where: { queue, attempts: { gt: 0 } }, _count: true, _max: { attempts: true } }) : undefined;
  const relayed = await readRunLog(REDIS_URL, h.keyPrefix, "relayed");
  const relayedExisting = await readRunLog(REDIS_URL, h.keyPrefix, "relayed-existing");
  const at = (ms: number) => `${((ms - started) / 1000).toFixed(1)} s`;
  const relayedRanTwice = relayed.filter((r) => perId.get(r.id)!.length >= 2);
  for (const r of relayedRanTwice) {
    console.log(`[chaos sentinel] relayed at ${at(r.at)} and ran twice: ${r.id}, acknowledged ${at(acked.get(r.id)!)}, ran ${perId.get(r.id)!.map((run) => `${at(run.at)} on ${run.host}`).join(", ")}`);
  }

  // The checks every run must pass, whatever the settings.
  const strangers = [...perId.keys()].filter((id) => !acked.has(id));
  expect(strangers, "runs of task ids never acknowledged to the producer (every failed send was retried with its id)").toEqual([]);
  expect(ids.filter((id) => perId.has(id) && !succeeded.has(id)), "tasks that ran but have no SUCCESS row").toEqual([]);
  expect([...succeeded].filter((id) => !perId.has(id)), "SUCCESS rows without a run").toEqual([]);
  const lateFirstRuns = ranTwice.filter((id) => perId.get(id)![0].at > times.killedAt);
  // A second run is at-least-once delivery after the fail-over: the first one's end was written on the dead master only.
  expect(lateFirstRuns, "tasks that ran twice though their first run began after the master died").toEqual([]);
  const resumed: number[] = [];
  for (const [i, w] of own.entries()) {
    const after = runs.filter((r) => r.host === `celeriac@sentinel-${scenario.label}-${i + 1}` && r.at > times.promotedAt).length;
    resumed.push(Math.min(...runs.filter((r) => r.host === `celeriac@sentinel-${scenario.label}-${i + 1}` && r.at > times.killedAt).map((r) => r.at)) - times.promotedAt);
    expect(w.alive, `worker ${i + 1} exited:\n${w.output().slice(-2000)}`).toBe(true);
    expect(after, `worker ${i + 1} ran nothing after the fail-over: it did not reconnect to the new master\n${w.output().slice(-2000)}`).toBeGreaterThan(0);
  }
  await Promise.all(own.map((w) => w.kill("SIGKILL")));

  return {
    scenario,
    acknowledged: acked.size,
    completed: ids.filter((id) => succeeded.has(id)).length,
    lost,
    lostInPause: lost.filter(inPause).length,
    ackedInPause: ids.filter(inPause).length,
    ranTwice,
    maxRuns: Math.max(0, ...[...perId.values()].map((list) => list.length)),
    claimed: claims?._count ?? 0,
    maxAttempts: claims?._max.attempts ?? 0,
    relayed: relayed.length,
    relayedExisting: new Set(relayedExisting.map((r) => r.id)).size,
    relayedRanTwice: relayedRanTwice.map((r) => r.id),
    sendFailures,
    timeline: `paused ${at(times.pausedAt)}, killed ${at(times.killedAt)}, promoted ${at(times.promotedAt)}, workers' first runs after the kill ${resumed.map((ms) => `${ms < 0 ? "" : "+"}${ms} ms`).join(", ")} from it, old master back as replica ${at(times.rejoinedAt)}, last send acknowledged ${at(Math.max(...acked.values()))}, settled ${at(Date.now())}`,
    failoverMs: times.promotedAt - times.killedAt,
    sendMs: Math.max(...acked.values()) - started,
    slowestSendMs,
  };
}

function table(rows: Outcome[]): string {
  const head = ["run", "acknowledged", "completed", "lost", "lost of acked in the lag", "ran twice", "relay: took (max tries), sent, job there already; ran twice", "send failures", "slowest send", "promoted after", "sending took"];
  const body = rows.map((o) => [
    o.scenario.label,
    String(o.acknowledged),
    String(o.completed),
    String(o.lost.length),
    `${o.lostInPause} of ${o.ackedInPause}`,
    String(o.ranTwice.length),
    o.scenario.durable ? `${o.claimed} (${o.maxAttempts}), ${o.relayed}, ${o.relayedExisting}; ${o.relayedRanTwice.length}` : "—",
    String(o.sendFailures),
    `${(o.slowestSendMs / 1000).toFixed(1)} s`,
    `${(o.failoverMs / 1000).toFixed(1)} s`,
    `${(o.sendMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(" | ");
  return [
    `[chaos sentinel] ${TASKS} tasks, ${WORKERS} worker processes × ${CONCURRENCY}, sent at up to ${SENDS_PER_S}/s; ` +
      `replica paused ${PAUSE_MS} ms, master SIGKILLed ${KILL_AFTER_MS} ms into the pause, back as a replica ${REJOIN_AFTER_MS} ms after the promotion`,
    line(head),
    widths.map((w) => "-".repeat(w)).join("-|-"),
    ...body.map(line),
    ...rows.map((o) => `${o.scenario.label}: ${o.timeline}`),
  ].join("\n");
}

describe("a Sentinel fail-over in the middle of 2,000 tasks, the replica lagging", () => {
  it(
    "default settings: the workers carry on on the new master; sends acknowledged during the lag and not yet run are lost",
    async () => {
      const outcome = await runScenario({ label: "default", waitReplicas: 0, durable: false }, sets[0]);
      outcomes.push(outcome);
      expect(outcome.acknowledged).toBe(TASKS);
      expect(outcome.completed + outcome.lost.length).toBe(TASKS);
      // The scenario is what run 2 is measured against: without a loss here, its 0 would prove nothing.
      expect(outcome.lost.length, "nothing was lost: the lag did not happen, or the backlog ran before the kill").toBeGreaterThan(0);
      expect(outcome.lostInPause, "lost tasks acknowledged outside the lag").toBe(outcome.lost.length);
    },
    90_000,
  );

  it(
    "redisWaitReplicas 1 and durable dispatch: nothing is lost, and no re-sent task runs twice",
    async () => {
      const outcome = await runScenario({ label: "wait-1-durable", waitReplicas: 1, durable: true }, sets[1]);
      outcomes.push(outcome);
      expect(outcome.acknowledged).toBe(TASKS);
      expect(outcome.lost, "acknowledged tasks that never ran").toEqual([]);
      expect(outcome.completed).toBe(TASKS);
      expect(outcome.claimed, "the relay took no row: WAIT never refused a send").toBeGreaterThan(0);
      // While the new master has no replica, the relay's sends are refused too: it must give the rows back and try again.
      expect(outcome.maxAttempts, "no outbox row was claimed twice: the relay's retry of a refused send was not exercised").toBeGreaterThanOrEqual(2);
      expect(outcome.relayedRanTwice, "tasks the relay sent that ran twice").toEqual([]);
      expect(outcome.maxRuns).toBeLessThanOrEqual(2);
    },
    90_000,
  );
});
