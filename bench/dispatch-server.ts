/**
 * The web side of bench section 3, run as a child process (`node --import tsx`) so the load generator in
 * the parent does not share its event loop. A bare `node:http` server on 127.0.0.1, one POST route per
 * dispatch mode; each parses `{ title, body }`, creates an Article and dispatches the no-op task
 * `bench.articleNoop` with its id, then answers 202 `{ taskId }`. No worker runs: jobs stay queued.
 * Each mode has its own celeriac app (same Prisma client) and queue, so rows and jobs can be counted per mode.
 *
 * env: BENCH_DB_URL, BENCH_KEY_PREFIX, BENCH_QUEUES (JSON: mode → queue name).
 * IPC: sends { type: "ready", port }; answers "stats" with { type: "stats", counts, cpu }; "close" ends it.
 */
import { createServer, type IncomingMessage } from "node:http";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { benchApp } from "./app";
import { clientFor } from "./db";

/** `inTx` is the reference for on commit: the same create and `.delay()` inside a bare Prisma `$transaction`. */
export const MODES = ["plain", "inTx", "onCommit", "durable"] as const;
export type Mode = (typeof MODES)[number];
export type ServerCounts = Record<Mode, { ok: number; failed: number; inflight: number }>;
export type ServerStats = { type: "stats"; counts: ServerCounts; cpu: NodeJS.CpuUsage };

const input = z.object({ title: z.string().min(1).max(200), body: z.string().min(1).max(20_000) });
type Input = z.infer<typeof input>;

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function start(): void {
  const url = process.env.BENCH_DB_URL!;
  const queues = JSON.parse(process.env.BENCH_QUEUES!) as Record<Mode, string>;
  const db = clientFor(url);
  const setup = (mode: Mode) => {
    const { app } = benchApp({ db, databaseUrl: url, keyPrefix: process.env.BENCH_KEY_PREFIX!, queue: queues[mode] });
    const task = app.task({ name: "bench.articleNoop", args: z.tuple([z.number().int()]), run: () => null });
    return { app, task };
  };
  const plain = setup("plain");
  const inTx = setup("inTx");
  const onCommit = setup("onCommit");
  const durable = setup("durable");

  const handlers: Record<Mode, (data: Input) => Promise<string>> = {
    plain: async (data) => {
      const article = await db.article.create({ data });
      return (await plain.task.delay(article.id)).id;
    },
    // What one writes without on-commit (the job may run before the row is committed): Prisma's own cost.
    inTx: (data) =>
      db.$transaction(async (tx) => {
        const article = await tx.article.create({ data });
        return (await inTx.task.delay(article.id)).id;
      }),
    onCommit: (data) =>
      onCommit.app.transaction(async (tx) => {
        const article = await tx.article.create({ data });
        return onCommit.task.delayOnCommit(article.id);
      }),
    durable: (data) =>
      durable.app.transaction(async (tx) => {
        const article = await tx.article.create({ data });
        return durable.task.delayOnCommit(article.id);
      }, { durable: true }),
  };
  const routes = new Map<string, Mode>([["/articles/plain", "plain"], ["/articles/in-tx", "inTx"], ["/articles/on-commit", "onCommit"], ["/articles/durable", "durable"]]);
  const counts = Object.fromEntries(MODES.map((m) => [m, { ok: 0, failed: 0, inflight: 0 }])) as ServerCounts;
  let errorsLogged = 0;

  const server = createServer(async (request, response) => {
    const mode = request.method === "POST" ? routes.get(request.url ?? "") : undefined;
    const reply = (status: number, body: unknown) =>
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (!mode) return reply(404, { error: "not found" });
    const count = counts[mode];
    count.inflight++;
    try {
      const parsed = input.safeParse(await readJson(request).catch(() => undefined));
      if (!parsed.success) return (count.failed++, reply(400, { error: "expected { title, body }" }));
      const taskId = await handlers[mode](parsed.data);
      count.ok++;
      reply(202, { taskId });
    } catch (error) {
      count.failed++;
      if (errorsLogged++ < 3) process.stderr.write(`[bench server] ${mode}: ${(error as Error).message}\n`);
      reply(500, { error: "internal error" });
    } finally {
      count.inflight--;
    }
  });
  server.keepAliveTimeout = 30_000;

  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await Promise.all([plain, inTx, onCommit, durable].map(({ app }) => app.close()));
    await db.$disconnect();
    process.exit(0);
  };
  process.on("message", (message) => {
    if (message === "stats") process.send!({ type: "stats", counts, cpu: process.cpuUsage() } satisfies ServerStats);
    if (message === "close") void close();
  });
  process.on("disconnect", () => process.exit(1)); // the parent died: do not linger
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.send!({ type: "ready", port: typeof address === "object" && address ? address.port : 0 });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) start();
