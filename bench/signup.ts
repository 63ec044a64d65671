/**
 * Bench section 5: the sign-up route while SMTP is slow (issue 5: "the sign-up route answers before the mail
 * is sent: with the sink delaying each mail by 2 s, the route's p99 stays under 100 ms").
 *
 * Two child processes, both running the app's own glue (lib/celery.ts, lib/db.ts, tasks/emails.ts) against
 * the run's temp database and key prefix:
 *   - bench/signup-worker.ts: the dev inbox (lib/dev-inbox.ts) on a free port, answering each mail after
 *     `smtpDelayMs`, and a worker running emails.sendWelcome against it;
 *   - bench/signup-server.ts: a node:http server handing POST /api/signup to app/api/signup/route.ts's POST.
 * The load generator (autocannon, closed loop, a unique email per request) runs in this process, over
 * 127.0.0.1: a warm-up, then one run per connection count. Before the load the server times the route's
 * parts alone (hashPassword one at a time and several at once; the transaction + create + delayOnCommit
 * with a ready hash). After it, this process waits (bounded) for the welcome mails of the first sign-ups
 * measured and reports how long after their 201 they reached the inbox's DevMail table.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { REDIS_URL } from "./app";
import type { BenchDatabase } from "./db";
import type { SignupStats, SignupTimed, TimeRequest } from "./signup-server";
import { summarize, table, type Summary } from "./stats";

export interface SignupOptions {
  /** Connection counts, one measured run each, in this order. */
  connections: number[];
  /** Measured seconds per connection count. */
  seconds: number;
  /** Seconds of warm-up at the first connection count (not measured). */
  warmupS: number;
  /** How long the inbox waits before answering each mail. */
  smtpDelayMs: number;
  /** The worker's concurrency (its mails are mostly waiting on the inbox). */
  workerConcurrency: number;
  /** Welcome mails waited for: those of the first `mailSample` sign-ups measured (the first run's, then the next's). */
  mailSample: number;
  /** At most this long (after the load) for them to arrive. */
  mailWaitS: number;
  /** Samples per part in the breakdown. */
  breakdownN: number;
  /** Hashes at once in the breakdown's parallel row (as many as the largest connection count). */
  breakdownParallel: number;
}

export interface SignupRun {
  connections: number;
  /** 201 answers received, and the run's wall time. */
  signups: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  verdict: "PASS" | "MISS";
  errors: number;
  non2xx: number;
  /** The server process's CPU (user + system) per 201 in this run. */
  serverCpuMs: number;
}

type Part = Pick<Summary, "n" | "p50" | "p99" | "mean" | "max">;

export interface SignupResult {
  database: string;
  target: string;
  runs: SignupRun[];
  /** rest: the route's steps after hashing (transaction, user.create, delayOnCommit), the worker taking each job. */
  breakdown: { hash: Part; hashParallel: Part & { parallel: number }; rest: Part };
  mail: {
    sample: number;
    arrived: number;
    waitedS: number;
    /** Seconds between the 201 and the mail's DevMail row, for the sample's mails that arrived. */
    afterAnswerS: { min: number; p50: number; max: number } | null;
    ok: boolean;
  };
  check: { answered: number; server201: number; serverOther: Record<string, number>; users: number; mailsByEnd: number; ok: boolean };
  /** The worker's concurrency and queue, the inbox's delay. */
  setup: { workerConcurrency: number; queue: string; smtpDelayMs: number };
}

const PASSWORD = "correct horse battery staple";
const TARGET_MS = 100;

/** A child process run with tsx: the first message of a type, and a bounded close. */
function child(file: string, env: NodeJS.ProcessEnv) {
  const proc: ChildProcess = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    env,
    stdio: ["ignore", "ignore", "inherit", "ipc"], // stdout: the app's pino log (info), not the bench's
  });
  const next = <T>(type: string, timeoutMs = 60_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => (off(), reject(new Error(`${file}: no '${type}' within ${timeoutMs / 1000} s`))), timeoutMs);
      const onMessage = (m: { type: string; message?: string }) => {
        if (m.type === "error") (off(), reject(new Error(`${file}: ${m.message}`)));
        else if (m.type === type) (off(), resolve(m as T));
      };
      const onExit = (code: number) => (off(), reject(new Error(`${file} exited (${code})`)));
      const off = () => (clearTimeout(timer), proc.off("message", onMessage), proc.off("exit", onExit));
      proc.on("message", onMessage).on("exit", onExit);
    });
  return {
    next,
    send: (message: unknown) => proc.send(message as string),
    async close(): Promise<void> {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.send("close");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type Answer = { email: string; status: number; at: number };
type Load = { result: autocannon.Result; samplesUs: number[]; answers: Answer[] };

let serial = 0;

/** A closed-loop run: each connection posts a new sign-up (unique email) when its previous answer arrives. */
function load(url: string, tag: string, seconds: number, connections: number, signal: AbortSignal): Promise<Load> {
  signal.throwIfAborted();
  const samplesUs: number[] = [];
  const answers: Answer[] = [];
  const requests: autocannon.Request[] = [
    {
      method: "POST",
      path: "/api/signup",
      headers: { "content-type": "application/json" },
      // autocannon gives each connection a context, fresh for each request (one request in the list).
      setupRequest: (request, context) => {
        const n = ++serial;
        const email = `signup-${process.pid}-${tag}-${n}@bench.test`;
        (context as { email?: string }).email = email;
        return { ...request, body: JSON.stringify({ name: `Bench user ${n}`, email, password: PASSWORD }) };
      },
      onResponse: (status, _body, context) => void answers.push({ email: (context as { email: string }).email, status, at: Date.now() }),
    },
  ];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, requests, connections, duration: seconds },
      (error, result) => (signal.removeEventListener("abort", stop), error ? reject(error) : resolve({ result, samplesUs, answers })),
    );
    const stop = () => instance.stop();
    signal.addEventListener("abort", stop, { once: true });
    instance.on("response", (_client, status, _bytes, ms) => status >= 200 && status < 300 && samplesUs.push(ms * 1000));
  });
}

const part = (samplesMs: number[]): Part => {
  const { n, p50, p99, mean, max } = summarize(samplesMs.map((ms) => ms * 1000));
  return { n, p50: p50 / 1000, p99: p99 / 1000, mean: mean / 1000, max: max / 1000 };
};

export async function signupSection(o: SignupOptions & {
  db: BenchDatabase;
  keyPrefix: string;
  queue: (name: string) => string;
  signal: AbortSignal;
  note: (line: string) => void;
}): Promise<SignupResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: o.db.url,
    REDIS_URL,
    CELERIAC_KEY_PREFIX: o.keyPrefix,
    CELERIAC_ALWAYS_EAGER: "0",
    CELERIAC_TASK_ANNOTATIONS: "",
    CELERIAC_LOG_LEVEL: "info",
    CELERIAC_LOG_FORMAT: "json",
  };
  delete env.EMAIL_URL;
  delete env.CELERIAC_CONCURRENCY;
  const worker = child("./signup-worker.ts", { ...env, BENCH_SMTP_DELAY_MS: String(o.smtpDelayMs), BENCH_WORKER_CONCURRENCY: String(o.workerConcurrency) });
  let server: ReturnType<typeof child> | undefined;
  try {
    const ready = await worker.next<{ emailUrl: string; queue: string; concurrency: number }>("ready");
    o.queue(ready.queue); // the app's default queue, under the run's prefix: obliterated at the end
    o.note(`  inbox at ${ready.emailUrl} (each mail answered after ${o.smtpDelayMs} ms), worker on '${ready.queue}', concurrency ${ready.concurrency}`);
    server = child("./signup-server.ts", { ...env, EMAIL_URL: ready.emailUrl });
    const { port } = await server.next<{ port: number }>("ready");
    const base = `http://127.0.0.1:${port}`;
    const stats = () => (server!.send("stats"), server!.next<SignupStats>("stats"));
    const idle = async () => {
      for (let i = 0; i < 500; i++) {
        const s = await stats();
        if (s.counts.inflight === 0) return s;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("sign-up server still busy after 10 s");
    };

    const timed = async (p: TimeRequest["part"]) => {
      server!.send({ type: "time", part: p, n: o.breakdownN, parallel: o.breakdownParallel } satisfies TimeRequest);
      return part((await server!.next<SignupTimed>("timed")).ms);
    };
    o.note(`  breakdown: ${o.breakdownN} × hashPassword alone, ${o.breakdownN} × ${o.breakdownParallel} at once, ${o.breakdownN} × transaction + dispatch`);
    const hash = await timed("hash");
    const hashParallel = { ...(await timed("hashParallel")), parallel: o.breakdownParallel };
    const rest = await timed("rest");
    const breakdown = { hash, hashParallel, rest };

    let answered = (await load(base, "warmup", o.warmupS, o.connections[0], o.signal)).answers.filter((a) => a.status === 201).length;
    const runs: SignupRun[] = [];
    const sample: Answer[] = []; // the first sign-ups measured, the first run's and on into the next if it had too few
    for (const connections of o.connections) {
      const before = (await idle()).cpu;
      const run = await load(base, `c${connections}`, o.seconds, connections, o.signal);
      const after = (await idle()).cpu;
      const created = run.answers.filter((a) => a.status === 201);
      answered += created.length;
      if (sample.length < o.mailSample) sample.push(...created.slice(0, o.mailSample - sample.length));
      const s = summarize(run.samplesUs);
      const p99Ms = s.p99 / 1000;
      runs.push({
        connections, signups: s.n, seconds: run.result.duration, perSecond: s.n / run.result.duration,
        p50Ms: s.p50 / 1000, p99Ms, maxMs: s.max / 1000, meanMs: s.mean / 1000, verdict: p99Ms < TARGET_MS ? "PASS" : "MISS",
        errors: run.result.errors + run.result.timeouts, non2xx: run.result.non2xx,
        serverCpuMs: (after.user - before.user + after.system - before.system) / 1000 / Math.max(1, s.n),
      });
      o.note(`  ${connections} connection(s): ${s.n} sign-ups, p50 ${(s.p50 / 1000).toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms`);
    }
    const { counts } = await idle();

    // The sample's welcome mails, by recipient (the inbox stores the envelope's recipients in `to`).
    const t0 = Date.now();
    const deadline = t0 + o.mailWaitS * 1000;
    const arrived = new Map<string, Date>();
    while (arrived.size < sample.length && Date.now() < deadline && !o.signal.aborted) {
      const rows = await o.db.client.devMail.findMany({ where: { to: { in: sample.map((a) => a.email) } }, select: { to: true, receivedAt: true }, orderBy: { id: "asc" } });
      for (const row of rows) if (!arrived.has(row.to)) arrived.set(row.to, row.receivedAt);
      if (arrived.size < sample.length) await new Promise((r) => setTimeout(r, 250));
    }
    const waitedS = (Date.now() - t0) / 1000;
    const delaysS = sample.filter((a) => arrived.has(a.email)).map((a) => (arrived.get(a.email)!.getTime() - a.at) / 1000).sort((x, y) => x - y);
    const afterAnswerS = delaysS.length ? { min: delaysS[0], p50: delaysS[Math.ceil(delaysS.length / 2) - 1], max: delaysS[delaysS.length - 1] } : null;

    const users = await o.db.client.user.count({ where: { email: { startsWith: "signup-" } } });
    const mailsByEnd = await o.db.client.devMail.count();
    const server201 = counts.byStatus["201"] ?? 0;
    const serverOther = Object.fromEntries(Object.entries(counts.byStatus).filter(([k]) => k !== "201"));
    return {
      database: `SQLite (${(await o.db.client.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode"))[0].journal_mode})`,
      target: `p99 < ${TARGET_MS} ms`,
      runs,
      breakdown,
      mail: {
        sample: sample.length,
        arrived: delaysS.length,
        waitedS,
        afterAnswerS,
        ok: sample.length > 0 && delaysS.length === sample.length && delaysS[0] >= o.smtpDelayMs / 1000,
      },
      check: {
        answered, server201, serverOther, users, mailsByEnd,
        ok: Object.keys(serverOther).length === 0 && users === server201,
      },
      setup: { workerConcurrency: ready.concurrency, queue: ready.queue, smtpDelayMs: o.smtpDelayMs },
    };
  } finally {
    await Promise.all([server?.close(), worker.close()]);
  }
}

const ms = (x: number) => x.toFixed(1);

export function printSignup(r: SignupResult, o: SignupOptions): void {
  console.log("5. Sign-up route while SMTP is slow — POST /api/signup → hashPassword → transaction { user.create; emails.sendWelcome.delayOnCommit } → 201");
  console.log(
    `   ${r.database}; the route's own POST (app/api/signup/route.ts) behind node:http in a child process; a worker (concurrency ${o.workerConcurrency}) and the dev inbox answering`,
  );
  console.log(`   each mail after ${o.smtpDelayMs} ms in another; autocannon on 127.0.0.1, a new email per request, ${o.warmupS} s warm-up, then ${o.seconds} s per connection count`);
  console.log(
    table([
      ["connections", "sign-ups", "req/s", "p50 ms", "p99 ms", "max ms", `p99 < ${TARGET_MS} ms`, "server CPU ms/req", "errors", "non-2xx"],
      ...r.runs.map((x) => [x.connections, x.signups, x.perSecond, ms(x.p50Ms), ms(x.p99Ms), ms(x.maxMs), x.verdict, x.serverCpuMs.toFixed(1), x.errors, x.non2xx]),
    ]),
  );
  const { hash, hashParallel, rest } = r.breakdown;
  console.log("Breakdown: the route's parts timed alone in the server process, before the load, after untimed calls (the worker running)");
  const row = (name: string, p: Part) => [name, p.n, ms(p.p50), ms(p.p99), ms(p.mean)];
  console.log(
    table([
      ["part", "n", "p50 ms", "p99 ms", "mean ms"],
      row("hashPassword (scrypt N=2^15, r=8, p=1), one at a time", hash),
      row(`hashPassword, ${hashParallel.parallel} at once (as with ${hashParallel.parallel} connections)`, hashParallel),
      row("transaction + user.create + delayOnCommit (a ready hash)", rest),
    ]),
  );
  const one = r.runs[0];
  if (one) {
    console.log(
      `At ${one.connections} connection(s) the route's p50 is ${ms(one.p50Ms)} ms, of which hashing alone takes ${ms(hash.p50)} ms (${Math.round((100 * hash.p50) / one.p50Ms)}%); ` +
        `transaction + dispatch ${ms(rest.p50)} ms; ` +
        (one.p50Ms - hash.p50 - rest.p50 >= 1
          ? `${ms(one.p50Ms - hash.p50 - rest.p50)} ms left for HTTP, parsing and waiting.`
          : "together about the whole (the parts were timed apart, so their medians do not add up exactly)."),
    );
  }
  const m = r.mail;
  const spread = m.afterAnswerS ? `after the 201: min ${m.afterAnswerS.min.toFixed(2)} s, p50 ${m.afterAnswerS.p50.toFixed(2)} s, max ${m.afterAnswerS.max.toFixed(2)} s` : "none arrived";
  console.log(
    `Mail: welcome mails of the first ${m.sample} sign-ups measured in DevMail: ${m.arrived}/${m.sample} (waited ${m.waitedS.toFixed(1)} s after the load); ` +
      `${spread} — ≥ ${(o.smtpDelayMs / 1000).toFixed(0)} s, all arrived: ${m.ok ? "OK" : "NOT OK"}`,
  );
  const c = r.check;
  const other = Object.entries(c.serverOther).map(([k, v]) => `${k}: ${v}`).join(", ") || "none";
  const cut = c.server201 - c.answered;
  console.log(
    `Check: 201 sent ${c.server201} (client got ${c.answered}${cut ? `; ${cut} cut off in flight at run ends` : ""}), other answers ${other}; ` +
      `users ${c.users} — ${c.ok ? "OK" : "MISMATCH"}; welcome mails in DevMail by the end: ${c.mailsByEnd} (breakdown's included)`,
  );
  console.log("(latency: client-side, per 201. p99 is nearest-rank: with fewer than 100 answers it is the maximum. server CPU: the server process only.)\n");
}
