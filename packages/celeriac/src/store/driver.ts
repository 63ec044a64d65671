/**
 * The database drivers are the app's choice (optional peer dependencies): an app on SQLite has no `pg`,
 * one on PostgreSQL may have no `better-sqlite3`. Each is loaded when a store for its URL is opened, with
 * require() because both are CommonJS and stores open synchronously (createCeleriac runs at import). Each
 * require names its package literally: a bundler that takes this package in (Next, for a linked workspace
 * package) resolves a literal and refuses an expression.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { ConfigError } from "../errors.js";

const load = createRequire(import.meta.url);

/** `get()`'s driver; a ConfigError naming npm install when the driver itself is not installed. Exported for its test. */
export function required<T>(name: string, database: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    // Only the driver's own absence: a module an installed driver cannot find (a broken install) is its error.
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== "MODULE_NOT_FOUND" || !String(message).startsWith(`Cannot find module '${name}'`)) throw error;
    throw new ConfigError(`celeriac reaches ${database} through the '${name}' package, which is not installed: npm install ${name}`, { cause: error });
  }
}

export const loadPg = (): typeof pg => required("pg", "PostgreSQL", () => load("pg") as typeof pg);
export const loadBetterSqlite3 = (): typeof BetterSqlite3 => required("better-sqlite3", "SQLite", () => load("better-sqlite3") as typeof BetterSqlite3);
