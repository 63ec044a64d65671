/**
 * Points the app's own glue (lib/env, lib/db, lib/celery) at this test run's database and a fresh Redis
 * key prefix. lib/env reads the environment once, on import, so call this before importing anything that
 * imports it (use dynamic `await import(...)` after the call).
 */
import { inject } from "vitest";
import { uniquePrefix } from "./redis";

export function pointAppAtTestRun(label: string): { databaseUrl: string; keyPrefix: string } {
  const databaseUrl = inject("databaseUrl");
  const keyPrefix = uniquePrefix(label);
  Object.assign(process.env, { DATABASE_URL: databaseUrl, CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_LOG_LEVEL: "silent" });
  return { databaseUrl, keyPrefix };
}
