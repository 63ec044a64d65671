/**
 * `npm run worker -- [-Q default,heavy] [-c 8] [-l info] [-n name]`: discover the tasks, print the banner,
 * serve the queues until SIGTERM/SIGINT. By default a worker serves the default queue and every queue a
 * discovered task names, so one `npm run worker` runs every task; -Q narrows it (Celery's -Q).
 */
import { parseArgs } from "node:util";
import type { Celeriac } from "../app";
import { LOG_LEVELS, queueNameSchema, type LogLevel } from "../config";
import { ConfigError } from "../errors";
import { discoverTasks } from "../task/discover";
import { startRelay } from "../transaction/relay";
import { VERSION } from "../version";
import { renderBanner } from "./banner";
import { exitOnSignals } from "./shutdown";

export const WORKER_USAGE = `usage: npm run worker -- [options]
  -Q, --queues <a,b>       queues to consume (default: the default queue and every queue a task names)
  -c, --concurrency <n>    tasks run at once, per queue (default: settings.concurrency, the CPU count)
  -l, --loglevel <level>   ${LOG_LEVELS.join(" | ")} (default: settings.logLevel)
  -n, --hostname <name>    worker name (default: celeriac@<host>)
  -h, --help               this text`;

export interface WorkerCliOptions {
  queues?: string[];
  concurrency?: number;
  loglevel?: LogLevel;
  hostname?: string;
  help: boolean;
}

export function parseWorkerArgs(argv: readonly string[]): WorkerCliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        queues: { type: "string", short: "Q" },
        concurrency: { type: "string", short: "c" },
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
  const options: WorkerCliOptions = { help: values.help ?? false, hostname: values.hostname };
  if (values.queues !== undefined) {
    options.queues = values.queues.split(",").map((q) => q.trim()).filter(Boolean);
    const bad = options.queues.find((q) => !queueNameSchema.safeParse(q).success);
    if (bad !== undefined || options.queues.length === 0) throw new ConfigError(`--queues: invalid queue name '${bad ?? ""}'`);
  }
  if (values.concurrency !== undefined) {
    const n = Number(values.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ConfigError(`--concurrency must be an integer from 1 to 1000, got '${values.concurrency}'`);
    options.concurrency = n;
  }
  if (values.loglevel !== undefined) {
    const level = values.loglevel.toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`--loglevel must be one of ${LOG_LEVELS.join(", ")}`);
    options.loglevel = level as LogLevel;
  }
  return options;
}

/** The worker process's main(): returns once the worker is ready; signals end the process. */
export async function runWorker(app: Celeriac, { argv, tasksDir }: { argv: readonly string[]; tasksDir: string }): Promise<void> {
  const cli = parseWorkerArgs(argv);
  if (cli.help) {
    process.stdout.write(`${WORKER_USAGE}\n`);
    return;
  }
  if (cli.loglevel) app.log.level = cli.loglevel;
  const registry = await discoverTasks(tasksDir);
  const tasks = registry.all();
  const queues = cli.queues ?? [...new Set([app.config.defaultQueue, ...tasks.flatMap((t) => (t.queue ? [t.queue] : []))])];
  const concurrency = cli.concurrency ?? app.config.concurrency;
  const hostname = cli.hostname ?? app.hostname;
  process.stdout.write(
    renderBanner({
      hostname,
      version: VERSION,
      app: app.config.appName,
      transport: app.broker.transport,
      results: app.backend.description,
      concurrency,
      pool: "async",
      queues,
      tasks: registry.names(),
    }) + "\n",
  );
  const log = app.log.child({ worker: hostname });
  const worker = await app.startWorker({ registry, queues, concurrency, hostname, log });
  // Durable dispatches that their web process could not send after the commit are sent from here.
  const relay = startRelay({ outbox: app.outbox, broker: app.broker, log });
  exitOnSignals(async () => {
    await relay.stop();
    return worker.stop();
  }, log);
  log.info(`${hostname} ready.`);
}
