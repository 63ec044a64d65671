/**
 * The database drivers are the app's choice (optional peer dependencies): an app on SQLite has no `pg`,
 * one on PostgreSQL may have no `better-sqlite3`. Each is loaded when a store for its URL is opened, with
 * require() because both are CommonJS and stores open synchronously (createCeleriac runs at import).
 */
import { createRequire } from "node:module";
import { ConfigError } from "../errors.js";

const load = createRequire(import.meta.url);

export function requireDriver<T>(name: "pg" | "better-sqlite3", database: string): T {
  try {
    return load(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    throw new ConfigError(`celeriac reaches ${database} through the '${name}' package, which is not installed: npm install ${name}`, { cause: error });
  }
}
