/**
 * `npm run worker -- [-Q queues] [-c concurrency] [-P async|process] [-l loglevel]`: runs every task under
 * tasks/. In production, run the compiled copy (`npm run build` makes it): `node dist/worker.js -c 8`.
 */
import { exitOnStartupError } from "celeriac";
import { runWorker } from "celeriac/cli";
import { besideThisModule } from "@/lib/entry-paths";

// Imported here, not at the top: a bad setting met while creating the app is one line and exit 78 too.
const { celeriac } = await import("@/lib/celery").catch((error: unknown) => exitOnStartupError(error, "celeriac worker"));

await runWorker(celeriac, {
  argv: process.argv.slice(2),
  // Next to this file: tasks/*.ts for `tsx worker.ts`, dist/tasks/*.js for `node dist/worker.js`.
  tasksDir: besideThisModule(import.meta.url, "tasks"),
  appModule: besideThisModule(import.meta.url, "lib/celery", { module: true }),
});
