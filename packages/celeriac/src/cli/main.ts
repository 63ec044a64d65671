#!/usr/bin/env node
/**
 * The `celeriac` command (Celery's `celery -A proj worker|beat|inspect|purge`), run by npm scripts or npx
 * in the app's folder: it loads the app module (app-module.ts: lib/celery.ts by default, or --app) and
 * hands the rest of the command line to the worker, beat or inspect CLI. `init` adds celeriac to a project.
 */
import { runBeat } from "../beat/cli.js";
import { ConfigError } from "../errors.js";
import { runInspectCli } from "../inspect/cli.js";
import { exitOnStartupError } from "../startup.js";
import { VERSION } from "../version.js";
import { runWorker } from "../worker/cli.js";
import type { Celeriac } from "../app.js";
import { findAppModule, loadApp, type AppModuleRef } from "./app-module.js";

export const USAGE = `usage: celeriac <command> [--app <module>[:export]] [options]

commands:
  worker      run tasks (celeriac worker --help for its options)
  beat        send periodic tasks (celeriac beat --help)
  inspect     what workers and beat are doing: inspect active|scheduled|registered|stats|beat [--json]
  purge       empty queues: purge [-Q a,b] --force
  init        add celeriac to this project (lib/celery.ts, tasks/, the Prisma models, npm scripts)

  -A, --app   the module that exports the app (default: lib/celery.ts, or package.json "celeriac.app")
  --version   the version of celeriac`;

/** Takes `-A x`, `--app x` or `--app=x` out of the arguments. */
export function takeAppFlag(argv: readonly string[]): { app?: string; rest: string[] } {
  const rest: string[] = [];
  let app: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-A" || arg === "--app") {
      app = argv[++i];
      if (app === undefined) throw new ConfigError(`${arg} needs a module path, e.g. ${arg} lib/celery.ts`);
    } else if (arg.startsWith("--app=")) app = arg.slice("--app=".length);
    else rest.push(arg);
  }
  return { app, rest };
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...args] = argv;
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
  if (command !== "worker" && command !== "beat" && command !== "inspect" && command !== "purge") {
    process.stderr.write(`error: unknown command '${command}'\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  let parsed: { ref: AppModuleRef; rest: string[]; app: Celeriac };
  try {
    const { app: flag, rest } = takeAppFlag(args);
    const ref = findAppModule(flag);
    parsed = { ref, rest, app: await loadApp(ref) };
  } catch (error) {
    return exitOnStartupError(error, label);
  }
  const { ref, rest, app } = parsed;
  const appModule = ref.exportName !== undefined ? `${ref.path}:${ref.exportName}` : ref.path;
  if (command === "worker") await runWorker(app, { argv: rest, tasksDir: app.config.tasksDir, appModule });
  else if (command === "beat") await runBeat(app, { argv: rest, tasksDir: app.config.tasksDir });
  else process.exitCode = await runInspectCli(app, [command, ...rest]);
}

await main(process.argv.slice(2));
