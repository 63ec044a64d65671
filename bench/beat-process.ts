/**
 * One beat of bench section 6, run as a child process (`node --import tsx bench/beat-process.ts`): the bench
 * app (bench/app.ts) on the run's database and key prefix, with the task its periodic tasks name
 * (bench.beatTick, run by the parent's worker, never here), and `app.startBeat` as `npm run beat` starts it.
 * env: DATABASE_URL, BENCH_KEY_PREFIX, BENCH_BEAT_QUEUE, BENCH_BEAT_NAME (this beat's hostname in the lease).
 * Logs at warn, as pino JSON lines on stdout (the parent keeps the warnings and errors).
 * IPC out: { type: "ready", holder } once the beat runs; { type: "send", …BeatSend as ms } per send;
 *   { type: "leader", leader, at } whenever isLeader() changes (polled every 20 ms).
 * IPC in: "close" stops the beat (a send in flight completes, the lease is released), closes the app and the
 *   client, then exits. A lost parent (disconnect) exits at once.
 */
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { benchApp } from "./app";
import { clientFor } from "./db";

export const BEAT_TASK = "bench.beatTick";

export type BeatMessage =
  | { type: "ready"; holder: string; pid: number }
  | { type: "send"; periodicTask: string; taskId: string; slotAt: number; sentAt: number }
  | { type: "leader"; leader: boolean; at: number }
  | { type: "error"; message: string };

const post = (message: BeatMessage) => process.send!(message);

async function start(): Promise<void> {
  const url = process.env.DATABASE_URL!;
  const db = clientFor(url);
  const { app } = benchApp({ db, databaseUrl: url, keyPrefix: process.env.BENCH_KEY_PREFIX!, queue: process.env.BENCH_BEAT_QUEUE! });
  app.log.level = "warn";
  app.task({ name: BEAT_TASK, args: z.tuple([z.number()]), ignoreResult: true, run: (_ctx, n) => n });
  const beat = app.startBeat({
    hostname: process.env.BENCH_BEAT_NAME,
    onSend: (s) => post({ type: "send", periodicTask: s.periodicTask, taskId: s.taskId, slotAt: s.slotAt.getTime(), sentAt: s.sentAt.getTime() }),
  });
  let leader = false;
  const watch = setInterval(() => {
    if (beat.isLeader() !== leader) post({ type: "leader", leader: (leader = !leader), at: Date.now() });
  }, 20);

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    clearInterval(watch);
    await beat.stop();
    await app.close();
    await db.$disconnect();
    process.exit(0);
  };
  process.on("message", (message) => message === "close" && void close());
  process.on("disconnect", () => process.exit(1)); // the parent died: do not linger
  post({ type: "ready", holder: beat.holder, pid: process.pid });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await start().catch((error: Error) => {
    process.send?.({ type: "error", message: error.message } satisfies BeatMessage);
    process.exit(1);
  });
}
