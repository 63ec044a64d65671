/**
 * `npm run worker -- [-Q queues] [-c concurrency] [-P async|process] [-l loglevel]`: runs every task under
 * tasks/. In production, run the compiled copy (`npm run build` makes it): `node dist/worker.js -c 8`.
 */
import { runWorker } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";
import { besideThisModule } from "@/lib/entry-paths";

await runWorker(celeriac, {
  argv: process.argv.slice(2),
  // Next to this file: tasks/*.ts for `tsx worker.ts`, dist/tasks/*.js for `node dist/worker.js`.
  tasksDir: besideThisModule(import.meta.url, "tasks"),
  appModule: besideThisModule(import.meta.url, "lib/celery", { module: true }),
  // The process pool's children: child.ts through tsx, or dist/lib/celeriac/worker/child.js in plain node.
  childEntry: besideThisModule(import.meta.url, "lib/celeriac/worker/child", { module: true }),
});
