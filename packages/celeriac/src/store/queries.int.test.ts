/**
 * Conformance of the task stores' dashboard facets (store.ts: ResultQueries, AuditRows; the statements of
 * query-statements.ts in each dialect), through the public classes built on them: results/queries.ts's
 * TaskQueries and results/audit.ts's AuditLog. The integration suite runs once on SQLite and once on
 * PostgreSQL, so both stores give these same answers. Each describe has a database of its own: the run's
 * database has other files' rows, and these tests count rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dbKind, type TestDatabase } from "../../test/databases.js";
import { createDb, type Db } from "../../test/db.js";
import { InvalidCursorError } from "../errors.js";
import type { TaskMessage } from "../message.js";
import { AuditLog } from "../results/audit.js";
import { RETRY_SCAN_ROWS, TaskQueries, SCAN_ROWS, WORKFLOW_ROWS, type TaskFilter } from "../results/queries.js";
import { finishedRow, startedRow, type ResultRow } from "../results/row.js";
import { States, type TaskState } from "../states.js";
import { openTaskStore } from "./open.js";
import type { TaskStore } from "./store.js";

/** A fresh database of its own, its store, a Prisma client on it, and TaskQueries/AuditLog over the store. */
function scratch(label: string) {
  const it = {} as { database: TestDatabase; store: TaskStore; db: Db; queries: TaskQueries; audit: AuditLog };
  beforeAll(async () => {
    it.database = await createTestDatabase(dbKind(), label);
    it.store = openTaskStore(it.database.url);
    it.db = createDb(it.database.url);
    it.queries = new TaskQueries(it.store.queries);
    it.audit = new AuditLog(it.store.queries);
  }, 60_000);
  afterAll(async () => {
    await it.store?.close();
    await it.db?.$disconnect();
    await it.database?.drop();
  });
  return it;
}

const row = (over: Partial<ResultRow> & Pick<ResultRow, "id">): ResultRow => ({
  name: "conf.task",
  args: [],
  status: States.SUCCESS,
  result: null,
  errorType: null,
  errorMessage: null,
  errorStack: null,
  queue: "q-a",
  worker: "w-one",
  retries: 0,
  createdAt: new Date("2029-01-01T00:00:00.000Z"),
  startedAt: null,
  doneAt: null,
  runtimeMs: null,
  owner: null,
  parentId: null,
  rootId: null,
  groupId: null,
  meta: null,
  ...over,
});

const NAMES = ["conf.alpha", "conf.beta", "conf.gamma"];
const STATUSES: TaskState[] = [States.SUCCESS, States.FAILURE, States.STARTED, States.REVOKED, States.PENDING, States.RETRY];
const T0 = Date.parse("2029-06-01T12:00:00.000Z");
/** 36 rows: every status, three names, two queues and workers; createdAt in groups of three equal instants (ties the id breaks). */
const FIXTURE: ResultRow[] = Array.from({ length: 36 }, (_, i) => {
  const status = STATUSES[i % 6]!;
  const failed = status === States.FAILURE || status === States.REVOKED || status === States.RETRY;
  return row({
    id: `row-${String(i).padStart(3, "0")}`,
    name: NAMES[i % 3]!,
    status,
    args: [i, `arg text ${i}`],
    result: status === States.SUCCESS ? { answer: `result text ${i}` } : null,
    errorType: failed ? "BoomError" : null,
    errorMessage: failed ? `error text ${i}` : null,
    queue: i % 2 ? "q-b" : "q-a",
    worker: status === States.PENDING ? null : i % 4 < 2 ? "w-one" : "w-two",
    createdAt: new Date(T0 + Math.floor(i / 3) * 1000),
    owner: i % 4 === 1 ? "user:1" : null,
  });
});

/** The rows a filter (less its text) should list, in the list's order: createdAt DESC, id DESC. */
function expected(filter: TaskFilter): string[] {
  return FIXTURE.filter(
    (r) =>
      (!filter.statuses?.length || filter.statuses.includes(r.status)) &&
      (filter.name === undefined || r.name === filter.name) &&
      (filter.queue === undefined || r.queue === filter.queue) &&
      (filter.worker === undefined || r.worker === filter.worker) &&
      (filter.id === undefined || r.id === filter.id) &&
      (filter.from === undefined || r.createdAt >= filter.from) &&
      (filter.to === undefined || r.createdAt < filter.to),
  )
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
    .map((r) => r.id);
}

describe(`the ${dbKind()} store's Tasks list (TaskQueries)`, () => {
  const s = scratch("store_list");
  beforeAll(async () => void (await s.store.upsert(FIXTURE)), 60_000);

  /** Every page of a filter, following `next`: the ids in order, and the size of each page. */
  async function allPages(filter: TaskFilter, limit: number) {
    const ids: string[] = [];
    const sizes: number[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const { rows, next } = await s.queries.list(filter, { after, limit });
      ids.push(...rows.map((r) => r.id));
      sizes.push(rows.length);
      if (next === null) return { ids, sizes };
      after = next;
    }
    throw new Error("more than 100 pages");
  }

  const filters: Array<[string, TaskFilter]> = [
    ["no filter", {}],
    ["one status", { statuses: [States.FAILURE] }],
    ["two statuses", { statuses: [States.FAILURE, States.REVOKED] }],
    ["a name", { name: "conf.beta" }],
    ["a queue", { queue: "q-b" }],
    ["a worker", { worker: "w-two" }],
    ["a time range", { from: new Date(T0 + 3_000), to: new Date(T0 + 9_000) }],
    ["an id", { id: "row-013" }],
    ["status and name", { statuses: [States.SUCCESS, States.STARTED], name: "conf.alpha" }],
    ["queue, worker and range", { queue: "q-a", worker: "w-one", from: new Date(T0 + 1_000) }],
  ];

  it.each(filters)("%s: the matching rows, newest first (ties by id), the list row's columns", async (_, filter) => {
    const { rows } = await s.queries.list(filter, { limit: 100 });
    expect(rows.map((r) => r.id)).toEqual(expected(filter));
    expect(rows.length).toBeGreaterThan(0);
  });

  it("a row reads back whole, without the detail's columns", async () => {
    const { rows } = await s.queries.list({ id: "row-013" }, { limit: 1 });
    expect(rows).toEqual([
      {
        id: "row-013", name: "conf.beta", status: "FAILURE", args: [13, "arg text 13"], queue: "q-b", worker: "w-one", retries: 0,
        createdAt: new Date(T0 + 4_000), startedAt: null, doneAt: null, runtimeMs: null, errorType: "BoomError", errorMessage: "error text 13", retriedFrom: null, rootId: null, meta: null,
      },
    ]);
  });

  it.each([3, 4, 7])("pages of %i never skip nor repeat a row, equal createdAt included; the last page's next is null", async (limit) => {
    for (const [, filter] of filters) {
      const { ids, sizes } = await allPages(filter, limit);
      expect(ids, JSON.stringify(filter)).toEqual(expected(filter));
      expect(sizes.slice(0, -1).every((n) => n === limit), JSON.stringify(filter)).toBe(true);
    }
  });

  it("a cursor that is not a page's next is an InvalidCursorError (field 'after'), never a row set", async () => {
    const { next } = await s.queries.list({}, { limit: 5 });
    const made = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const bad = [next!.slice(0, -2), `${next}x`, `${next!.slice(0, 4)}!${next!.slice(5)}`, "not-a-cursor", "", made({ a: 1 }), made([T0, ""]), made(["x", "row-1"]), made([1.5, "row-1"])];
    for (const after of bad) {
      const error = await s.queries.list({}, { after, limit: 5 }).catch((e: unknown) => e);
      expect(error, after).toBeInstanceOf(InvalidCursorError);
      expect((error as InvalidCursorError).field).toBe("after");
    }
  });

  it("text search finds the text in the arguments, the result, the error type or message; any case; % and _ are themselves", async () => {
    const ids = async (text: string, filter: TaskFilter = {}) => (await s.queries.list({ ...filter, text }, { limit: 100 })).rows.map((r) => r.id);
    expect(await ids("ARG TEXT 7")).toEqual(["row-007"]);
    expect(await ids("result text 12")).toEqual(["row-012"]);
    expect(await ids("error text 13")).toEqual(["row-013"]);
    expect(await ids("boomerror", { name: "conf.alpha" })).toEqual(expected({ name: "conf.alpha", statuses: [States.FAILURE, States.REVOKED, States.RETRY] }));
    expect(await ids("text 1_")).toEqual([]);
    expect(await ids("text 3%")).toEqual([]);
    expect(await ids("no such text")).toEqual([]);
  });

  it("values(): the distinct names, queues and workers, sorted; a null worker is none", async () => {
    expect(await s.queries.values("name")).toEqual(NAMES);
    expect(await s.queries.values("queue")).toEqual(["q-a", "q-b"]);
    expect(await s.queries.values("worker")).toEqual(["w-one", "w-two"]);
  });

  it("count() is min(matching rows, cap)", async () => {
    expect(await s.queries.count({}, 1_000)).toBe(36);
    expect(await s.queries.count({}, 10)).toBe(10);
    expect(await s.queries.count({ statuses: [States.FAILURE, States.REVOKED] }, 100)).toBe(12);
    expect(await s.queries.count({ name: "conf.gamma", queue: "q-b" }, 100)).toBe(expected({ name: "conf.gamma", queue: "q-b" }).length);
    expect(await s.queries.count({ text: "error text 1" }, 100)).toBe(FIXTURE.filter((r) => r.errorMessage?.includes("error text 1")).length);
    expect(await s.queries.count({ id: "no-such-row" }, 100)).toBe(0);
  });

  it("retriable(): the FAILURE and REVOKED rows matching, newest first, with what a retry sends; other statuses narrow or empty it", async () => {
    const all = await s.queries.retriable({}, 100);
    expect(all.map((r) => r.id)).toEqual(expected({ statuses: [States.FAILURE, States.REVOKED] }));
    const first = FIXTURE.find((r) => r.id === all[0]!.id)!;
    expect(all[0]).toEqual({ id: first.id, name: first.name, args: first.args, queue: first.queue, owner: first.owner });
    expect(all.some((r) => r.owner === "user:1")).toBe(true);
    expect((await s.queries.retriable({ statuses: [States.FAILURE, States.SUCCESS] }, 2)).map((r) => r.id)).toEqual(expected({ statuses: [States.FAILURE] }).slice(0, 2));
    expect(await s.queries.retriable({ statuses: [States.SUCCESS, States.STARTED] }, 100)).toEqual([]);
    expect((await s.queries.retriable({ name: "conf.beta" }, 100)).map((r) => r.id)).toEqual(expected({ name: "conf.beta", statuses: [States.FAILURE, States.REVOKED] }));
  });
});

const message = (id: string, over: Partial<TaskMessage> = {}): TaskMessage => ({ id, task: "conf.retry", args: [2, 3], queue: "q-a", sentAt: Date.parse("2030-01-01T00:00:00.000Z"), retries: 0, ...over });
const at = (iso: string) => new Date(iso);

describe(`the ${dbKind()} store's task detail, retry links and overview (TaskQueries)`, () => {
  const s = scratch("store_detail");

  it("linkRetry() before the worker's row: a PENDING row linked back; the worker's writes keep the link; the original lists it", async () => {
    await s.store.upsert([row({ id: "orig-1", name: "conf.retry", status: States.FAILURE, errorType: "Boom", errorMessage: "boom", errorStack: "Boom: boom\n    at run" })]);
    await s.queries.linkRetry({ id: "retry-1", name: "conf.retry", args: [2, 3], queue: "q-a", owner: "user:2" }, "orig-1");
    expect(await s.queries.detail("retry-1")).toMatchObject({ status: "PENDING", name: "conf.retry", args: [2, 3], queue: "q-a", owner: "user:2", retriedFrom: "orig-1", retriedTo: [], outbox: null });
    const m = message("retry-1", { owner: "user:2" });
    await s.store.upsert([startedRow({ message: m, worker: "w-one", startedAt: at("2030-01-01T00:00:01.000Z") })]);
    await s.store.upsert([finishedRow({ message: m, worker: "w-one", startedAt: at("2030-01-01T00:00:01.000Z"), doneAt: at("2030-01-01T00:00:02.000Z"), outcome: { status: "SUCCESS", result: 5 } })]);
    expect(await s.queries.detail("retry-1")).toMatchObject({ status: "SUCCESS", result: 5, retriedFrom: "orig-1", worker: "w-one", runtimeMs: 1000 });
    expect((await s.queries.list({ id: "retry-1" }, { limit: 1 })).rows[0]!.retriedFrom).toBe("orig-1");
    expect(await s.queries.detail("orig-1")).toMatchObject({ status: "FAILURE", errorType: "Boom", errorMessage: "boom", errorStack: "Boom: boom\n    at run", retriedTo: ["retry-1"], retriedFrom: null });
  });

  it("linkRetry() after the worker's row: only the link is added; retriedTo lists retries oldest first", async () => {
    await s.store.upsert([row({ id: "orig-2", status: States.REVOKED, createdAt: at("2030-01-01T00:00:00.000Z") })]);
    await s.store.upsert([row({ id: "retry-2b", status: States.SUCCESS, result: "b", createdAt: at("2030-01-02T00:00:00.000Z") })]);
    await s.queries.linkRetry({ id: "retry-2b", name: "other.name", args: [9], queue: null, owner: null }, "orig-2");
    await s.queries.linkRetry({ id: "retry-2a", name: "conf.task", args: [], queue: null, owner: null }, "orig-2");
    expect(await s.queries.detail("retry-2b")).toMatchObject({ status: "SUCCESS", result: "b", name: "conf.task", args: [], queue: "q-a", retriedFrom: "orig-2" });
    // retry-2a's PENDING row is created now, before the 2030 of retry-2b's row: the older of the two.
    expect((await s.queries.detail("orig-2"))!.retriedTo).toEqual(["retry-2a", "retry-2b"]);
  });

  it("detail(): a durable dispatch's outbox row with the task; one no worker took yet reads PENDING; an unknown id is null", async () => {
    await s.store.upsert([row({ id: "durable-1", status: States.SUCCESS })]);
    await s.db.taskOutbox.create({ data: { id: "durable-1", name: "conf.task", args: [], queue: "q-a", createdAt: at("2030-01-01T00:00:00.000Z"), dispatchedAt: at("2030-01-01T00:00:00.010Z"), attempts: 1 } });
    expect((await s.queries.detail("durable-1"))!.outbox).toEqual({ createdAt: at("2030-01-01T00:00:00.000Z"), dispatchedAt: at("2030-01-01T00:00:00.010Z"), attempts: 1, lastError: null, runAt: null, expires: null });
    await s.db.taskOutbox.create({
      data: { id: "queued-1", name: "conf.later", args: [1], queue: "q-b", createdAt: at("2030-01-01T00:00:00.000Z"), runAt: at("2030-01-01T01:00:00.000Z"), owner: "user:3", lastError: "Error: down" },
    });
    expect(await s.queries.detail("queued-1")).toEqual({
      id: "queued-1", name: "conf.later", status: "PENDING", args: [1], queue: "q-b", worker: null, retries: 0, createdAt: at("2030-01-01T00:00:00.000Z"),
      startedAt: null, doneAt: null, runtimeMs: null, errorType: null, errorMessage: null, retriedFrom: null, rootId: null, result: null, errorStack: null, meta: null, owner: "user:3", retriedTo: [],
      outbox: { createdAt: at("2030-01-01T00:00:00.000Z"), dispatchedAt: null, attempts: 0, lastError: "Error: down", runAt: at("2030-01-01T01:00:00.000Z"), expires: null },
      workflow: null,
    });
    expect(await s.queries.detail("no-such-task")).toBeNull();
    await s.store.upsert([row({ id: "progress-1", status: States.PROGRESS, meta: { current: 2, total: 9, message: "rows" } })]);
    expect(await s.queries.detail("progress-1")).toMatchObject({ status: "PROGRESS", meta: { current: 2, total: 9, message: "rows" } });
  });

  it("detail(): a workflow's rows by rootId, its groups, WORKFLOW_ROWS at most with the task itself always among them; none for a task sent alone", async () => {
    const created = at("2030-02-01T00:00:00.000Z");
    await s.store.groups.insertGroup({ id: "wf-g", memberIds: ["wf-m1", "wf-m2"], callback: null, callbackId: "wf-cb", firedAt: null, parentId: null, rootId: "wf-g", owner: null, createdAt: created });
    await s.store.upsert([
      row({ id: "wf-m2", rootId: "wf-g", groupId: "wf-g", status: States.PROGRESS, meta: { current: 1, total: 2 } }),
      row({ id: "wf-m1", rootId: "wf-g", groupId: "wf-g", status: States.SUCCESS, runtimeMs: 12 }),
      row({ id: "wf-cb", rootId: "wf-g", parentId: "wf-g", status: States.PENDING }),
    ]);
    const { workflow } = (await s.queries.detail("wf-m1"))!;
    expect(workflow).toMatchObject({ rootId: "wf-g", truncated: false, limit: WORKFLOW_ROWS, groups: [{ id: "wf-g", memberIds: ["wf-m1", "wf-m2"], callbackId: "wf-cb", parentId: null, createdAt: created }] });
    expect(workflow!.rows.map((r) => r.id).sort()).toEqual(["wf-cb", "wf-m1", "wf-m2"]);
    expect(workflow!.rows.find((r) => r.id === "wf-m2")).toMatchObject({ name: "conf.task", status: "PROGRESS", groupId: "wf-g", parentId: null, meta: { current: 1, total: 2 } });
    expect(workflow!.rows.find((r) => r.id === "wf-cb")).toMatchObject({ parentId: "wf-g", groupId: null });
    // A chain's first step is its own root: found by the rows that name it, though its rootId is null here.
    await s.store.upsert([row({ id: "wf-a" }), row({ id: "wf-b", rootId: "wf-a", parentId: "wf-a" })]);
    expect((await s.queries.detail("wf-a"))!.workflow!.rows.map((r) => r.id).sort()).toEqual(["wf-a", "wf-b"]);
    await s.store.upsert([row({ id: "wf-alone" })]);
    expect((await s.queries.detail("wf-alone"))!.workflow).toBeNull();
    // Past the bound: WORKFLOW_ROWS rows, said to be cut, and the task asked about among them.
    const many = Array.from({ length: WORKFLOW_ROWS + 5 }, (_, i) => row({ id: `wf-big-${String(i).padStart(4, "0")}`, rootId: "wf-big-0000", parentId: "wf-big-0000" }));
    await s.store.upsert(many);
    for (const id of ["wf-big-0000", many.at(-1)!.id]) {
      const big = (await s.queries.detail(id))!.workflow!;
      expect(big.truncated).toBe(true);
      expect(big.rows.some((r) => r.id === id)).toBe(true);
      expect(big.rows.length).toBeLessThanOrEqual(WORKFLOW_ROWS + 1);
    }
  });

  const H = Date.parse("2031-01-01T10:00:00.000Z");
  const m = (minutes: number, seconds = 0) => new Date(H + minutes * 60_000 + seconds * 1000);
  const outcomeRows = () => [
    ...[10, 20, 30, 40].map((ms, i) => row({ id: `agg-fast-${i}`, name: "agg.fast", status: States.SUCCESS, doneAt: m(0, 10 + i), runtimeMs: ms })),
    row({ id: "agg-slow-0", name: "agg.slow", status: States.FAILURE, doneAt: m(2, 5), runtimeMs: 1000 }),
    row({ id: "agg-slow-1", name: "agg.slow", status: States.SUCCESS, doneAt: m(2, 6), runtimeMs: 3000 }),
    row({ id: "agg-revoked", name: "agg.fast", status: States.REVOKED, doneAt: m(2, 30) }),
    row({ id: "agg-retry", name: "agg.fast", status: States.RETRY, startedAt: m(1, 1), runtimeMs: 5 }),
    row({ id: "agg-before", name: "agg.old", status: States.SUCCESS, doneAt: m(-1), runtimeMs: 99_999 }),
    row({ id: "agg-running", name: "agg.fast", status: States.STARTED, startedAt: m(1) }),
  ];

  it("outcomes(), perMinute() and runtimes() over known rows: finished by doneAt, RETRY by its run's start, every minute present", async () => {
    await s.store.upsert(outcomeRows());
    expect(await s.queries.outcomes(m(0))).toEqual({ succeeded: 5, failed: 1, retried: 1, revoked: 1 });
    expect(await s.queries.outcomes(m(2))).toEqual({ succeeded: 1, failed: 1, retried: 0, revoked: 1 });
    expect(await s.queries.perMinute(m(0), m(3, 30))).toEqual([
      { minute: m(0), succeeded: 4, failed: 0, retried: 0, revoked: 0 },
      { minute: m(1), succeeded: 0, failed: 0, retried: 1, revoked: 0 },
      { minute: m(2), succeeded: 1, failed: 1, retried: 0, revoked: 1 },
      { minute: m(3), succeeded: 0, failed: 0, retried: 0, revoked: 0 },
    ]);
    expect(await s.queries.perMinute(m(0, 12), m(1))).toEqual([{ minute: m(0), succeeded: 2, failed: 0, retried: 0, revoked: 0 }]);
    const runtimes = await s.queries.runtimes(m(0));
    expect(runtimes.map(({ name, count }) => ({ name, count }))).toEqual([{ name: "agg.slow", count: 2 }, { name: "agg.fast", count: 4 }]);
    // Interpolated: p50 of 10, 20, 30, 40 is 25, p95 38.5; of 1000, 3000, 2000 and 2900.
    for (const [i, [p50, p95]] of [[2000, 2900], [25, 38.5]].entries()) {
      expect(runtimes[i]!.p50Ms).toBeCloseTo(p50!, 6);
      expect(runtimes[i]!.p95Ms).toBeCloseTo(p95!, 6);
    }
  });

  it("a text, or two indexed filters, read SCAN_ROWS rows at most: a page may end early with a next, which goes on from there", { timeout: 120_000 }, async () => {
    const base = Date.parse("2020-01-01T00:00:00.000Z");
    const needle = (i: number) => i === 0;
    const rows = Array.from({ length: SCAN_ROWS + 1 }, (_, i) =>
      row({
        id: `bulk-${String(i).padStart(6, "0")}`, name: "bulk.filler", status: States.PENDING, args: [needle(i) ? "the needle" : "hay"],
        worker: needle(i) ? "w-needle" : null, createdAt: new Date(base + i * 1000),
      }),
    );
    for (let i = 0; i < rows.length; i += 5_000) await s.store.upsert(rows.slice(i, i + 5_000));
    for (const filter of [{ name: "bulk.filler", text: "needle" }, { name: "bulk.filler", worker: "w-needle" }, { statuses: [States.PENDING], name: "bulk.filler", text: "NEEDLE" }]) {
      const first = await s.queries.list(filter, { limit: 10 });
      expect(first.rows, JSON.stringify(filter)).toEqual([]);
      expect(first.next).not.toBeNull();
      const second = await s.queries.list(filter, { after: first.next!, limit: 10 });
      expect(second.rows.map((r) => r.id)).toEqual(["bulk-000000"]);
      expect(second.next).toBeNull();
      // count() reads the same newest rows as the pages.
      expect(await s.queries.count(filter, 100)).toBe(0);
    }
    expect(await s.queries.count({ name: "bulk.filler", text: "hay" }, 100_000)).toBe(SCAN_ROWS);
    expect(await s.queries.count({ name: "bulk.filler" }, 100_000)).toBe(SCAN_ROWS + 1); // one filter: its index answers, no bound
    expect((await s.queries.list({ id: "bulk-000000", name: "bulk.filler", worker: "w-needle" }, { limit: 10 })).rows).toHaveLength(1); // an id: no bound
  });
});

describe(`the ${dbKind()} store's bulk retry (TaskQueries.retriable, retriableCount)`, () => {
  const s = scratch("store_bulk_retry");
  const T = Date.parse("2032-01-01T00:00:00.000Z");
  /** fail-0 … fail-7, newest last: FAILURE, and REVOKED every third; two names. */
  const failures = Array.from({ length: 8 }, (_, i) =>
    row({ id: `fail-${i}`, name: i % 2 ? "bulk.odd" : "bulk.even", status: i % 3 === 2 ? States.REVOKED : States.FAILURE, args: [i], errorMessage: `broke ${i}`, createdAt: new Date(T + i * 1000) }),
  );
  const retriedIds = async (filter: TaskFilter, limit = 100) => (await s.queries.retriable(filter, limit)).map((r) => r.id);

  it("leaves out a task retried already (a retry that failed is taken in turn); retriableCount() is what retriable() takes", async () => {
    await s.store.upsert([...failures, row({ id: "done-0", status: States.SUCCESS, createdAt: new Date(T + 500) })]);
    expect(await retriedIds({})).toEqual(["fail-7", "fail-6", "fail-5", "fail-4", "fail-3", "fail-2", "fail-1", "fail-0"]);
    // A bulk retry sent fail-1 and fail-4 again (their rows still PENDING); fail-6's retry ran and failed too.
    await s.queries.linkRetry({ id: "retry-1", name: "bulk.odd", args: [1], queue: "q-a", owner: null }, "fail-1");
    await s.queries.linkRetry({ id: "retry-4", name: "bulk.even", args: [4], queue: "q-a", owner: null }, "fail-4");
    await s.store.upsert([row({ id: "retry-6", name: "bulk.even", status: States.FAILURE, args: [6], createdAt: new Date(T + 10_000) })]);
    await s.queries.linkRetry({ id: "retry-6", name: "bulk.even", args: [6], queue: "q-a", owner: null }, "fail-6");

    expect(await retriedIds({})).toEqual(["retry-6", "fail-7", "fail-5", "fail-3", "fail-2", "fail-0"]);
    expect(await retriedIds({ name: "bulk.even" })).toEqual(["retry-6", "fail-2", "fail-0"]);
    expect(await retriedIds({ statuses: [States.FAILURE, States.SUCCESS] })).toEqual(["retry-6", "fail-7", "fail-3", "fail-0"]);
    expect(await retriedIds({ text: "broke" })).toEqual(["fail-7", "fail-5", "fail-3", "fail-2", "fail-0"]);
    expect(await retriedIds({ id: "fail-1" })).toEqual([]);
    expect(await retriedIds({ id: "fail-3" })).toEqual(["fail-3"]);
    // The original still lists its retry: a single task's Retry may send it again (the dashboard's choice, not the store's).
    expect((await s.queries.detail("fail-1"))!.retriedTo).toEqual(["retry-1"]);

    const filters: TaskFilter[] = [{}, { name: "bulk.even" }, { statuses: [States.REVOKED] }, { statuses: [States.SUCCESS] }, { text: "broke" }, { id: "fail-1" }, { queue: "q-a", worker: "w-one" }];
    for (const filter of filters) {
      for (const limit of [100, 2]) {
        const taken = await s.queries.retriable(filter, limit);
        expect(await s.queries.retriableCount(filter, limit), `${JSON.stringify(filter)}, ${limit}`).toBe(taken.length);
      }
    }
    expect(await s.queries.retriableCount({}, 100)).toBe(6);
    expect(await s.queries.retriableCount({ statuses: [States.SUCCESS] }, 100)).toBe(0);
  });
});

describe(`the ${dbKind()} store's bulk retry window (RETRY_SCAN_ROWS)`, () => {
  const s = scratch("store_retry_window");

  it("a bulk retry looks at the newest RETRY_SCAN_ROWS failures at most, its count alike; an older one by a narrower time range", { timeout: 120_000 }, async () => {
    const base = Date.parse("2021-01-01T00:00:00.000Z");
    const rows = Array.from({ length: RETRY_SCAN_ROWS + 1 }, (_, i) => row({ id: `old-${String(i).padStart(6, "0")}`, status: States.FAILURE, createdAt: new Date(base + i * 1000) }));
    for (let i = 0; i < rows.length; i += 5_000) await s.store.upsert(rows.slice(i, i + 5_000));
    expect(await s.queries.count({ statuses: [States.FAILURE] }, 100_000)).toBe(RETRY_SCAN_ROWS + 1);
    const taken = await s.queries.retriable({}, 100_000);
    expect(taken).toHaveLength(RETRY_SCAN_ROWS);
    expect(taken.at(-1)!.id).toBe("old-000001");
    expect(await s.queries.retriableCount({}, 100_000)).toBe(RETRY_SCAN_ROWS);
    expect((await s.queries.retriable({ to: new Date(base + 1000) }, 10)).map((r) => r.id)).toEqual(["old-000000"]);
  });
});

describe(`the ${dbKind()} store's audit log (AuditLog)`, () => {
  const s = scratch("store_audit");

  it("record() inserts; the same requestKey again inserts nothing and answers the first entry, repeated; no key never repeats", async () => {
    const first = await s.audit.record({ actor: "staff@example.com", action: "task.retry", target: "t-1", detail: { taskId: "t-2" }, requestKey: "key-1" });
    expect(first.repeated).toBe(false);
    expect(first.entry).toMatchObject({ actor: "staff@example.com", action: "task.retry", target: "t-1", detail: { taskId: "t-2" } });
    expect(Math.abs(first.entry.at.getTime() - Date.now())).toBeLessThan(60_000);
    const again = await s.audit.record({ actor: "staff@example.com", action: "task.retry", target: "t-1", detail: { taskId: "t-3" }, requestKey: "key-1" });
    expect(again).toEqual({ entry: first.entry, repeated: true });
    const [a, b] = await Promise.all([1, 2].map(() => s.audit.record({ actor: "x", action: "queue.pause", target: "q" })));
    expect(a!.repeated || b!.repeated).toBe(false);
    expect(a!.entry.id).not.toBe(b!.entry.id);
    expect(a!.entry.detail).toBeNull();
  });

  it("two records of one key at once: one entry, one of them repeated", async () => {
    const both = await Promise.all([1, 2].map((n) => s.audit.record({ actor: "x", action: "queue.purge", target: "q", detail: { n }, requestKey: "key-race" })));
    expect(both.map((r) => r.repeated).sort()).toEqual([false, true]);
    expect(both[0]!.entry).toEqual(both[1]!.entry);
  });

  it("update() replaces the detail; list() pages newest first by id", async () => {
    const { entry } = await s.audit.record({ actor: "x", action: "worker.shutdown", target: "w-1", detail: { asked: true } });
    await s.audit.update(entry.id, { asked: true, outcome: "ok" });
    const entries: number[] = [];
    let before: number | undefined;
    let found: unknown;
    for (let page = 0; page < 50; page++) {
      const { entries: got, next } = await s.audit.list({ before, limit: 2 });
      expect(got.length).toBeLessThanOrEqual(2);
      entries.push(...got.map((e) => e.id));
      found ??= got.find((e) => e.id === entry.id)?.detail;
      if (next === null) break;
      before = next;
    }
    expect(found).toEqual({ asked: true, outcome: "ok" });
    expect(entries).toEqual([...entries].sort((x, y) => y - x));
    expect(new Set(entries).size).toBe(entries.length);
    expect(entries).toContain(entry.id);
  });
});
