/**
 * Where a beat send's time goes (issue 10): one beat child process sending a 1 s periodic task, with every stage of
 * its send stamped, and a worker in this process stamping when it picks the task up and when run() starts.
 *   npx tsx bench/beat-trace.ts [seconds=30] [sqlite|postgres] [entries=1]
 * With several entries (all on one grid) the stages are those of each slot's last send (the one stamped last).
 * Stages, in ms after the slot's instant (wall clock, sub-ms: performance.timeOrigin + now()):
 *   tx       transaction() asked Prisma for its transaction (≈ the timer firing: nothing runs in between)
 *   begun    the transaction's callback entered (BEGIN done, the interactive transaction open)
 *   claimed  the claim (compare-and-set on lastRunAt) answered
 *   outbox0  the outbox insert asked for (beat's callback has returned: since issue 10, after the instant)
 *   outbox   the outbox row written (createMany answered)
 *   commit   $transaction resolved (COMMIT done)
 *   pub0/pub the Redis publish started / answered
 *   pick     the worker's handler entered (BullMQ delivered the job)   run   the task's run() started
 * env: TRACE_WARM_WORKER=1 runs 50 no-op tasks through the worker first (its own first runs are slower); TRACE_VERBOSE=1 prints every transaction's stamps (the warm-up's dry run too) on stderr; TRACE_CHILD_ARGS adds
 * node flags to the beat child (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). Also printed: the beat's CPU per second.
 * Instrumentation is by wrapping (the Prisma client, the tx client, the outbox store, the broker); nothing in
 * lib/ knows of it. Temp databases are made and dropped as the bench makes them.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { benchApp } from "./app";
import { clientFor, createBenchDatabase, type Db } from "./db";
import { percentile, table } from "./stats";

const TASK = "bench.beatTick";
const now = () => performance.timeOrigin + performance.now();
type Stamps = Record<string, number>;

async function child(): Promise<void> {
  const url = process.env.DATABASE_URL!;
  const raw = clientFor(url);
  let current: Stamps | undefined;
  const stamp = (k: string) => current && (current[k] = now());
  const wrapTx = (tx: Db) =>
    new Proxy(tx, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === "$executeRawUnsafe") {
          // The outbox insert is one raw INSERT (transaction/outbox.ts).
          return async (sql: string, ...values: unknown[]) => {
            const outbox = sql.startsWith('INSERT INTO "TaskOutbox"');
            if (outbox) stamp("outbox0");
            const out = await (v as (q: string, ...a: unknown[]) => Promise<unknown>).call(target, sql, ...values);
            if (outbox) stamp("outbox");
            return out;
          };
        }
        if (prop === "periodicTask" || prop === "taskOutbox") {
          return new Proxy(v as object, {
            get(t, p, r) {
              const f = Reflect.get(t, p, r);
              if (p !== "updateMany" && p !== "createMany") return f;
              return async (args: { data: { lastRunAt?: Date } }) => {
                if (prop === "taskOutbox") stamp("outbox0");
                const out = await (f as (a: unknown) => Promise<unknown>).call(t, args);
                if (prop === "periodicTask" && args.data.lastRunAt) {
                  current = current ?? {};
                  current.slot = args.data.lastRunAt.getTime();
                  stamp("claimed");
                } else stamp("outbox");
                return out;
              };
            },
          });
        }
        return v;
      },
    });
  const db = new Proxy(raw, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== "$transaction") return v;
      return async (fn: (tx: Db) => Promise<unknown>, options?: unknown) => {
        const mine: Stamps = (current = { tx: now() });
        const verbose = () => process.env.TRACE_VERBOSE && console.error(`tx ${Object.entries(mine).map(([k, t]) => `${k} ${(t % 10_000).toFixed(1)}`).join(", ")}`);
        try {
          const out = await (v as (f: unknown, o: unknown) => Promise<unknown>).call(target, (tx: Db) => (stamp("begun"), fn(wrapTx(tx))), options);
          stamp("commit");
          return out;
        } finally {
          verbose();
        }
      };
    },
  });
  const { app } = benchApp({ db, databaseUrl: url, keyPrefix: process.env.BENCH_KEY_PREFIX!, queue: process.env.BENCH_BEAT_QUEUE! });
  app.log.level = "warn";
  app.task({ name: TASK, args: z.tuple([z.number()]), ignoreResult: true, run: (_ctx, n) => n });
  const wrap = <O extends object>(o: O, name: keyof O & string, before: string | null, after: string) => {
    const f = o[name] as (...a: unknown[]) => Promise<unknown>;
    (o as Record<string, unknown>)[name] = async (...a: unknown[]) => {
      if (before) stamp(before);
      const out = await f.apply(o, a);
      stamp(after);
      return out;
    };
  };
  wrap(app.broker, "publish", "pub0", "pub");
  app.startBeat({
    hostname: "trace",
    onSend: (s) => {
      const stamps = current ?? {};
      current = undefined;
      const cpu = process.cpuUsage();
      process.send!({ taskId: s.taskId, slotAt: s.slotAt.getTime(), stamps, cpuMs: (cpu.user + cpu.system) / 1000 });
    },
  });
  process.on("disconnect", () => process.exit(0));
  process.on("SIGTERM", () => process.exit(0)); // an exit, so that --cpu-prof writes its profile
  process.send!({ ready: true });
}

async function parent(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 30);
  const kind = process.argv[3] === "postgres" ? "postgres" : "sqlite-wal";
  const entries = Number(process.argv[4] ?? 1);
  const db = await createBenchDatabase(kind);
  const keyPrefix = `beat-trace-${process.pid}`;
  const queue = "beat-trace";
  const { app } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix, queue });
  const picked = new Map<string, number>();
  const ran = new Map<string, number>();
  const consume = app.broker.consume.bind(app.broker);
  app.broker.consume = (handler, options) => consume((m) => (picked.set(m.id, now()), handler(m)), options);
  app.task({ name: TASK, args: z.tuple([z.number()]), ignoreResult: true, run: (ctx, n) => (ran.set(ctx.id, now()), n) });
  const worker = await app.startWorker({ queues: [queue], concurrency: 8 });
  if (process.env.TRACE_WARM_WORKER) {
    // The worker's own first runs out of the way, so a first send's lateness is the beat's.
    const warm = app.task({ name: "bench.traceWarm", args: z.tuple([z.number()]), ignoreResult: true, run: (_ctx, n) => n });
    for (let i = 0; i < 50; i++) await warm.delay(i);
    await new Promise((r) => setTimeout(r, 500));
  }
  const proc = fork(fileURLToPath(import.meta.url), ["child"], {
    execArgv: ["--import", "tsx", ...(process.env.TRACE_CHILD_ARGS ? process.env.TRACE_CHILD_ARGS.split(" ") : [])],
    env: { ...process.env, DATABASE_URL: db.url, BENCH_KEY_PREFIX: keyPrefix, BENCH_BEAT_QUEUE: queue },
  });
  const sends: { taskId: string; slotAt: number; stamps: Stamps; cpuMs: number }[] = [];
  await new Promise<void>((resolve) => proc.on("message", (m: { ready?: boolean; taskId: string; slotAt: number; stamps: Stamps; cpuMs: number }) => (m.ready ? resolve() : sends.push(m))));
  const t0 = Math.ceil((Date.now() + 2_000 + entries * 30) / 1000) * 1000;
  for (let i = 0; i < entries; i++) {
    await app.periodicTasks.create({ name: `trace-${i}`, task: TASK, args: [i], schedule: { kind: "interval", every: 1, period: "seconds" }, startTime: new Date(t0) });
  }
  await new Promise((r) => setTimeout(r, t0 + seconds * 1000 + 1_500 - Date.now()));
  proc.kill("SIGTERM");
  const order = ["tx", "begun", "claimed", "outbox0", "outbox", "commit", "pub0", "pub", "pick", "run"];
  const rows = sends.map((s) => {
    const at: Stamps = { ...s.stamps, pick: picked.get(s.taskId) ?? NaN, run: ran.get(s.taskId) ?? NaN };
    return order.map((k) => (at[k] ?? NaN) - s.slotAt);
  });
  const fmt = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(1));
  console.log(`${kind}: ${sends.length} sends; ms after the slot's instant, per stage`);
  console.log(table([["#", ...order], ...rows.map((r, i) => [i, ...r.map(fmt)])]));
  const col = (i: number) => rows.map((r) => r[i]).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  console.log(table([["", ...order], ...[50, 99].map((p) => [`p${p}`, ...order.map((_, i) => fmt(percentile(col(i), p)))])]));
  const steps = order.slice(1).map((k, i) => `${k} ${fmt(percentile(rows.map((r) => r[i + 1] - r[i]).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b), 50))}`);
  console.log(`p50 of each step: ${steps.join(", ")}`);
  const [a, b] = [sends[1], sends.at(-1)!];
  if (sends.length > 2) console.log(`beat CPU: ${((b.cpuMs - a.cpuMs) / ((b.slotAt - a.slotAt) / 1000)).toFixed(1)} ms per second (from its second send to its last)`);
  if (entries > 1) {
    const bySlot = new Map<number, number[]>();
    for (const s of sends) bySlot.set(s.slotAt, [...(bySlot.get(s.slotAt) ?? []), (ran.get(s.taskId) ?? NaN) - s.slotAt]);
    const slots = [...bySlot.entries()].sort((a, b) => a[0] - b[0]);
    console.log(`per slot (${entries} entries): sends, first and last worker start (ms after the instant)`);
    console.log(table([["slot", "sends", "first", "last"], ...slots.map(([at, v]) => [(at - t0) / 1000, v.length, fmt(Math.min(...v)), fmt(Math.max(...v))])]));
  }
  console.log(JSON.stringify({ kind, rows }));
  await worker.stop();
  await app.close();
  await db.drop();
  process.exit(0);
}

await (process.argv[2] === "child" ? child() : parent());
