/**
 * Bench section 9: workflows against the same work as single tasks, with the production worker (as in
 * section 7: `node <dist>/worker.js` at its defaults, in its own process). This process only sends.
 *   - a 10-step chain of no-ops, first `.delay()` → the last step's `get()`; beside it the same ten no-ops
 *     sent one after another by the caller, each waiting for the one before (what a chain replaces);
 *   - a chord of 1,000 no-op members and a callback given their 1,000 results; beside it 1,000 single
 *     no-ops sent at once, the caller waiting for all of them, then sending the callback's task itself.
 * The ratio is workflow ÷ single tasks: what carrying the workflow costs (the continuation's outbox row per
 * step, the chord's completion check per member) over the caller doing it by hand.
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { buildWorkers } from "@/scripts/build-workers";
import { chain, chord, group } from "celeriac";
import { benchApp } from "./app";
import type { BenchDatabase } from "./db";
import { OUTDIR, startWorker } from "./result-path";
import { summarize, table, type Summary } from "./stats";

export interface WorkflowOptions {
  dbs: BenchDatabase[];
  keyPrefix: string;
  queue: (name: string) => string;
  /** Timed runs of each figure (after one warm-up run). */
  runs: number;
  chainSteps: number;
  chordMembers: number;
  phase: <T>(label: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  note: (line: string) => void;
}

export interface WorkflowRun {
  database: string;
  chain: Summary;
  chainAsSingles: Summary;
  chord: Summary;
  chordAsSingles: Summary;
}

const TIMEOUT = { timeout: 120_000 };

async function timed(runs: number, fn: () => Promise<unknown>): Promise<Summary> {
  await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) * 1000);
  }
  return summarize(samples);
}

async function onDatabase(o: WorkflowOptions, db: BenchDatabase): Promise<WorkflowRun> {
  const queue = o.queue(`workflows-${db.kind}`);
  const { app, noop } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix: o.keyPrefix, queue });
  const count = app.task({ name: "bench.count", args: z.tuple([z.array(z.number())]), run: (_ctx, xs) => xs.length });
  const worker = await startWorker(db, o.keyPrefix, queue, o.note);
  const steps = o.chainSteps;
  const members = o.chordMembers;
  try {
    const chainRun = await o.phase(`${db.kind}: ${steps}-step chain × ${o.runs}`, () =>
      timed(o.runs, async () => {
        const rest = Array.from({ length: steps - 1 }, () => noop.s());
        await (await chain(noop.s(1), ...rest).delay()).get(TIMEOUT);
      }),
    );
    const chainAsSingles = await o.phase(`${db.kind}: ${steps} single tasks one after another × ${o.runs}`, () =>
      timed(o.runs, async () => {
        let value = 1;
        for (let i = 0; i < steps; i++) value = await (await noop.delay(value)).get(TIMEOUT);
      }),
    );
    const chordRun = await o.phase(`${db.kind}: chord of ${members} × ${o.runs}`, () =>
      timed(o.runs, async () => {
        const total = await (await chord(group(...Array.from({ length: members }, (_, i) => noop.s(i))), count.s()).delay()).get(TIMEOUT);
        if (total !== members) throw new Error(`the chord's callback counted ${total} results, not ${members}`);
      }),
    );
    const chordAsSingles = await o.phase(`${db.kind}: ${members} single tasks, then the callback × ${o.runs}`, () =>
      timed(o.runs, async () => {
        const handles = await Promise.all(Array.from({ length: members }, (_, i) => noop.delay(i)));
        const values = await Promise.all(handles.map((h) => h.get(TIMEOUT)));
        await (await count.delay(values)).get(TIMEOUT);
      }),
    );
    return { database: db.kind === "postgres" ? "PostgreSQL" : "SQLite (WAL)", chain: chainRun, chainAsSingles, chord: chordRun, chordAsSingles };
  } finally {
    await worker.stop();
    await app.close();
  }
}

export async function workflowSection(o: WorkflowOptions): Promise<WorkflowRun[]> {
  await o.phase("build the production worker (with the bench's tasks)", () => buildWorkers({ outdir: OUTDIR, extraTasks: [{ in: "bench/e2e-tasks/bench.ts", out: "bench" }] }));
  const runs: WorkflowRun[] = [];
  for (const db of o.dbs) runs.push(await onDatabase(o, db));
  return runs;
}

export function printWorkflows(runs: readonly WorkflowRun[], o: Pick<WorkflowOptions, "runs" | "chainSteps" | "chordMembers">): void {
  const ms = (us: number) => (us / 1000).toFixed(1);
  console.log(`9. Workflows vs the same work as single tasks: the production worker in its own process, ${o.runs} timed runs each after a warm-up`);
  const rows: (string | number)[][] = [["figure", "database", "p50 ms", "max ms", "as single tasks, p50 ms", "÷ single tasks"]];
  for (const r of runs) {
    rows.push([`${o.chainSteps}-step chain, first .delay() → last get()`, r.database, ms(r.chain.p50), ms(r.chain.max), ms(r.chainAsSingles.p50), (r.chain.p50 / r.chainAsSingles.p50).toFixed(2)]);
    rows.push([`chord of ${o.chordMembers}, .delay() → callback's get()`, r.database, ms(r.chord.p50), ms(r.chord.max), ms(r.chordAsSingles.p50), (r.chord.p50 / r.chordAsSingles.p50).toFixed(2)]);
  }
  console.log(table(rows));
  console.log("(single tasks: the chain's ten no-ops sent by the caller one after another, each after the one before's get(); the chord's members sent at once, all get() awaited, then the callback's task sent.)");
}
