import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          environment: "node",
          pool: "forks",
          include: ["lib/**/*.test.ts", "tasks/**/*.test.ts", "test/**/*.test.ts", "app/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
        },
      },
      {
        // Real Redis and a real database (SQLite or PostgreSQL, per CELERIAC_TEST_DB), created fresh
        // for the run by test/global-setup.ts; every test file uses its own Redis key prefix.
        resolve: { alias },
        test: {
          name: "int",
          environment: "node",
          pool: "forks",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The fuzz suite (test/fuzz/): malformed requests to every API route of the production build, which
        // it serves itself on a fresh database (CELERIAC_TEST_DB=sqlite|postgres); run after `npm run build`.
        resolve: { alias },
        test: {
          name: "fuzz",
          environment: "node",
          pool: "forks",
          include: ["test/fuzz/**/*.fuzz.ts"],
          testTimeout: 150_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
