/**
 * Autodiscovery (Celery's autodiscover_tasks, Graphile's getTasks): import every module under the tasks
 * directory, recursively, and register every exported task. Errors name the file they come from.
 */
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, TaskDefinitionError } from "../errors.js";
import type { AnyTaskDefinition } from "./define.js";
import { Registry } from "./registry.js";

const MODULE = /\.(ts|mts|js|mjs)$/;
const NOT_A_TASK_MODULE = /\.(test|spec)\.[mc]?[jt]s$|\.d\.ts$/;

export function isTask(value: unknown): value is AnyTaskDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AnyTaskDefinition).name === "string" &&
    typeof (value as AnyTaskDefinition).run === "function" &&
    "args" in value &&
    "ignoreResult" in value
  );
}

async function listModules(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return listModules(path);
      return MODULE.test(e.name) && !NOT_A_TASK_MODULE.test(e.name) ? [path] : [];
    }),
  );
  return nested.flat().sort();
}

/** Imports every task module under `dir` and returns a registry of their exported tasks, and of `builtins`. */
export async function discoverTasks(dir: string, builtins: readonly AnyTaskDefinition[] = []): Promise<Registry> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new ConfigError(`could not find tasks to run: task directory '${dir}' does not exist`);
  const registry = new Registry();
  for (const task of builtins) registry.register(task, "(built in)");
  for (const file of await listModules(dir)) {
    const source = relative(process.cwd(), file);
    let exports: Record<string, unknown>;
    try {
      exports = await import(pathToFileURL(file).href);
    } catch (error) {
      throw new TaskDefinitionError(`could not load task module ${source}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    for (const value of Object.values(exports)) if (isTask(value)) registry.register(value, source);
  }
  return registry;
}
