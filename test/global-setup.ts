/** Integration runs: one fresh database per run (CELERIAC_TEST_DB=sqlite|postgres), handed to every test file. */
import type { TestProject } from "vitest/node";
import { createTestDatabase } from "./databases";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const kind = process.env.CELERIAC_TEST_DB === "postgres" ? "postgres" : "sqlite";
  const database = await createTestDatabase(kind);
  project.provide("databaseUrl", database.url);
  console.log(`integration tests on ${kind}: ${database.url}`);
  return () => database.drop();
}
