import { resolve } from "node:path";
import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

const alias = { "@": resolve(import.meta.dirname) };
// Tests run the framework's TypeScript sources (packages/celeriac's "source" export condition), one copy of
// it for the test and the demo code it drives; processes a test starts run its build (dist/), as users do.
const conditions = ["source", ...defaultServerConditions];
const base = { resolve: { alias, conditions }, ssr: { resolve: { conditions } } };

export default defineConfig({
  ...base,
  test: {
    projects: [
      {
        ...base,
        test: {
          name: "unit",
          environment: "node",
          pool: "forks",
          include: ["packages/*/src/**/*.test.ts", "lib/**/*.test.ts", "tasks/**/*.test.ts", "test/**/*.test.ts", "app/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
        },
      },
      {
        // Real Redis and a real database (SQLite or PostgreSQL, per CELERIAC_TEST_DB), created fresh for the
        // run: the demo's by test/global-setup.ts, the framework's (from the package's own migrations) by
        // packages/celeriac/test/global-setup.ts; every test file uses its own Redis key prefix.
        ...base,
        test: {
          name: "int",
          environment: "node",
          pool: "forks",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**"],
          globalSetup: ["packages/celeriac/test/redis-setup.ts", "test/global-setup.ts", "packages/celeriac/test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The fuzz suite (test/fuzz/): malformed requests to every API route of the production build, which
        // it serves itself on a fresh database (CELERIAC_TEST_DB=sqlite|postgres); run after `npm run build`.
        ...base,
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
