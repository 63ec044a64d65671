/** The `celeriac` command's own arguments (main.ts), apart from the bin so that tests can import them. */
import { ConfigError } from "../errors.js";

/** Takes `-A x`, `--app x` or `--app=x` out of the arguments. */
export function takeAppFlag(argv: readonly string[]): { app?: string; rest: string[] } {
  const rest: string[] = [];
  let app: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-A" || arg === "--app") {
      app = argv[++i];
      if (app === undefined) throw new ConfigError(`${arg} needs a module path, e.g. ${arg} lib/celery.ts`);
      if (app.startsWith("-")) throw new ConfigError(`${arg} needs a module path, e.g. ${arg} lib/celery.ts (got the flag '${app}')`);
    } else if (arg.startsWith("--app=")) app = arg.slice("--app=".length);
    else rest.push(arg);
  }
  return { app, rest };
}
