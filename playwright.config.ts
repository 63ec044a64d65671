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
 * - port 3100 on 127.0.0.1, or E2E_PORT (the run fails at once if something already listens there);
 * - its own dev SMTP inbox (scripts/mail-sink.ts) on 127.0.0.1:2526, or E2E_SMTP_PORT, so a dev inbox on 2525 is left alone:
 *   the worker sends mail there, the sink stores it in e2e.db, and the tests read it at /dev/mailbox
 *   (CELERIAC_DEV_INBOX=1 shows those pages under `next start`);
 * - a fixed SECRET_KEY, so a test can sign a reset token the server accepts (e2e/accounts.spec.ts);
 * - its own UPLOAD_DIR under the system's temporary folder (the upload demo's files), deleted afterwards.
 * All servers get the same environment (set below, overriding the shell's).
 */
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defineConfig } from "@playwright/test";

// Always this file, whatever DATABASE_URL the shell has: the run deletes it, so it must never be dev.db.
const databaseFile = resolve(import.meta.dirname, "e2e.db");
process.env.DATABASE_URL = `file:${databaseFile}`;
// Always a prefix of its own, whatever CELERIAC_KEY_PREFIX the shell has (this worker must not take
// dev's jobs). Made up once, by the main process; test workers load this file again and inherit it.
process.env.E2E_KEY_PREFIX ??= `e2e-${process.pid}-${randomBytes(3).toString("hex")}`;
process.env.CELERIAC_KEY_PREFIX = process.env.E2E_KEY_PREFIX;
process.env.REDIS_URL ??= "redis://127.0.0.1:6379";
// Fixed, not the shell's: the tests sign tokens with it (read it from process.env.SECRET_KEY).
process.env.SECRET_KEY = "e2e-only-secret-key-Qm7vXc2Rt9LpWz4N"; // strong enough for `next start` (lib/env.ts)
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";
// The ports, so the suite can run beside another app; the specs read the origin from e2e/origin.ts.
process.env.E2E_PORT ??= "3100";
process.env.E2E_SMTP_PORT ??= "2526";
const ORIGIN = `http://127.0.0.1:${process.env.E2E_PORT}`;
// The upload demo's files (e2e/uploads.spec.ts) in a folder of this run's own, removed by global-teardown.ts.
process.env.E2E_UPLOAD_DIR = join(tmpdir(), `celeriac-${process.env.E2E_KEY_PREFIX}-uploads`);

// A fresh database per run: delete the file (and SQLite's side files), then migrate it from scratch.
const freshDatabase = ["", "-journal", "-wal", "-shm"].map((suffix) => `'${databaseFile}${suffix}'`).join(" ");

const env = {
  DATABASE_URL: process.env.DATABASE_URL,
  CELERIAC_KEY_PREFIX: process.env.CELERIAC_KEY_PREFIX,
  REDIS_URL: process.env.REDIS_URL,
  NEXT_TELEMETRY_DISABLED: "1",
  CHECKPOINT_DISABLE: "1",
  CELERIAC_ALWAYS_EAGER: "0", // the point is the real worker, even if the shell says otherwise
  SECRET_KEY: process.env.SECRET_KEY,
  EMAIL_URL: `smtp://127.0.0.1:${process.env.E2E_SMTP_PORT}`,
  CELERIAC_DEV_INBOX: "1",
  APP_URL: ORIGIN,
  // Every test logs in from 127.0.0.1: the per-IP login limit (20 in 15 minutes) would count the whole suite
  // as one client. The per-address limit stays at its default; no spec fails more than twice for one address.
  LOGIN_IP_LIMIT: "1000",
  // The page demo (e2e/pages.spec.ts) fetches this app's own sample page, on loopback, which it refuses by default.
  PAGES_ALLOW_PRIVATE_HOSTS: "1",
  UPLOAD_DIR: process.env.E2E_UPLOAD_DIR,
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
    baseURL: ORIGIN,
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
      command: `rm -f ${freshDatabase} && node_modules/.bin/prisma migrate deploy >/dev/null && exec node_modules/.bin/tsx worker.ts`,
      env,
      // The worker's last start-up line is `celeriac@<host> ready.` (it has no port to poll).
      wait: { stdout: /celeriac@\S+ ready\./ },
      timeout: 60_000,
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      // After the worker: it writes to e2e.db, which exists once the worker's command has migrated it.
      name: "mail-sink",
      command: "exec node_modules/.bin/tsx scripts/mail-sink.ts",
      env,
      wait: { stdout: /listening/ },
      timeout: 30_000,
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
    {
      name: "next",
      command: `exec node_modules/.bin/next start -p ${process.env.E2E_PORT} -H 127.0.0.1`,
      env,
      url: `${ORIGIN}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
  ],
});
