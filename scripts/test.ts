/**
 * `npm test`: the whole suite, in order — type checks (including compile-time type tests), unit tests,
 * integration tests on SQLite and on PostgreSQL (real Redis), then the production build (`npm run build`:
 * Next.js, and the worker, beat and CLI compiled to dist/), the fuzz suite against that build on SQLite and
 * on PostgreSQL (test/fuzz/), and the Playwright end-to-end tests in Chromium. Every step runs even when an
 * earlier one fails; the command exits non-zero if any failed and closes with one line: "N passed, N failed".
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureChromium, ensurePostgres, ensureRedis, MissingServiceError } from "./services";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const reports = mkdtempSync(join(tmpdir(), "celeriac-test-"));
const baseEnv = { ...process.env, REDIS_URL, TEST_POSTGRES_URL, NEXT_TELEMETRY_DISABLED: "1", CHECKPOINT_DISABLE: "1" };

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

function vitest(name: string, project: string, env: Record<string, string> = {}): Step {
  const file = join(reports, `${name}.json`);
  return {
    name,
    command: ["node_modules/.bin/vitest", "run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${file}`],
    env,
    counts: vitestCounts(file),
  };
}

const playwrightReport = join(reports, "e2e.json");
const steps: Step[] = [
  { name: "typecheck", command: ["node_modules/.bin/tsc", "--noEmit"] },
  vitest("unit", "unit"),
  vitest("integration-sqlite", "int", { CELERIAC_TEST_DB: "sqlite" }),
  vitest("integration-postgres", "int", { CELERIAC_TEST_DB: "postgres" }),
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

let redis;
try {
  redis = await ensureRedis(REDIS_URL);
  await ensurePostgres(TEST_POSTGRES_URL);
  ensureChromium();
} catch (error) {
  if (!(error instanceof MissingServiceError)) throw error;
  console.error(`\n${error.message}\n`);
  process.exit(1);
}

const total: Counts = { passed: 0, failed: 0 };
const summary: string[] = [];
for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.command.join(" ")}`);
  const started = Date.now();
  const run = spawnSync(step.command[0], step.command.slice(1), { env: { ...baseEnv, ...step.env }, stdio: "inherit" });
  const ok = run.status === 0;
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
redis?.kill();

console.log(`\n=== summary\n${summary.join("\n")}`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed === 0 && summary.every((l) => l.startsWith("ok")) ? 0 : 1);
