/**
 * `npm run celeriac -- inspect active|scheduled|registered|stats [--json]`, `purge [-Q a,b] --force` and
 * `control shutdown <worker>|pause <queue>|resume <queue>`: Celery's `celery inspect …`, `celery purge` and
 * `celery control …`, over the workers' heartbeats, the queues and the control channel in Redis. Exit
 * codes: 0 done; 1 refused or failed (purge without --force, an unknown queue or worker, Redis not
 * answering); 2 bad usage; 69 no worker is running (Celery's EX_UNAVAILABLE, for active/registered/stats);
 * 78 the database is not migrated or does not answer (EX_CONFIG, as the worker and beat: `inspect beat` reads it).
 */
import { parseArgs } from "node:util";
import type { PeriodicTaskStore } from "../beat/store.js";
import type { BrokerInspection, Leases, TaskControl, TaskTransport } from "../broker/broker.js";
import { queueNameSchema } from "../config.js";
import { BrokerUnavailableError, ConfigError, NotFoundError } from "../errors.js";
import type { ResultBackend } from "../results/backend.js";
import type { SchemaMonitor } from "../results/schema-monitor.js";
import { checkDatabaseOnce, EX_CONFIG, isStartupError } from "../startup.js";
import { active, beatStatus, knownQueues, pauseQueue, purge, purgeable, registered, resumeQueue, scheduled, shutdown, stats } from "./inspect.js";
import { renderActive, renderBeat, renderPurge, renderQueueControl, renderRegistered, renderScheduled, renderShutdown, renderStats } from "./render.js";

export const INSPECT_USAGE = `usage: celeriac <command> [options]

commands:
  inspect active        tasks running now, per worker
  inspect scheduled     tasks waiting for their time (countdown, eta, retry backoff), per queue
  inspect registered    the task names each worker runs
  inspect stats         per worker: pid, uptime, concurrency, queues, task counts; per queue: jobs by state
  inspect beat          the beat leader, and every periodic task with its last and next run
  purge -Q a,b --force  delete the waiting and delayed tasks of queues a and b (running ones go on);
                        without -Q, of every known queue
  control shutdown <w>  warm shutdown of worker w, named by its id (inspect stats) or its hostname (every
                        worker of it): it takes no new tasks, finishes the running ones, then exits
  control pause <q>     workers take no new tasks from queue q (running ones finish; the rest wait)
  control resume <q>    workers take tasks from the paused queue q again

options:
  --json                print JSON instead of tables
  -Q, --queues <a,b>    purge: the queues to empty
  -f, --force           purge: really delete (there is no prompt; without it purge only says what it would do)
  -h, --help            this text`;

export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 69, config: EX_CONFIG } as const;

const INSPECT_COMMANDS = ["active", "scheduled", "registered", "stats", "beat"] as const;
export type InspectWhat = (typeof INSPECT_COMMANDS)[number];

const CONTROL_ACTIONS = ["shutdown", "pause", "resume"] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export type InspectCommand =
  | { command: "help" }
  | { command: "inspect"; what: InspectWhat; json: boolean }
  | { command: "purge"; queues: string[] | undefined; force: boolean; json: boolean }
  /** `target`: the worker (shutdown) or the queue (pause, resume). */
  | { command: "control"; action: ControlAction; target: string; json: boolean };

/** Reads the command line; throws ConfigError (with what was wrong) on anything it does not understand. */
export function parseInspectArgs(argv: readonly string[]): InspectCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        json: { type: "boolean", default: false },
        queues: { type: "string", short: "Q" },
        force: { type: "boolean", short: "f", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const [command, what, ...extra] = positionals;
  if (command === undefined) throw new ConfigError("missing command: inspect, purge or control");
  if (command === "inspect") {
    if (!(INSPECT_COMMANDS as readonly string[]).includes(what ?? "")) {
      throw new ConfigError(what === undefined ? "inspect what? active, scheduled, registered, stats or beat" : `unknown inspect command '${what}'`);
    }
    if (extra.length) throw new ConfigError(`unexpected argument '${extra[0]}'`);
    if (values.queues !== undefined || values.force) throw new ConfigError("-Q/--queues and --force go with purge only");
    return { command: "inspect", what: what as InspectWhat, json: values.json ?? false };
  }
  if (command === "purge") {
    if (what !== undefined) throw new ConfigError(`unexpected argument '${what}' (name queues with -Q a,b)`);
    return { command: "purge", queues: values.queues === undefined ? undefined : parseQueues(values.queues), force: values.force ?? false, json: values.json ?? false };
  }
  if (command === "control") return parseControl(what, extra, { json: values.json ?? false, otherFlags: values.queues !== undefined || values.force === true });
  throw new ConfigError(`unknown command '${command}'`);
}

function parseControl(action: string | undefined, [target, ...extra]: string[], flags: { json: boolean; otherFlags: boolean }): InspectCommand {
  if (!(CONTROL_ACTIONS as readonly string[]).includes(action ?? "")) {
    throw new ConfigError(action === undefined ? "control what? shutdown <worker>, pause <queue> or resume <queue>" : `unknown control command '${action}'`);
  }
  const what = action === "shutdown" ? "worker (its id or hostname)" : "queue";
  if (target === undefined) throw new ConfigError(`control ${action} needs a ${what}`);
  if (extra.length) throw new ConfigError(`unexpected argument '${extra[0]}' (control ${action} takes one ${what})`);
  if (flags.otherFlags) throw new ConfigError("-Q/--queues and --force go with purge only");
  if (action !== "shutdown" && !queueNameSchema.safeParse(target).success) throw new ConfigError(`control ${action}: invalid queue name '${target}'`);
  return { command: "control", action: action as ControlAction, target, json: flags.json };
}

function parseQueues(text: string): string[] {
  const queues = [...new Set(text.split(",").map((q) => q.trim()).filter(Boolean))];
  const bad = queues.find((q) => !queueNameSchema.safeParse(q).success);
  if (bad !== undefined || queues.length === 0) throw new ConfigError(`--queues: invalid queue name '${bad ?? text}'`);
  return queues;
}

/** What the CLI needs of an app (a Celeriac fits). */
export interface InspectApp {
  /**
   * Inspection, purge and pause; beat's lease for `inspect beat`; shutdown requests; its transport names it
   * when it does not answer.
   */
  readonly broker: BrokerInspection & Pick<Leases, "leaseHolder"> & Pick<TaskControl, "shutdownWorker"> & Pick<TaskTransport, "transport">;
  readonly config: { readonly keyPrefix: string; readonly timezone: string };
  readonly periodicTasks: PeriodicTaskStore;
  /** Checked before a command that reads the database (`inspect beat`); the backend names it in the message. */
  readonly schema?: Pick<SchemaMonitor, "assertReady">;
  readonly backend?: Pick<ResultBackend, "description">;
  close(): Promise<void>;
}

export interface InspectIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Give up on a Redis that does not answer after this long. @defaultValue 10000 */
  timeoutMs?: number;
}

const processIo: InspectIo = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };

/** The `celeriac.ts` main(): runs one command, closes the app's connections, resolves the exit code. */
export async function runInspectCli(app: InspectApp, argv: readonly string[], io: InspectIo = processIo): Promise<number> {
  let command: InspectCommand;
  try {
    command = parseInspectArgs(argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`error: ${error.message}\n\n${INSPECT_USAGE}\n`);
    return EXIT.usage;
  }
  if (command.command === "help") {
    io.stdout(`${INSPECT_USAGE}\n`);
    return EXIT.ok;
  }
  const timeoutMs = io.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerUnavailableError(`the broker (${app.broker.transport}) did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const run = command.command === "inspect" ? inspect(app, command, io) : command.command === "purge" ? purgeQueues(app, command, io) : control(app, command, io);
    return await Promise.race([run, timeout]);
  } catch (error) {
    io.stderr(`Error: ${(error as Error).message}\n`);
    return isStartupError(error) ? EXIT.config : EXIT.failed;
  } finally {
    clearTimeout(timer);
    await app.close();
  }
}

async function inspect(app: InspectApp, { what, json }: { what: InspectWhat; json: boolean }, io: InspectIo): Promise<number> {
  const print = (value: unknown, text: () => string) => io.stdout(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
  if (what === "beat") {
    if (app.schema && app.backend) await checkDatabaseOnce({ schema: app.schema, backend: app.backend });
    const reply = await beatStatus(app.broker, app.periodicTasks, app.config.timezone);
    print(reply, () => renderBeat(reply));
    if (reply.leader) return EXIT.ok;
    io.stderr(`Error: no beat is running (nobody holds {${app.config.keyPrefix}}:lease:beat); start one with celeriac beat\n`);
    return EXIT.unavailable;
  }
  if (what === "scheduled") {
    const replies = await scheduled(app.broker);
    print(replies, () => renderScheduled(replies));
    return EXIT.ok;
  }
  let workers: number;
  if (what === "stats") {
    const reply = await stats(app.broker);
    print(reply, () => renderStats(reply));
    workers = reply.workers.length;
  } else if (what === "active") {
    const replies = await active(app.broker);
    if (replies.length > 0 || json) print(replies, () => renderActive(replies));
    workers = replies.length;
  } else {
    const replies = await registered(app.broker);
    if (replies.length > 0 || json) print(replies, () => renderRegistered(replies));
    workers = replies.length;
  }
  if (workers > 0) return EXIT.ok;
  io.stderr(`Error: no worker is running (no heartbeat under {${app.config.keyPrefix}}); start one with celeriac worker\n`);
  return EXIT.unavailable;
}

async function purgeQueues(app: InspectApp, command: { queues: string[] | undefined; force: boolean; json: boolean }, io: InspectIo): Promise<number> {
  const known = await knownQueues(app.broker);
  const queues = command.queues ?? known;
  const unknown = queues.filter((q) => !known.includes(q));
  if (unknown.length) {
    io.stderr(`Error: no queue named ${unknown.map((q) => `'${q}'`).join(", ")}; known queues: ${known.join(", ") || "none"}\n`);
    return EXIT.failed;
  }
  if (!command.force) {
    const n = await purgeable(app.broker, queues);
    io.stderr(
      `purge would delete ${n} waiting and delayed ${n === 1 ? "task" : "tasks"} from ${queues.join(", ") || "no queue"} for good. ` +
        "Nothing was deleted: add --force to do it (purge never prompts).\n",
    );
    return EXIT.failed;
  }
  const reply = await purge(app.broker, queues);
  io.stdout(`${command.json ? JSON.stringify(reply, null, 2) : renderPurge(reply)}\n`);
  return EXIT.ok;
}

async function control(app: InspectApp, { action, target, json }: { action: ControlAction; target: string; json: boolean }, io: InspectIo): Promise<number> {
  if (action === "shutdown") {
    const asked = await shutdown(app.broker, target);
    if (asked.length === 0) {
      const live = (await app.broker.heartbeats()).map((b) => `${b.hostname} (${b.id})`);
      io.stderr(`Error: no live worker named '${target}'; live workers: ${live.join(", ") || "none"}\n`);
      return EXIT.failed;
    }
    io.stdout(`${json ? JSON.stringify(asked, null, 2) : renderShutdown(asked)}\n`);
    return EXIT.ok;
  }
  try {
    await (action === "pause" ? pauseQueue : resumeQueue)(app.broker, target);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    io.stderr(`Error: no queue named '${target}'; known queues: ${(await knownQueues(app.broker)).join(", ") || "none"}\n`);
    return EXIT.failed;
  }
  const reply = { queue: target, paused: action === "pause" };
  io.stdout(`${json ? JSON.stringify(reply, null, 2) : renderQueueControl(reply)}\n`);
  return EXIT.ok;
}
