/**
 * `npm run worker -- [-Q default,heavy] [-c 8] [-l info] [-n name]`: discover the tasks, check the database
 * (startup.ts: wait for it, refuse one that is not migrated), print the banner, wait for Redis, serve the
 * queues until SIGTERM/SIGINT or `celeriac control shutdown` (the same warm shutdown). By default a worker
 * serves the default queue and every queue a discovered task names, so one `npm run worker` runs every task;
 * -Q narrows it (Celery's -Q).
 */
import { parseArgs } from "node:util";
import type { Celeriac } from "../app.js";
import { concurrencyFor, LOG_LEVELS, queueNameSchema, type LogLevel } from "../config.js";
import { ConfigError } from "../errors.js";
import { checkDatabase, exitOnStartupError, waitForBroker } from "../startup.js";
import { discoverTasks } from "../task/discover.js";
import { startRelay } from "../transaction/relay.js";
import { startProcessPool } from "./process-pool.js";
import { VERSION } from "../version.js";
import { renderBanner } from "./banner.js";
import { exitOnSignals } from "./shutdown.js";

export const WORKER_USAGE = `usage: celeriac worker [options]
  -Q, --queues <a,b>       queues to consume (default: the default queue and every queue a task names)
  -c, --concurrency <n>    tasks run at once, per queue (default: settings.concurrency, else 32 with
                           the async pool, the CPU count with the process pool)
  -P, --pool <kind>        async: tasks share this process (I/O-bound work; default)
                           process: each task in a child process (CPU-bound work, hard time limits)
      --max-tasks-per-child <n>  process pool: replace a child after n tasks (default: never)
  -l, --loglevel <level>   ${LOG_LEVELS.join(" | ")} (default: settings.logLevel)
  -n, --hostname <name>    worker name (default: celeriac@<host>)
  -h, --help               this text`;

export interface WorkerCliOptions {
  queues?: string[];
  concurrency?: number;
  pool: "async" | "process";
  maxTasksPerChild?: number;
  loglevel?: LogLevel;
  hostname?: string;
  help: boolean;
}

function positiveInteger(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`${flag} must be an integer from 1 to ${max}, got '${text}'`);
  return n;
}

export function parseWorkerArgs(argv: readonly string[]): WorkerCliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        queues: { type: "string", short: "Q" },
        concurrency: { type: "string", short: "c" },
        pool: { type: "string", short: "P", default: "async" },
        "max-tasks-per-child": { type: "string" },
        loglevel: { type: "string", short: "l" },
        hostname: { type: "string", short: "n" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${WORKER_USAGE}`);
  }
  if (values.pool !== "async" && values.pool !== "process") throw new ConfigError(`--pool must be async or process, got '${values.pool}'`);
  const options: WorkerCliOptions = { help: values.help ?? false, hostname: values.hostname, pool: values.pool };
  if (values.queues !== undefined) {
    options.queues = values.queues.split(",").map((q) => q.trim()).filter(Boolean);
    const bad = options.queues.find((q) => !queueNameSchema.safeParse(q).success);
    if (bad !== undefined || options.queues.length === 0) throw new ConfigError(`--queues: invalid queue name '${bad ?? ""}'`);
  }
  if (values.concurrency !== undefined) options.concurrency = positiveInteger("--concurrency", values.concurrency, 1000);
  if (values["max-tasks-per-child"] !== undefined) {
    if (options.pool !== "process") throw new ConfigError("--max-tasks-per-child needs --pool process");
    options.maxTasksPerChild = positiveInteger("--max-tasks-per-child", values["max-tasks-per-child"], 1_000_000);
  }
  if (values.loglevel !== undefined) {
    const level = values.loglevel.toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`--loglevel must be one of ${LOG_LEVELS.join(", ")}`);
    options.loglevel = level as LogLevel;
  }
  return options;
}

export interface RunWorkerOptions {
  argv: readonly string[];
  /** Where task modules live (every module below it is imported). */
  tasksDir: string;
  /** The app module (`path[:export]`, as `celeriac --app`): process-pool children load it. */
  appModule: string;
}

/**
 * The worker process's main(): returns once the worker is ready; signals end the process. A start-up
 * error (a bad flag or setting, a database not migrated) ends it with one line on stderr and exit 78.
 */
export function runWorker(app: Celeriac, options: RunWorkerOptions): Promise<void> {
  return serve(app, options).catch((error: unknown) => exitOnStartupError(error, "celeriac worker"));
}

async function serve(app: Celeriac, { argv, tasksDir, appModule }: RunWorkerOptions): Promise<void> {
  const cli = parseWorkerArgs(argv);
  if (cli.help) {
    process.stdout.write(`${WORKER_USAGE}\n`);
    return;
  }
  if (cli.loglevel) app.log.level = cli.loglevel;
  const registry = await discoverTasks(tasksDir, app.builtinTasks);
  const tasks = registry.all();
  const queues = cli.queues ?? [...new Set([app.config.defaultQueue, ...tasks.flatMap((t) => (t.queue ? [t.queue] : []))])];
  const concurrency = cli.concurrency ?? concurrencyFor(app.config, cli.pool);
  const hostname = cli.hostname ?? app.hostname;
  const log = app.log.child({ worker: hostname });
  await checkDatabase(app, log);
  process.stdout.write(
    renderBanner({
      hostname,
      version: VERSION,
      app: app.config.appName,
      transport: app.broker.transport,
      results: app.backend.description,
      concurrency,
      pool: cli.pool,
      queues,
      tasks: registry.names(),
    }) + "\n",
  );
  await waitForBroker(app, log);
  const pool =
    cli.pool === "process"
      ? startProcessPool({ size: concurrency, appModule, tasksDir, maxTasksPerChild: cli.maxTasksPerChild, registry, backend: app.backend, config: app.config, hostname, log })
      : undefined;
  await pool?.ready();
  const worker = await app.startWorker({ registry, queues, concurrency, hostname, log, pool });
  // Durable dispatches that their web process could not send after the commit are sent from here.
  const relay = startRelay({ outbox: app.outbox, broker: app.broker, log, schema: app.schema });
  const warmShutdown = exitOnSignals(async () => {
    await relay.stop();
    return worker.stop();
  }, log);
  void worker.shutdownRequested.then(() => warmShutdown({ request: "celeriac control shutdown" }));
  log.info(`${hostname} ready.`);
}
