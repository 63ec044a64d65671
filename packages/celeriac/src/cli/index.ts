/**
 * `celeriac/cli`: the process mains, for an app that writes its own worker.ts / beat.ts instead of running the
 * `celeriac` command (e.g. to compile them with the app). Kept out of the main entry: web servers import
 * `celeriac`, and bundlers (Next) must not trace the process pool's TypeScript loader from there.
 */
export { runWorker, parseWorkerArgs, WORKER_USAGE, type RunWorkerOptions } from "../worker/cli.js";
export { startProcessPool, type ProcessPool, type ProcessPoolOptions } from "../worker/process-pool.js";
export { runBeat, parseBeatArgs, BEAT_USAGE } from "../beat/cli.js";
export { runInspectCli } from "../inspect/cli.js";
export { findAppModule, loadApp, parseAppRef, type AppModuleRef } from "./app-module.js";
