/**
 * End-to-end tests: Chromium drives the demo app (e2e/*.spec.ts) while a real worker runs the tasks.
 *
 * BUILD FIRST: this config serves the production build with `next start`; it does not build. Run
 * `NEXT_TELEMETRY_DISABLED=1 npx next build && npx playwright test` (npm test does both, in that order).
 *
 * What a run uses, so it never collides with dev or other test runs:
 * - its own SQLite file, e2e.db, deleted and migrated fresh before the worker starts;
 * - its own Redis key prefix (CELERIAC_KEY_PREFIX=e2e-<pid>-<random>) on the Redis at REDIS_URL
 *   (default redis://127.0.0.1:6379), which must already be running; the keys are deleted afterwards;
 * - Debian's Chromium at /usr/bin/chromium (no Playwright browser download: never `playwright install`);
 * - port 3100 on 127.0.0.1 (the run fails at once if something already listens there).
 * Both servers get the same DATABASE_URL and CELERIAC_KEY_PREFIX through process.env, which Playwright
 * hands to webServer commands and test workers. The `??=` keep the values the main process chose when
 * this file is loaded again in a test worker.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { defineConfig } from "@playwright/test";

const root = import.meta.dirname;
process.env.DATABASE_URL ??= `file:${resolve(root, "e2e.db")}`;
process.env.CELERIAC_KEY_PREFIX ??= `e2e-${process.pid}-${randomBytes(3).toString("hex")}`;
process.env.REDIS_URL ??= "redis://127.0.0.1:6379";
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";

const databaseFile = process.env.DATABASE_URL.startsWith("file:") ? process.env.DATABASE_URL.slice("file:".length) : null;
// A fresh SQLite file per run (a PostgreSQL URL is used as given; migrate deploy brings it up to date).
const freshDatabase = databaseFile
  ? `rm -f '${databaseFile}' '${databaseFile}-journal' '${databaseFile}-wal' '${databaseFile}-shm' && `
  : "";

const env = {
  DATABASE_URL: process.env.DATABASE_URL,
  CELERIAC_KEY_PREFIX: process.env.CELERIAC_KEY_PREFIX,
  REDIS_URL: process.env.REDIS_URL,
  NEXT_TELEMETRY_DISABLED: "1",
  CHECKPOINT_DISABLE: "1",
};

export default defineConfig({
  testDir: "e2e",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: "list",
  outputDir: "test-results",
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    baseURL: "http://127.0.0.1:3100",
    browserName: "chromium",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // Started in this order and stopped in reverse; SIGTERM lets the worker finish its running task.
  webServer: [
    {
      name: "worker",
      command: `${freshDatabase}node_modules/.bin/prisma migrate deploy >/dev/null && exec node_modules/.bin/tsx worker.ts`,
      env,
      // The worker's last start-up line is `celeriac@<host> ready.` (it has no port to poll).
      wait: { stdout: /celeriac@\S+ ready\./ },
      timeout: 60_000,
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      name: "next",
      command: "exec node_modules/.bin/next start -p 3100 -H 127.0.0.1",
      env,
      url: "http://127.0.0.1:3100/",
      reuseExistingServer: false,
      timeout: 60_000,
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
  ],
});
