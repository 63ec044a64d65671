/**
 * Section 10's raw BullMQ worker process: a no-op processor on each queue given, no result storage, the ceiling
 * the production workers are set against. Run as `node --import tsx bench/scale-raw-worker.ts '<json>'` with
 * { url, queues: [{ name, prefix }], concurrency } (BullMQ's concurrency, per queue, as celeriac's -c).
 * Prints "ready." once every queue's worker is connected; on SIGTERM closes them and prints one JSON line:
 * { completed, lastAt } (jobs completed here, and the epoch ms of the last one).
 */
import { Worker } from "bullmq";
import { createRedisConnection } from "celeriac";

interface RawWorkerConfig {
  url: string;
  queues: { name: string; prefix: string }[];
  concurrency: number;
}

const config = JSON.parse(process.argv[2]) as RawWorkerConfig;
const connection = createRedisConnection(config.url, { maxRetriesPerRequest: null });
let completed = 0;
let lastAt = 0;
const workers = config.queues.map(({ name, prefix }) => new Worker(name, async () => "SUCCESS", { connection, prefix, concurrency: config.concurrency }));
for (const worker of workers) {
  worker.on("completed", () => {
    completed++;
    lastAt = Date.now();
  });
  worker.on("error", (error) => process.stderr.write(`raw worker: ${error.message}\n`));
}
process.once("SIGTERM", () => {
  void Promise.all(workers.map((w) => w.close())).then(() => {
    process.stdout.write(`${JSON.stringify({ completed, lastAt })}\n`);
    connection.disconnect();
    process.exit(0);
  });
});
await Promise.all(workers.map((w) => w.waitUntilReady()));
process.stdout.write("ready.\n");
