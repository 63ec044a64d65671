/**
 * chain, group and chord across real `celeriac worker` processes (test/cli-worker.ts: the bin in test/app,
 * its tasks in test/app/tasks/canvas.ts, each with the outbox relay a worker runs), the real Redis and the
 * run's database. The tasks log every run to Redis, so runs are counted outside the workers: a chord's
 * callback must run exactly once over 50 chords whose members finish together on three processes, and again
 * when one of the processes is SIGKILLed while it holds members (theirs run again elsewhere: at-least-once).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { chain, chord, createRedisConnection, group, States, type AsyncResult, type RedisConnection } from "../index.js";
import { startCliWorker, type CliWorker } from "../../test/cli-worker.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { REDIS_URL } from "../../test/redis.js";

const WORK = "cw-work";
const CALLBACKS = "cw-callbacks";
const CHORDS = 50;
const MEMBERS = 10;
const CONCURRENCY = 8;
/** workerLockMs of the workers (their stalled-jobs check runs every half of it): a dead worker's members come back within seconds. */
const LOCK_MS = 2000;
/** How long a member takes when a worker is killed among them. */
const SLOW_MS = 300;

/** The producer's side of test/app/tasks/canvas.ts: the same names and arguments; members and steps on WORK, callbacks on CALLBACKS. */
function defineTasks(app: Harness["app"]) {
  return {
    member: app.task({ name: "canvas.member", queue: WORK, args: z.tuple([z.number().int(), z.number().int().min(0).max(10_000)]), run: (_ctx, n) => n }),
    increment: app.task({ name: "canvas.increment", queue: WORK, args: z.tuple([z.number().int()]), run: (_ctx, n) => n + 1 }),
    collect: app.task({ name: "canvas.collect", queue: CALLBACKS, args: z.tuple([z.array(z.number().int())]), run: (_ctx, results) => results }),
  };
}

let h: Harness;
let t: ReturnType<typeof defineTasks>;
let redis: RedisConnection;
const workers = new Map<string, CliWorker>();
/** Serves WORK only, so that it never holds a callback: the one killed among the members. */
const DOOMED = "celeriac@cw-doomed";
const HOSTS = [DOOMED, "celeriac@cw-second", "celeriac@cw-third"];

beforeAll(async () => {
  h = createHarness("canvas-workers");
  t = defineTasks(h.app);
  redis = createRedisConnection(REDIS_URL);
  const env = { ...process.env, DATABASE_URL: h.databaseUrl, CELERIAC_KEY_PREFIX: h.keyPrefix, REDIS_URL, CELERIAC_LOG_LEVEL: "info", CELERIAC_WORKER_LOCK_MS: String(LOCK_MS) };
  await Promise.all(
    HOSTS.map(async (host) => {
      const queues = host === DOOMED ? WORK : `${WORK},${CALLBACKS}`;
      workers.set(host, await startCliWorker(host, ["-Q", queues, "-c", String(CONCURRENCY)], env));
    }),
  );
}, 90_000);

afterAll(async () => {
  for (const w of workers.values()) w.child.kill("SIGKILL");
  redis?.disconnect();
  await h.close();
});

interface Run {
  at: number;
  host: string;
}

/** test/app/tasks/canvas.ts's run log, by task id. */
async function runsById(): Promise<Map<string, Run[]>> {
  const byId = new Map<string, Run[]>();
  for (const line of await redis.lrange(`{${h.keyPrefix}}:canvas:runs`, 0, -1)) {
    const [id, at, host] = line.split("|") as [string, string, string];
    byId.set(id, [...(byId.get(id) ?? []), { at: Number(at), host }]);
  }
  return byId;
}

async function poll(predicate: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Nothing left to run twice: both queues empty (nothing waiting, delayed or active, a dead worker's jobs
 * included) and the outbox rows of `ids` (continuations are sent through it) all sent, so no relay sends one again.
 */
async function settled(ids: readonly string[]): Promise<void> {
  await poll(
    async () => {
      for (const queue of [WORK, CALLBACKS]) {
        const c = await h.app.broker.queueCounts(queue);
        if (c.waiting + c.prioritized + c.active + c.delayed > 0) return false;
      }
      return (await h.db.taskOutbox.count({ where: { id: { in: [...ids] }, dispatchedAt: null } })) === 0;
    },
    "the queues to empty and the continuations' outbox rows to be sent",
    30_000,
  );
}

/** `CHORDS` chords of `MEMBERS` members each (chord c's member i gives c * 100 + i after `ms`), sent at once. */
function sendChords(ms: number): Promise<AsyncResult<number[]>[]> {
  return Promise.all(
    Array.from({ length: CHORDS }, (_, c) => chord(group(...Array.from({ length: MEMBERS }, (_, i) => t.member.s(c * 100 + i, ms))), t.collect.s()).delay()),
  );
}

interface ChordCounts {
  callbackRuns: number[];
  memberIds: string[];
  /** Members that ran more than once, with their runs. */
  ranAgain: Map<string, Run[]>;
  runs: Map<string, Run[]>;
}

/** Every callback got its members' results in member order; what ran how often, once nothing is left to run. */
async function checkChords(handles: AsyncResult<number[]>[]): Promise<ChordCounts> {
  const values = await Promise.all(handles.map((r) => r.get({ timeout: 60_000 })));
  expect(values).toEqual(handles.map((_, c) => Array.from({ length: MEMBERS }, (_, i) => c * 100 + i)));
  const groups = await h.db.taskGroup.findMany({ where: { callbackId: { in: handles.map((r) => r.id) } } });
  expect(groups).toHaveLength(CHORDS);
  expect(groups.every((g) => g.firedAt !== null)).toBe(true);
  const callbacks = await h.db.taskResult.findMany({ where: { id: { in: handles.map((r) => r.id) } } });
  expect(callbacks).toHaveLength(CHORDS);
  expect(callbacks.every((row) => row.status === States.SUCCESS && groups.some((g) => g.id === row.parentId && g.id === row.rootId))).toBe(true);
  const memberIds = groups.flatMap((g) => g.memberIds as string[]);
  await settled(handles.map((r) => r.id));

  const runs = await runsById();
  const callbackRuns = handles.map((r) => runs.get(r.id)?.length ?? 0);
  const ranAgain = new Map(memberIds.flatMap((id) => ((runs.get(id)?.length ?? 0) > 1 ? [[id, runs.get(id)!] as const] : [])));
  expect(memberIds.filter((id) => !runs.has(id)), "members that never ran").toEqual([]);
  return { callbackRuns, memberIds, ranAgain, runs };
}

const hostsOf = (runs: Map<string, Run[]>, ids: readonly string[]) => new Set(ids.flatMap((id) => (runs.get(id) ?? []).map((r) => r.host)));

describe("across three worker processes", () => {
  it(`a chord's callback runs exactly once: ${CHORDS} chords of ${MEMBERS} members sent at once`, { timeout: 90_000 }, async () => {
    const started = Date.now();
    const handles = await sendChords(0);
    const { callbackRuns, memberIds, ranAgain, runs } = await checkChords(handles);
    console.log(
      `[canvas workers] ${CHORDS} chords × ${MEMBERS} members on ${HOSTS.length} processes (concurrency ${CONCURRENCY}) in ${Date.now() - started} ms: ` +
        `callback runs ${callbackRuns.reduce((a, b) => a + b, 0)} for ${CHORDS} callbacks; member runs ${memberIds.reduce((n, id) => n + runs.get(id)!.length, 0)} ` +
        `for ${memberIds.length} members (ran again: ${ranAgain.size}); members ran on ${[...hostsOf(runs, memberIds)].join(", ")}; callbacks on ${[...hostsOf(runs, handles.map((r) => r.id))].join(", ")}`,
    );
    expect(callbackRuns).toEqual(handles.map(() => 1));
    expect(ranAgain.size, "members run again with no worker lost").toBe(0);
    expect(hostsOf(runs, memberIds).size, "the members ran on every process").toBe(HOSTS.length);
  });

  it("a chain of 10 steps passes each result on, step after step, on whichever process takes it", { timeout: 30_000 }, async () => {
    const r = await chain(
      t.increment.s(0),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
      t.increment.s(),
    ).delay();
    expect(await r.get({ timeout: 20_000 })).toBe(10);
    const handles: AsyncResult[] = [];
    for (let step: AsyncResult | undefined = r; step; step = step.parent) handles.unshift(step);
    expect(handles).toHaveLength(10);
    const ids = handles.map((s) => s.id);
    const rows = await h.db.taskResult.findMany({ where: { id: { in: ids } } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(ids.map((id) => byId.get(id)?.result)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ids.map((id) => byId.get(id)?.rootId)).toEqual(ids.map(() => ids[0]));
    expect(ids.map((id) => byId.get(id)?.parentId)).toEqual([null, ...ids.slice(0, -1)]);
    expect(ids.map((id) => byId.get(id)?.groupId)).toEqual(ids.map(() => null));
    await settled(ids);
    const runs = await runsById();
    expect(ids.map((id) => runs.get(id)?.length)).toEqual(ids.map(() => 1));
    console.log(`[canvas workers] chain of 10: steps ran on ${[...new Set(rows.map((row) => row.worker))].join(", ")}`);
  });

  it("a group's members run in parallel; its result in member order; rows carry groupId and rootId", { timeout: 30_000 }, async () => {
    const g = await group(...Array.from({ length: 20 }, (_, i) => t.member.s(i, 50))).delay();
    expect(await g.get({ timeout: 20_000 })).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const ids = g.results.map((r) => r.id);
    const rows = await h.db.taskResult.findMany({ where: { groupId: g.id } });
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(rows.every((row) => row.rootId === g.id && row.parentId === null && row.status === States.SUCCESS)).toBe(true);
    const stored = await h.db.taskGroup.findUnique({ where: { id: g.id } });
    expect(stored).toMatchObject({ memberIds: ids, callback: null, callbackId: null, firedAt: null });
    expect(await (await h.app.groupResult(g.id))!.get()).toEqual(Array.from({ length: 20 }, (_, i) => i));
    console.log(`[canvas workers] group of 20: members ran on ${[...new Set(rows.map((row) => row.worker))].join(", ")}`);
  });

  it(
    `a chord's callback still runs exactly once when a member's worker is SIGKILLed: ${CHORDS} chords of ${MEMBERS} members of ${SLOW_MS} ms`,
    { timeout: 90_000 },
    async () => {
      const runsBefore = await redis.llen(`{${h.keyPrefix}}:canvas:runs`);
      const handles = await sendChords(SLOW_MS);
      const doomed = workers.get(DOOMED)!;
      // A third of the members started: every process is busy with members, the doomed one with CONCURRENCY of them.
      await poll(async () => (await redis.llen(`{${h.keyPrefix}}:canvas:runs`)) - runsBefore >= (CHORDS * MEMBERS) / 3, "a third of the members to start", 60_000);
      doomed.child.kill("SIGKILL");
      const killedAt = Date.now();
      expect(await doomed.exited).toBe("SIGKILL");

      const { callbackRuns, memberIds, ranAgain, runs } = await checkChords(handles);
      const doomedRuns = memberIds.filter((id) => runs.get(id)!.some((r) => r.host === DOOMED)).length;
      const redeliveredAfter = [...ranAgain.values()].map((rs) => rs.at(-1)!.at - killedAt);
      console.log(
        `[canvas workers] SIGKILLed ${DOOMED} (concurrency ${CONCURRENCY}, workerLockMs ${LOCK_MS}) after ${memberIds.filter((id) => runs.get(id)![0]!.at <= killedAt).length} member starts; ` +
          `it had run ${doomedRuns} members; ran again elsewhere: ${ranAgain.size} ` +
          `(${redeliveredAfter.length ? `${Math.min(...redeliveredAfter)}–${Math.max(...redeliveredAfter)} ms after the kill` : "none"}); ` +
          `callback runs ${callbackRuns.reduce((a, b) => a + b, 0)} for ${CHORDS} callbacks, ran twice: ${callbackRuns.filter((n) => n > 1).length}`,
      );
      expect(callbackRuns, "runs of each chord's callback").toEqual(handles.map(() => 1));
      // At-least-once: only what the dead worker had in hand runs again, once more.
      expect(ranAgain.size, "no member of the killed worker was run again: the kill did not exercise redelivery").toBeGreaterThan(0);
      expect(ranAgain.size).toBeLessThanOrEqual(CONCURRENCY);
      expect([...ranAgain.values()].every((rs) => rs.length === 2 && rs[0]!.host === DOOMED && rs[1]!.host !== DOOMED)).toBe(true);
    },
  );
});
