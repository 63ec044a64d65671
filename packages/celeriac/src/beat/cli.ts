/**
 * `npm run beat -- [-l info] [-n name]`: discover the tasks (to check arguments and route like `.delay()`),
 * check the database (startup.ts), print the banner, wait for Redis, and run the scheduler until
 * SIGTERM/SIGINT. Start as many as you like: one leads.
 */
import { parseArgs } from "node:util";
import { release, type } from "node:os";
import type { Celeriac } from "../app.js";
import { LOG_LEVELS, type LogLevel } from "../config.js";
import { ConfigError } from "../errors.js";
import { checkDatabase, exitOnStartupError, waitForBroker } from "../startup.js";
import { discoverTasks } from "../task/discover.js";
import { VERSION } from "../version.js";
import { exitOnSignals } from "../worker/shutdown.js";
import { LEASE_NAME } from "./leader.js";
import { describeSchedule } from "./schedule.js";
import { scheduleFromSpec } from "./store.js";
import { settingsDefinitions } from "./scheduler.js";

export const BEAT_USAGE = `usage: celeriac beat [options]
  -l, --loglevel <level>   ${LOG_LEVELS.join(" | ")} (default: settings.logLevel)
  -n, --hostname <name>    beat name in logs and in the lease (default: celeriac@<host>)
  -h, --help               this text`;

export function parseBeatArgs(argv: readonly string[]): { loglevel?: LogLevel; hostname?: string; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { loglevel: { type: "string", short: "l" }, hostname: { type: "string", short: "n" }, help: { type: "boolean", short: "h", default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${BEAT_USAGE}`);
  }
  const level = values.loglevel?.toLowerCase();
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`--loglevel must be one of ${LOG_LEVELS.join(", ")}`);
  return { loglevel: level as LogLevel | undefined, hostname: values.hostname, help: values.help ?? false };
}

/**
 * The beat process's main(): returns once beat runs; signals end the process. A start-up error (a bad
 * flag or setting, a database not migrated) ends it with one line on stderr and exit 78.
 */
export function runBeat(app: Celeriac, options: { argv: readonly string[]; tasksDir: string }): Promise<void> {
  return serve(app, options).catch((error: unknown) => exitOnStartupError(error, "celeriac beat"));
}

async function serve(app: Celeriac, { argv, tasksDir }: { argv: readonly string[]; tasksDir: string }): Promise<void> {
  const cli = parseBeatArgs(argv);
  if (cli.help) {
    process.stdout.write(`${BEAT_USAGE}\n`);
    return;
  }
  if (cli.loglevel) app.log.level = cli.loglevel;
  const registry = await discoverTasks(tasksDir, app.builtinTasks);
  const hostname = cli.hostname ?? app.hostname;
  const log = app.log.child({ beat: hostname });
  await checkDatabase(app, log);
  const definitions = settingsDefinitions(app.config);
  const entries = definitions.map((d) => `  . ${d.name}: ${d.task} ${describeSchedule(scheduleFromSpec(d.schedule))}`);
  const now = new Date().toISOString().replace("T", " ").slice(0, 19);
  process.stdout.write(
    [
      `celeriac beat v${VERSION} is starting (${type()}-${release()} ${now})`,
      `__    -    ... __   -        _`,
      `LocalTime -> ${now} UTC`,
      `Configuration ->`,
      `    . app -> ${app.config.appName}`,
      `    . broker -> ${app.broker.transport}`,
      `    . scheduler -> database (PeriodicTask, ${app.backend.description}) + settings.beatSchedule`,
      `    . timezone -> ${app.config.timezone}`,
      `    . maxinterval -> ${app.config.beatMaxLoopIntervalMs} ms; leader lease ${app.config.beatLockMs} ms`,
      `[schedule from settings]`,
      ...(entries.length ? entries : ["  (none)"]),
      "",
    ].join("\n") + "\n",
  );
  await waitForBroker(app, log);
  // A broker that holds no leases (an eager app's) refuses now, as a start-up error, not in a log line a turn.
  await app.broker.leaseHolder(LEASE_NAME).catch((error: unknown) => {
    if (error instanceof ConfigError) throw error; // anything else (Redis gone again) is the loop's to retry
  });
  // Said once at start; each slot of such an entry is then recorded as a FAILURE (unregistered task).
  for (const entry of definitions.filter((d) => registry.get(d.task) === undefined)) {
    log.warn({ periodicTask: entry.name, task: entry.task }, `settings.beatSchedule entry '${entry.name}' names task '${entry.task}', which is not under ${tasksDir}/`);
  }
  const beat = app.startBeat({ registry, hostname, log });
  exitOnSignals(
    async () => {
      await beat.stop();
      return { drained: true };
    },
    log,
    {
      warm: "stopping: finishing the send in progress, then releasing the lease (send the signal again to exit at once)",
      cold: "exiting now; the lease lapses on its own and another beat takes over",
      done: "beat stopped; lease released; bye",
      abandoned: "beat stopped",
    },
  );
  log.info(`beat ${beat.holder} ready.`);
}
