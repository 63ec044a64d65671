/**
 * Bench section 8: the dashboard's task queries on a big table (issue 13: "with 1,000,000 rows in SQLite and
 * in PostgreSQL, the first page and every filter answer in ≤ 150 ms server time"). For each database, a
 * fresh one filled with N rows of a busy week (task-rows.ts), then every query the Tasks page and the
 * overview make, timed in this process through the public API (`app.taskQueries`, as the dashboard's
 * handlers call it): RUNS calls each after WARMUP, median and p95 (nearest rank). Targets beside: 150 ms for
 * the first page and every filter (list), 500 ms for the overview's aggregates. For comparison (not what
 * celeriac runs), a text search by plain LIKE over the whole table.
 */
import Database from "better-sqlite3";
import pg from "pg";
import type { TaskFilter } from "celeriac";
import { benchApp, type BenchApp } from "./app";
import type { BenchDatabase } from "./db";
import { percentile, table } from "./stats";
import { benchRows, postgresLoader, QUEUES, sqliteLoader, TASK_NAMES, WORKERS } from "./task-rows";

export const TARGET_LIST_MS = 150;
export const TARGET_OVERVIEW_MS = 500;
const WARMUP = 3;
const PAGE = 50;
/** Rows inserted per bench phase (each phase is bounded by BENCH_PHASE_LIMIT_S). */
const FILL_STEP = 250_000;

export interface TaskQueriesOptions {
  n: number;
  runs: number;
  dbs: BenchDatabase[];
  keyPrefix: string;
  queue: (name: string) => string;
  phase: <T>(label: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  note: (line: string) => void;
}

export interface QueryTiming {
  query: string;
  group: "list" | "facets" | "overview" | "comparison";
  p50Ms: number;
  p95Ms: number;
  /** Rows (or values, or the count) the call answered, on its last run. */
  answered: number;
  targetMs: number | null;
}

export interface TaskQueriesRun {
  database: string;
  rows: number;
  fillS: number;
  timings: QueryTiming[];
}

interface Case {
  query: string;
  group: QueryTiming["group"];
  run: () => Promise<number>;
  /** Fewer runs (a slow comparison). */
  runs?: number;
}

async function time(c: Case, runs: number): Promise<QueryTiming> {
  const n = c.runs ?? runs;
  let answered = 0;
  for (let i = 0; i < Math.min(WARMUP, n); i++) answered = await c.run();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    answered = await c.run();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const targetMs = c.group === "list" ? TARGET_LIST_MS : c.group === "overview" ? TARGET_OVERVIEW_MS : null;
  return { query: c.query, group: c.group, p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), answered, targetMs };
}

/** A plain LIKE over every row's arguments, result and error: what an unbounded text search costs (on a connection of its own). */
async function fullScan(db: BenchDatabase): Promise<{ run: () => Promise<number>; close: () => Promise<void> }> {
  if (db.kind === "postgres") {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const text = `SELECT count(*) AS "n" FROM "TaskResult" WHERE "args"::text ILIKE $1 OR "result"::text ILIKE $1 OR "errorType" ILIKE $1 OR "errorMessage" ILIKE $1`;
    return { run: async () => Number((await client.query(text, ["%no such text%"])).rows[0].n), close: () => client.end() };
  }
  const sqlite = new Database(db.url.slice("file:".length), { readonly: true });
  const statement = sqlite.prepare(`SELECT count(*) AS "n" FROM "TaskResult" WHERE "args" LIKE ? OR "result" LIKE ? OR "errorType" LIKE ? OR "errorMessage" LIKE ?`);
  return { run: async () => Number((statement.get(...Array(4).fill("%no such text%")) as { n: number }).n), close: async () => void sqlite.close() };
}

/** The cursor of page `pages + 1` of a filter (following `next`), for the deep-page case. */
async function cursorAfter(app: BenchApp, filter: TaskFilter, pages: number): Promise<string> {
  let after: string | undefined;
  for (let i = 0; i < pages; i++) after = (await app.taskQueries.list(filter, { after, limit: PAGE })).next!;
  return after!;
}

function cases(app: BenchApp, o: { n: number; end: number; deep: string; scan: () => Promise<number> }): Case[] {
  const q = app.taskQueries;
  const hour = new Date(o.end - 3600_000);
  const day = new Date(o.end - 24 * 3600_000);
  const list = (query: string, filter: TaskFilter, after?: string): Case => ({ query, group: "list", run: async () => (await q.list(filter, { after, limit: PAGE })).rows.length });
  const middle = benchRows(o.n, o.end, o.n >> 1, (o.n >> 1) + 1).next().value!;
  return [
    list("first page (no filter)", {}),
    list("status FAILURE", { statuses: ["FAILURE"] }),
    list("status FAILURE or REVOKED", { statuses: ["FAILURE", "REVOKED"] }),
    list(`name ${TASK_NAMES[7]}`, { name: TASK_NAMES[7] }),
    list(`queue ${QUEUES[1]}`, { queue: QUEUES[1] }),
    list(`worker ${WORKERS[2]}`, { worker: WORKERS[2] }),
    list("time range (a day, 3 days ago)", { from: new Date(o.end - 4 * 24 * 3600_000), to: new Date(o.end - 3 * 24 * 3600_000) }),
    list("id (a row in the middle)", { id: middle.id }),
    list('text "example.com" (every row)', { text: "example.com" }),
    list('text "user-4242@" (1 row in 5,000)', { text: "user-4242@" }),
    list('text "no such text" (none)', { text: "no such text" }),
    list(`status FAILURE + name ${TASK_NAMES[7]}`, { statuses: ["FAILURE"], name: TASK_NAMES[7] }),
    list(`status REVOKED + worker (none match)`, { statuses: ["REVOKED"], worker: WORKERS[0] }),
    list(`name ${TASK_NAMES[7]} + queue ${QUEUES[0]} (none match)`, { name: TASK_NAMES[7], queue: QUEUES[0] }),
    list("page 21 (after 20 pages)", {}, o.deep),
    { query: "detail (a row in the middle)", group: "list", run: async () => ((await q.detail(middle.id)) ? 1 : 0) },
    { query: "values(name)", group: "facets", run: async () => (await q.values("name")).length },
    { query: "values(queue)", group: "facets", run: async () => (await q.values("queue")).length },
    { query: "values(worker)", group: "facets", run: async () => (await q.values("worker")).length },
    { query: "count(no filter, cap 10,000)", group: "facets", run: () => q.count({}, 10_000) },
    { query: "count(FAILURE, cap 10,000)", group: "facets", run: () => q.count({ statuses: ["FAILURE"] }, 10_000) },
    { query: "retriable(FAILURE, 10,000 rows)", group: "facets", run: async () => (await q.retriable({ statuses: ["FAILURE"] }, 10_000)).length },
    { query: "outcomes(last hour)", group: "overview", run: async () => Object.values(await q.outcomes(hour)).reduce((a, b) => a + b, 0) },
    { query: "outcomes(last 24 h)", group: "overview", run: async () => Object.values(await q.outcomes(day)).reduce((a, b) => a + b, 0) },
    { query: "perMinute(last hour)", group: "overview", run: async () => (await q.perMinute(hour, new Date(o.end))).length },
    { query: "runtimes(last hour)", group: "overview", run: async () => (await q.runtimes(hour)).length },
    { query: "runtimes(last 24 h)", group: "overview", run: async () => (await q.runtimes(day)).length },
    { query: "plain LIKE over all rows (not used)", group: "comparison", run: o.scan, runs: 3 },
  ];
}

export async function taskQueriesSection(o: TaskQueriesOptions): Promise<TaskQueriesRun[]> {
  const results: TaskQueriesRun[] = [];
  for (const db of o.dbs) {
    const end = Date.now();
    const started = performance.now();
    const loader = db.kind === "postgres" ? await postgresLoader(db.url, o.n, end) : sqliteLoader(db.url.slice("file:".length), o.n, end);
    try {
      await loader.dropIndexes();
      for (let from = 0; from < o.n; from += FILL_STEP) {
        const to = Math.min(o.n, from + FILL_STEP);
        await o.phase(`section 8: ${db.kind}, rows ${from.toLocaleString("en-US")}–${to.toLocaleString("en-US")}`, () => loader.insert(from, to));
      }
      await o.phase(`section 8: ${db.kind}, the indexes`, () => loader.createIndexes());
    } finally {
      await loader.close();
    }
    const fillS = (performance.now() - started) / 1000;
    o.note(`section 8: ${db.kind} filled in ${fillS.toFixed(1)} s`);
    const { app } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix: o.keyPrefix, queue: o.queue("task-queries") });
    const scan = await fullScan(db);
    try {
      const deep = await cursorAfter(app, {}, 20);
      const timings: QueryTiming[] = [];
      for (const c of cases(app, { n: o.n, end, deep, scan: scan.run })) timings.push(await o.phase(`section 8 on ${db.kind}: ${c.query}`, () => time(c, o.runs)));
      results.push({ database: db.kind === "postgres" ? "PostgreSQL" : "SQLite (WAL)", rows: o.n, fillS, timings });
    } finally {
      await scan.close();
      await app.close();
    }
  }
  return results;
}

export function printTaskQueries(results: TaskQueriesRun[], o: Pick<TaskQueriesOptions, "n" | "runs">): void {
  console.log(`8. The dashboard's task queries (app.taskQueries) on ${o.n.toLocaleString("en-US")} TaskResult rows: median and p95 of ${o.runs} calls after ${WARMUP}, this process, ${PAGE} rows a page`);
  for (const r of results) {
    console.log(`${r.database} (filled in ${r.fillS.toFixed(0)} s)`);
    const verdict = (t: QueryTiming) => (t.targetMs === null ? "" : t.p95Ms <= t.targetMs ? "PASS" : t.p50Ms <= t.targetMs ? "p95 MISS" : "MISS");
    console.log(
      table([
        ["query", "p50 ms", "p95 ms", "target ms", "", "answered"],
        ...r.timings.map((t) => [t.query, t.p50Ms.toFixed(2), t.p95Ms.toFixed(2), t.targetMs === null ? "-" : String(t.targetMs), verdict(t), t.answered]),
      ]),
    );
  }
  console.log("(list: rows of the page; facets: values, the count or the rows; overview: the counts' sum, minutes or names. A text, or two indexed");
  console.log(" filters, read the newest 5,000 rows the first indexed filter matches per page (SCAN_ROWS): a page may hold fewer than 50 rows, and a next.)\n");
}
