/**
 * Paths the entry points (worker.ts, beat.ts) hand to the framework, found next to the entry module itself
 * rather than in the current directory: `tsx worker.ts` finds tasks/*.ts and lib/celery.ts, the compiled
 * `node dist/worker.js` finds dist/tasks/*.js and dist/lib/celery.js, from any working directory.
 */
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `path` resolved against the directory of the module at `entryUrl` (its import.meta.url): a directory,
 * or with `module`, a module named without its extension, which gets the entry's own (.ts or .js).
 * Relative to the working directory when inside it ("tasks", "dist/tasks"), for shorter messages.
 */
export function besideThisModule(entryUrl: string, path: string, { module = false } = {}): string {
  const extension = module ? (isCompiled(entryUrl) ? ".js" : ".ts") : "";
  const absolute = fileURLToPath(new URL(`./${path}${extension}`, entryUrl));
  const fromCwd = relative(process.cwd(), absolute);
  return fromCwd && !fromCwd.startsWith("..") && !isAbsolute(fromCwd) ? fromCwd : absolute;
}

/** Whether the module at `entryUrl` is compiled JavaScript (dist/…js) rather than TypeScript run by tsx. */
export function isCompiled(entryUrl: string): boolean {
  return !/\.[cm]?tsx?$/.test(new URL(entryUrl).pathname);
}
