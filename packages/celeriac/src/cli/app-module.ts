/**
 * Finding and loading the app's composition root (Celery's `-A proj`): the module that calls
 * createCeleriac() and exports the result. Used by the `celeriac` command and by process-pool children.
 *
 * Which module: `--app <path>[:export]`, else CELERIAC_APP, else package.json's `"celeriac": { "app" }`,
 * else the first of DEFAULT_APP_MODULES that exists. Which export: the one named after the colon, else
 * `celeriac`, else the default export. A TypeScript module is loaded through tsx (a dependency of this
 * package), which also honours the project's tsconfig paths (`@/…`).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Celeriac } from "../app.js";
import { ConfigError } from "../errors.js";

export const DEFAULT_APP_MODULES = ["lib/celery.ts", "src/lib/celery.ts", "lib/celery.js", "src/lib/celery.js", "celery.ts", "celery.js"] as const;
const TYPESCRIPT = /\.[cm]?tsx?$/;

export interface AppModuleRef {
  /** Path of the module, relative to the working directory or absolute. */
  path: string;
  /** The export holding the app; undefined: `celeriac`, else the default export. */
  exportName?: string;
}

/** Parses `path[:export]`; a trailing colon names no export. */
export function parseAppRef(text: string): AppModuleRef {
  const colon = text.lastIndexOf(":");
  // A colon after the last slash names an export; Windows drive letters ("C:\…") have a slash after theirs.
  if (colon > 0 && !/[\\/]/.test(text.slice(colon))) {
    const exportName = text.slice(colon + 1);
    return exportName ? { path: text.slice(0, colon), exportName } : { path: text.slice(0, colon) };
  }
  return { path: text };
}

function fromPackageJson(cwd: string): string | undefined {
  const file = resolve(cwd, "package.json");
  if (!existsSync(file)) return undefined;
  try {
    const app = (JSON.parse(readFileSync(file, "utf8")) as { celeriac?: { app?: unknown } }).celeriac?.app;
    return typeof app === "string" ? app : undefined;
  } catch {
    throw new ConfigError(`package.json in ${cwd} is not valid JSON`);
  }
}

/** Where the app module is, from the flag, the environment, package.json or the defaults; throws ConfigError when none exists. */
export function findAppModule(flag: string | undefined, cwd = process.cwd(), env = process.env): AppModuleRef {
  const named = flag ?? env.CELERIAC_APP ?? fromPackageJson(cwd);
  if (named !== undefined) {
    const by = flag !== undefined ? "--app" : env.CELERIAC_APP !== undefined ? "CELERIAC_APP" : 'package.json "celeriac.app"';
    if (!named.trim()) throw new ConfigError(`${by} needs a module path, e.g. lib/celery.ts (it is empty)`);
    // A file named with a colon ("odd:name.ts") is that file when it exists, not an export of "odd".
    const ref = isFile(resolve(cwd, named)) ? { path: named } : parseAppRef(named);
    const file = resolve(cwd, ref.path);
    if (!existsSync(file)) throw new ConfigError(`the app module '${ref.path}' does not exist (named by ${by})`);
    if (!isFile(file)) throw new ConfigError(`the app module '${ref.path}' is a folder, not a module (named by ${by}): name the file, e.g. ${ref.path}/celery.ts`);
    return ref;
  }
  const found = DEFAULT_APP_MODULES.find((path) => existsSync(resolve(cwd, path)));
  if (found === undefined) {
    throw new ConfigError(`could not find the app module (the file that calls createCeleriac()): looked for ${DEFAULT_APP_MODULES.join(", ")}; pass --app <path>, or run npx celeriac init to create lib/celery.ts`);
  }
  return { path: found };
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isCeleriac(value: unknown): value is Celeriac {
  const app = value as Partial<Celeriac> | null;
  return typeof app === "object" && app !== null && typeof app.task === "function" && typeof app.startWorker === "function" && typeof app.config === "object";
}

let tsxRegistered = false;

/** Imports the app module and returns its app. */
export async function loadApp(ref: AppModuleRef): Promise<Celeriac> {
  if (TYPESCRIPT.test(ref.path) && !tsxRegistered && !process.execArgv.some((arg) => arg.includes("tsx"))) {
    const { register } = await import("tsx/esm/api");
    register();
    tsxRegistered = true;
  }
  const exports = (await import(pathToFileURL(resolve(ref.path)).href)) as Record<string, unknown>;
  const names = ref.exportName !== undefined ? [ref.exportName] : ["celeriac", "default"];
  const name = names.find((n) => isCeleriac(exports[n]));
  if (name === undefined) {
    const wanted = ref.exportName !== undefined ? `an export named '${ref.exportName}'` : "an export named 'celeriac' or a default export";
    throw new ConfigError(`${ref.path} has no celeriac app: it needs ${wanted} holding what createCeleriac() returned`);
  }
  return exports[name] as Celeriac;
}
