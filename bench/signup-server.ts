/**
 * The web side of bench section 5, run as a child process (`node --import tsx`) so the load generator in
 * the parent does not share its event loop. A bare `node:http` server on 127.0.0.1 that hands every
 * `POST /api/signup` to the real route handler, `POST` of app/api/signup/route.ts (hashPassword, then a
 * transaction that creates the User and calls `sendWelcomeEmail.delayOnCommit(user.id)`), as a web
 * Request, and writes its Response back. No worker runs here: the jobs go to Redis, bench/signup-worker.ts
 * sends the mails.
 *
 * The app glue (lib/env.ts) reads the environment at import: the parent sets DATABASE_URL, REDIS_URL,
 * CELERIAC_KEY_PREFIX and EMAIL_URL for this process.
 * IPC: sends { type: "ready", port }; answers "stats" with { type: "stats", counts, cpu } and a TimeRequest
 * with { type: "timed", part, ms } (a part of the route timed alone; its users' emails start "breakdown-");
 * "close" ends it.
 */
import { createServer, type IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

export type SignupCounts = { byStatus: Record<string, number>; inflight: number };
export type SignupStats = { type: "stats"; counts: SignupCounts; cpu: NodeJS.CpuUsage };
/**
 * A part of the route timed alone: hashPassword one at a time ("hash") or `parallel` at once ("hashParallel"),
 * or the route's other steps with a ready hash ("rest": transaction, user.create, delayOnCommit).
 */
export type TimeRequest = { type: "time"; part: "hash" | "hashParallel" | "rest"; n: number; parallel: number };
/** ms per call. */
export type SignupTimed = { type: "timed"; part: TimeRequest["part"]; ms: number[] };

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function start(): Promise<void> {
  const { POST } = await import("@/app/api/signup/route");
  const { hashPassword } = await import("@/lib/password");
  const { transaction, celeriac } = await import("@/lib/celery");
  const { sendWelcomeEmail } = await import("@/tasks/emails");
  const { db } = await import("@/lib/db");

  const counts: SignupCounts = { byStatus: {}, inflight: 0 };
  let errorsLogged = 0;

  const server = createServer(async (request, response) => {
    if (request.method !== "POST" || request.url !== "/api/signup") return response.writeHead(404).end();
    counts.inflight++;
    try {
      const body = await readBody(request);
      const answer = await POST(
        new Request(`http://127.0.0.1${request.url}`, { method: "POST", headers: { "content-type": "application/json" }, body: new Uint8Array(body) }),
        undefined,
      );
      const text = await answer.text();
      counts.byStatus[answer.status] = (counts.byStatus[answer.status] ?? 0) + 1;
      if (answer.status >= 300 && errorsLogged++ < 3) process.stderr.write(`[signup server] ${answer.status}: ${text}\n`);
      response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" }).end(text);
    } catch (error) {
      counts.byStatus.thrown = (counts.byStatus.thrown ?? 0) + 1;
      if (errorsLogged++ < 3) process.stderr.write(`[signup server] ${(error as Error).message}\n`);
      response.writeHead(500).end();
    } finally {
      counts.inflight--;
    }
  });
  server.keepAliveTimeout = 30_000;

  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  let breakdownUsers = 0;
  /** One of the route's parts, timed alone in this process while no request is being served; untimed calls first. */
  async function timePart({ part, n, parallel }: TimeRequest): Promise<SignupTimed> {
    const ms: number[] = [];
    if (part === "hash") {
      for (let i = -2; i < n; i++) {
        const t = await time(() => hashPassword(`correct horse battery staple ${i}`));
        if (i >= 0) ms.push(t);
      }
    } else if (part === "hashParallel") {
      for (let i = -1; i < Math.ceil(n / parallel); i++) {
        const t = await Promise.all(Array.from({ length: parallel }, (_, k) => time(() => hashPassword(`parallel ${i} ${k}`))));
        if (i >= 0) ms.push(...t);
      }
    } else {
      // The route's steps after hashing, as in app/api/signup/route.ts, with a hash made beforehand.
      const passwordHash = await hashPassword("correct horse battery staple");
      for (let i = -5; i < n; i++) {
        const email = `breakdown-${process.pid}-${++breakdownUsers}@bench.test`;
        const t = await time(() =>
          transaction(async (tx) => {
            const user = await tx.user.create({ data: { name: "Bench breakdown", email, passwordHash }, select: { id: true } });
            return sendWelcomeEmail.delayOnCommit(user.id);
          }),
        );
        if (i >= 0) ms.push(t);
      }
    }
    return { type: "timed", part, ms };
  }

  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await celeriac.close();
    await db.$disconnect();
    process.exit(0);
  };
  process.on("message", (message: string | TimeRequest) => {
    if (message === "stats") process.send!({ type: "stats", counts, cpu: process.cpuUsage() } satisfies SignupStats);
    if (message === "close") void close();
    if (typeof message === "object" && message.type === "time") {
      timePart(message).then(
        (result) => process.send!(result),
        (error: Error) => process.send!({ type: "error", message: `timing ${message.part}: ${error.message}` }),
      );
    }
  });
  process.on("disconnect", () => process.exit(1)); // the parent died: do not linger
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.send!({ type: "ready", port: typeof address === "object" && address ? address.port : 0 });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await start();
