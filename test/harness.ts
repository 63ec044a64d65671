/**
 * An isolated celeriac app for one of the demo's integration test files: the run's database (or
 * `settings.databaseUrl`, one a test made) through the demo's own client, the real Redis, and a key prefix
 * of its own — the framework's harness (packages/celeriac/test/harness.ts) over the demo's models.
 */
import { inject } from "vitest";
import type { CeleriacOptions } from "celeriac";
import { createDb, type Db } from "@/lib/db";
import { harnessOver, type Harness as AnyHarness } from "../packages/celeriac/test/harness";

export type Harness = AnyHarness<Db>;

export function createHarness(label: string, settings: Omit<Partial<CeleriacOptions>, "prisma"> = {}): Harness {
  const databaseUrl = settings.databaseUrl ?? inject("databaseUrl");
  return harnessOver(label, createDb(databaseUrl), databaseUrl, settings);
}
