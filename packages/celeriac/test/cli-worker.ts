/**
 * Real `celeriac worker` processes for the framework's tests: the bin's sources through tsx, in the tests'
 * app folder (test/app: its lib/celery.ts and tasks/), as an app's own worker runs; the "source" condition
 * makes test/app's `import "celeriac"` load the sources too, so no build is needed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const APP_DIR = resolve(import.meta.dirname, "app");
const MAIN = resolve(import.meta.dirname, "../src/cli/main.ts");
/** tsx's loader, by URL (test/app has no node_modules to find it in). */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/** node's arguments for `celeriac <args>` from the sources. */
export function celeriacArgs(args: readonly string[]): string[] {
  return ["--conditions=source", "--import", TSX, MAIN, ...args];
}

export interface CliWorker {
  child: ChildProcess;
  /** Everything it printed, stdout and stderr. */
  output(): string;
  /** The exit code, or the signal's name. */
  exited: Promise<number | string | null>;
}

/**
 * Starts `celeriac worker -n <hostname> <args>` in test/app with `env` (which names the run's database, the
 * key prefix and Redis, and CELERIAC_LOG_LEVEL info for the ready line) and resolves once it is ready.
 */
export async function startCliWorker(hostname: string, args: readonly string[], env: NodeJS.ProcessEnv, readyTimeoutMs = 60_000): Promise<CliWorker> {
  const child = spawn(process.execPath, celeriacArgs(["worker", "-n", hostname, ...args]), { cwd: APP_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  let ended = false;
  const exited = new Promise<number | string | null>((done) =>
    child.on("exit", (code, signal) => {
      ended = true;
      done(code ?? signal);
    }),
  );
  const deadline = Date.now() + readyTimeoutMs;
  while (!out.includes(`${hostname} ready.`)) {
    if (ended || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`worker ${hostname} ${ended ? "exited" : "was not ready in time"}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out, exited };
}
