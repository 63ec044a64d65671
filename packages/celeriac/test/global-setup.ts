/**
 * The framework's integration tests: one fresh database per run (CELERIAC_TEST_DB=sqlite|postgres), made from
 * the package's own migration set (databases.ts) and handed to every test file as `celeriacDatabaseUrl`.
 */
import type { TestProject } from "vitest/node";
import { createTestDatabase, dbKind } from "./databases.js";

declare module "vitest" {
  export interface ProvidedContext {
    celeriacDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await createTestDatabase(dbKind(), "run");
  project.provide("celeriacDatabaseUrl", database.url);
  return () => database.drop();
}
