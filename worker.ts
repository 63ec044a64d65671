/** `npm run worker -- [-Q queues] [-c concurrency] [-P async|process] [-l loglevel]`: runs every task under tasks/. */
import { runWorker } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";

await runWorker(celeriac, { argv: process.argv.slice(2), tasksDir: "tasks", appModule: "lib/celery.ts" });
