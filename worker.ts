/**
 * `npm run worker -- [-Q queues] [-c concurrency] [-P async|process] [-l loglevel]`: runs every task under
 * tasks/. In production, run the compiled copy (`npm run build` makes it): `node dist/worker.js -c 8`.
 */
import { ConfigError, parseWorkerArgs, runWorker } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";
import { besideThisModule, isCompiled } from "@/lib/entry-paths";

const argv = process.argv.slice(2);
// The process pool forks lib/celeriac/worker/child.ts through tsx, which the compiled build does not have.
if (isCompiled(import.meta.url) && !argv.some((a) => a === "-h" || a === "--help") && parseWorkerArgs(argv).pool === "process") {
  throw new ConfigError("--pool process is not available in the compiled worker (dist/worker.js) yet: run it with tsx, `npm run worker -- -P process`");
}

await runWorker(celeriac, {
  argv,
  // Next to this file: tasks/*.ts for `tsx worker.ts`, dist/tasks/*.js for `node dist/worker.js`.
  tasksDir: besideThisModule(import.meta.url, "tasks"),
  appModule: besideThisModule(import.meta.url, "lib/celery", { module: true }),
});
