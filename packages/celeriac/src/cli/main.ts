#!/usr/bin/env node
/**
 * The `celeriac` command (Celery's `celery -A proj worker|beat|inspect|purge|control`), run by npm scripts
 * or npx in the app's folder: it loads the app module (app-module.ts: lib/celery.ts by default, or --app)
 * and hands the rest of the command line to the worker, beat or inspect CLI (which runs purge and control too),
 * or to migrate-redis-keys. `init` adds celeriac to a project.
 */
import { BEAT_USAGE, parseBeatArgs, runBeat } from "../beat/cli.js";
import { INSPECT_USAGE, parseInspectArgs, runInspectCli } from "../inspect/cli.js";
import { MIGRATE_USAGE, parseMigrateArgs, runMigrateCli } from "./migrate-redis-keys.js";
import { exitOnStartupError } from "../startup.js";
import { VERSION } from "../version.js";
import { parseWorkerArgs, runWorker, WORKER_USAGE } from "../worker/cli.js";
import type { Celeriac } from "../app.js";
import { findAppModule, loadApp, type AppModuleRef } from "./app-module.js";
import { takeAppFlag } from "./main-args.js";

export { takeAppFlag };

export const USAGE = `usage: celeriac <command> [--app <module>[:export]] [options]

commands:
  worker      run tasks (celeriac worker --help for its options)
  beat        send periodic tasks (celeriac beat --help)
  inspect     what workers and beat are doing: inspect active|scheduled|registered|stats|beat [--json]
  purge       empty queues: purge [-Q a,b] --force
  control     control shutdown <worker> (warm) | control pause <queue> | control resume <queue>
  migrate-redis-keys [--dry-run] [--force]
              move the jobs an upgrade left under celeriac 0.2's Redis key layout to this version's
  init        add celeriac to this project (lib/celery.ts, tasks/, the Prisma models, npm scripts)

  -A, --app   the module that exports the app, before or after the command (default: lib/celery.ts,
              or package.json "celeriac.app")
  --version   the version of celeriac`;

/** The commands that load the app module. */
const APP_COMMANDS = ["worker", "beat", "inspect", "purge", "control", "migrate-redis-keys"] as const;
type AppCommand = (typeof APP_COMMANDS)[number];

/**
 * The usage text when the arguments ask for it (-h, --help), else undefined. Throws the command's
 * ConfigError for a worker or beat flag it does not know; inspect's and migrate-redis-keys' mistakes are
 * their CLIs' to report.
 */
function usageAsked(command: AppCommand, rest: readonly string[]): string | undefined {
  if (command === "worker") return parseWorkerArgs(rest).help ? WORKER_USAGE : undefined;
  if (command === "beat") return parseBeatArgs(rest).help ? BEAT_USAGE : undefined;
  if (command === "migrate-redis-keys") {
    try {
      return parseMigrateArgs(rest).help ? MIGRATE_USAGE : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    return parseInspectArgs([command, ...rest]).command === "help" ? INSPECT_USAGE : undefined;
  } catch {
    return undefined;
  }
}

/** Celery's order, `celeriac -A lib/celery.ts worker`, as well as `celeriac worker -A …`: the app flags before the command go after it. */
function commandFirst(argv: readonly string[]): string[] {
  let at = 0;
  while (at < argv.length && (argv[at] === "-A" || argv[at] === "--app" || argv[at]!.startsWith("--app="))) at += argv[at]!.startsWith("--app=") ? 1 : 2;
  const [command, ...rest] = argv.slice(at);
  return command === undefined ? [...argv] : [command, ...argv.slice(0, at), ...rest];
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...args] = commandFirst(argv);
  if (command === undefined || command === "help" || command === "-h" || command === "--help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === "--version" || command === "-V") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (command === "init") {
    const { runInit } = await import("../init/init.js");
    process.exitCode = await runInit(args);
    return;
  }
  const label = `celeriac ${command}`;
  if (!(APP_COMMANDS as readonly string[]).includes(command)) {
    process.stderr.write(`error: unknown command '${command}'\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  let parsed: { ref: AppModuleRef; rest: string[]; app: Celeriac };
  try {
    const { app: flag, rest } = takeAppFlag(args);
    // The command's usage (and a mistake in its flags) needs no app: said before the app module is looked
    // for or imported, as Celery's `celery worker --help` does.
    const usage = usageAsked(command as AppCommand, rest);
    if (usage !== undefined) {
      process.stdout.write(`${usage}\n`);
      return;
    }
    const ref = findAppModule(flag);
    parsed = { ref, rest, app: await loadApp(ref) };
  } catch (error) {
    return exitOnStartupError(error, label);
  }
  const { ref, rest, app } = parsed;
  const appModule = ref.exportName !== undefined ? `${ref.path}:${ref.exportName}` : ref.path;
  if (command === "worker") await runWorker(app, { argv: rest, tasksDir: app.config.tasksDir, appModule });
  else if (command === "beat") await runBeat(app, { argv: rest, tasksDir: app.config.tasksDir });
  else if (command === "migrate-redis-keys") process.exitCode = await runMigrateCli(app, rest);
  else process.exitCode = await runInspectCli(app, [command, ...rest]);
}

await main(process.argv.slice(2));
