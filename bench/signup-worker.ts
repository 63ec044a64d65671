/**
 * The mail side of bench section 5, run as a child process (`node --import tsx`): a slow SMTP server
 * (lib/dev-inbox.ts, on a free port, answering each message only after BENCH_SMTP_DELAY_MS) and a
 * celeriac worker running the app's real tasks (tasks/emails.ts: emails.sendWelcome) against it.
 *
 * The inbox starts first, on port 0, with a Prisma client of its own for its DevMail rows; then EMAIL_URL
 * is set to it and the app glue is imported (lib/env.ts reads the environment at import). The parent sets
 * DATABASE_URL, REDIS_URL and CELERIAC_KEY_PREFIX.
 * env: BENCH_SMTP_DELAY_MS, BENCH_WORKER_CONCURRENCY.
 * IPC: sends { type: "ready", emailUrl, queue, concurrency } once both run; "close" stops the worker (grace
 * 5 s), the inbox and the clients, then exits.
 */
import { pathToFileURL } from "node:url";
import { startDevInbox } from "@/lib/dev-inbox";
import { clientFor } from "./db";

async function start(): Promise<void> {
  const inboxDb = clientFor(process.env.DATABASE_URL!);
  const inbox = await startDevInbox({ port: 0, db: inboxDb, delayMs: Number(process.env.BENCH_SMTP_DELAY_MS) });
  process.env.EMAIL_URL = inbox.url;
  const { celeriac } = await import("@/lib/celery");
  await import("@/tasks/emails"); // registers emails.sendWelcome and the other mail tasks
  const { db } = await import("@/lib/db");
  const concurrency = Number(process.env.BENCH_WORKER_CONCURRENCY);
  const worker = await celeriac.startWorker({ concurrency, graceMs: 5_000 });

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await worker.stop();
    await inbox.close();
    await celeriac.close();
    await Promise.all([db.$disconnect(), inboxDb.$disconnect()]);
    process.exit(0);
  };
  process.on("message", (message) => message === "close" && void close());
  process.on("disconnect", () => process.exit(1)); // the parent died: do not linger
  process.send!({ type: "ready", emailUrl: inbox.url, queue: celeriac.config.defaultQueue, concurrency });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await start();
