/**
 * `npm test`: the whole suite, in order — type checks (including compile-time type tests), unit tests,
 * integration tests on SQLite and on PostgreSQL (real Redis), those that talk to Redis once more on a local Redis
 * Cluster, then the production build (`npm run build`:
 * Next.js, and the worker, beat and CLI compiled to dist/), the fuzz suite against that build on SQLite and
 * on PostgreSQL (test/fuzz/), and the Playwright end-to-end tests in Chromium. Every step runs even when an
 * earlier one fails; the command exits non-zero if any failed and closes with one line: "N passed, N failed".
 * First it checks what the steps need (scripts/services.ts): Redis (a local redis-server started if none answers),
 * PostgreSQL (an embedded one started on a free port, TEST_POSTGRES_URL set to it, when none answers) and Chromium;
 * whatever is missing is told in one message with the one command that installs it all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { stopEmbeddedPostgres } from "./embedded-postgres";
import { MissingServiceError, prepareTestServices, type TestServices } from "./services";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const reports = mkdtempSync(join(tmpdir(), "celeriac-test-"));

interface Counts {
  passed: number;
  failed: number;
}

interface Step {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** Reads the step's test counts from its JSON report; steps without one count as one check. */
  counts?: () => Counts;
}

function vitestCounts(file: string) {
  return (): Counts => {
    const r = JSON.parse(readFileSync(file, "utf8"));
    return { passed: r.numPassedTests, failed: r.numFailedTests + (r.numFailedTestSuites ?? 0) };
  };
}

function vitest(name: string, project: string, env: Record<string, string> = {}, files: string[] = []): Step {
  const file = join(reports, `${name}.json`);
  return {
    name,
    command: ["node_modules/.bin/vitest", "run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${file}`, ...files],
    env,
    counts: vitestCounts(file),
  };
}

/** The integration test files (and folders) the Cluster pass runs. */
const CLUSTER_SUITE = [
  "packages/celeriac/src/worker/",
  "packages/celeriac/src/inspect/",
  "packages/celeriac/src/beat/",
  "packages/celeriac/src/canvas/",
  "packages/celeriac/src/dispatch/",
  "packages/celeriac/src/transaction/",
  "packages/celeriac/src/broker/unavailable.int.test.ts",
  "packages/celeriac/src/broker/key-migration",
  "test/chaos/kill-worker.int.test.ts",
  "test/chaos/poison.int.test.ts",
  "test/beat-process.int.test.ts",
  "test/process-pool.int.test.ts",
];

const playwrightReport = join(reports, "e2e.json");
const steps: Step[] = [
  // The celeriac package's build (dist/): what every process a test starts loads, as a user's app does.
  { name: "build-celeriac", command: ["npm", "run", "build:celeriac"] },
  // The demo against the package's declarations, and the package's sources with their tests.
  { name: "typecheck", command: ["npm", "run", "typecheck"] },
  vitest("unit", "unit"),
  vitest("integration-sqlite", "int", { CELERIAC_TEST_DB: "sqlite" }),
  vitest("integration-postgres", "int", { CELERIAC_TEST_DB: "postgres" }),
  // What talks to Redis — broker, worker, rate limits, revoke, inspect and control, beat, canvas, dispatch, the
  // chaos tests — again on a local 3-master Redis Cluster (packages/celeriac/test/redis-setup.ts).
  vitest("integration-cluster", "int", { CELERIAC_TEST_DB: "sqlite", CELERIAC_TEST_REDIS: "cluster" }, CLUSTER_SUITE),
  // `npm run build`, as a deployment runs it: next build, then the compiled worker, beat and CLI in dist/.
  { name: "build", command: ["npm", "run", "build"] },
  // Malformed requests to every API route of that build (next start, the compiled worker), one fresh database each.
  vitest("fuzz-sqlite", "fuzz", { CELERIAC_TEST_DB: "sqlite" }),
  vitest("fuzz-postgres", "fuzz", { CELERIAC_TEST_DB: "postgres" }),
  {
    name: "e2e",
    command: ["node_modules/.bin/playwright", "test", "--reporter=list,json"],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport },
    counts: () => {
      const { stats } = JSON.parse(readFileSync(playwrightReport, "utf8"));
      return { passed: stats.expected + stats.flaky, failed: stats.unexpected };
    },
  },
];

// What was started for the run (a redis-server, an embedded PostgreSQL) stops with it, on Ctrl+C or a kill too: the
// steps run as children awaited (not spawnSync), so that these handlers get to run.
let services: TestServices | undefined;
let current: ChildProcess | undefined;
async function stopServices(): Promise<void> {
  await services?.stop();
  await stopEmbeddedPostgres(); // one still starting when interrupted
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    current?.kill(signal); // Ctrl+C reached it already, through the terminal; a kill reaches only this process
    void stopServices().finally(() => process.exit(128 + constants.signals[signal]));
  });
}

try {
  services = await prepareTestServices(REDIS_URL, process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test");
} catch (error) {
  if (!(error instanceof MissingServiceError)) throw error;
  console.error(`\n${error.message}\n`);
  process.exit(1);
}
for (const note of services.notes) console.log(note);
const baseEnv = { ...process.env, REDIS_URL, TEST_POSTGRES_URL: services.postgresUrl, NEXT_TELEMETRY_DISABLED: "1", CHECKPOINT_DISABLE: "1" };

/** Runs a step's command with the terminal; resolves to its exit code (null when it could not start or was killed). */
function run(command: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env, stdio: "inherit" });
    current = child;
    child.once("error", () => resolve(null));
    child.once("close", (code) => resolve(code));
  });
}

const total: Counts = { passed: 0, failed: 0 };
const summary: string[] = [];
try {
  for (const step of steps) {
    console.log(`\n=== ${step.name}: ${step.command.join(" ")}`);
    const started = Date.now();
    const ok = (await run(step.command, { ...baseEnv, ...step.env })) === 0;
    let counts: Counts = ok ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
    if (step.counts) {
      try {
        counts = step.counts();
        if (!ok && counts.failed === 0) counts.failed = 1; // the runner failed outside any test
      } catch {
        counts = { passed: 0, failed: 1 }; // no report: the runner did not get to run the tests
      }
    }
    total.passed += counts.passed;
    total.failed += counts.failed;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    summary.push(`${ok ? "ok  " : "FAIL"} ${step.name.padEnd(22)} ${String(counts.passed).padStart(4)} passed ${String(counts.failed).padStart(3)} failed  ${seconds}s`);
  }
} finally {
  await stopServices();
}

console.log(`\n=== summary\n${summary.join("\n")}`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed === 0 && summary.every((l) => l.startsWith("ok")) ? 0 : 1);
