/**
 * The fuzz suite (issue 11): every route and method found under app/api/ gets a corpus of malformed requests
 * (test/fuzz/corpus.ts) against the production build — `next start`, the compiled worker and the dev SMTP
 * sink — on a fresh database (CELERIAC_TEST_DB=sqlite|postgres). A test per route fails on what
 * test/fuzz/oracle.ts names (5xx, resets and hangs, stack traces and internal paths, non-JSON answers, accepted
 * cross-site writes and bad text, an admin API open to non-staff, a 405 without Allow), listing each failing
 * request as a curl command; the last test fails if a process stopped or a task and a mail no longer go
 * through end to end after the barrage. The page attacks (corpus.ts's pageCases: Next's router state header on
 * RSC requests) are judged the same way.
 *
 *   npm run build && CELERIAC_TEST_DB=postgres npx vitest run --project fuzz
 *   FUZZ_SEED=<n> (default 11; printed) and FUZZ_RUNS=<random requests per method> (default 300) vary it.
 */
import { resolve } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverRoutes } from "../api-route-files";
import { learnBodies, PLAUSIBLE_PASSWORD } from "./bodies";
import { buildRouteKeys } from "./build-routes";
import { send, type Outcome, type RawRequest } from "./client";
import { mustCases, pageCases, pathOf, routeCorpus, SESSION_KINDS, type CorpusContext, type FuzzCase, type SessionKind } from "./corpus";
import { toJsonText, type BodyObject } from "./json-text";
import { withMountedRoutes } from "./mounted-routes";
import { judge, reportFindings, type Finding } from "./oracle";
import { loggedErrors, startStack, type Stack } from "./stack";

const ROOT = resolve(import.meta.dirname, "../..");
const KIND = process.env.CELERIAC_TEST_DB === "postgres" ? "postgres" : "sqlite";

function integerEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not ${process.env[name]}`);
  return value;
}

const SEED = integerEnv("FUZZ_SEED", 11);
const RUNS = integerEnv("FUZZ_RUNS", 300);
/** Requests in flight at once (the machine has two cores, shared with the server and the worker). */
const PARALLEL = 4;
const REQUEST_TIMEOUT_MS = 15_000;

const routes = discoverRoutes(ROOT);
/** What is fuzzed: every route, and the routes of an API mounted at a catch-all (the dashboard's). */
const fuzzed = routes.flatMap((route) => withMountedRoutes(route, ROOT));
let stack: Stack;
let cookies: CorpusContext["cookies"];
/** Fixture rows made before the server starts: FIXTURES articles and admin periodic tasks (ids 1…FIXTURES). */
const FIXTURES = 6;
const knownIds: string[] = Array.from({ length: FIXTURES }, (_, i) => String(i + 1));
let users: { user: number; staff: number };
let countDevMail: (to: string) => Promise<number>;
let closeDb: () => Promise<void>;

/** A route's own seed, so adding a route leaves the others' requests as they were. */
function seedFor(template: string): number {
  let hash = SEED | 0;
  for (const c of template) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
  return hash;
}

function sameOriginJson(method: string, path: string, body: BodyObject | undefined, session: SessionKind = "staff"): RawRequest {
  const cookie = cookies[session];
  return {
    method,
    path,
    headers: [...(cookie ? ([["cookie", cookie]] as [string, string][]) : []), ["origin", stack.origin], ["sec-fetch-site", "same-origin"], ["content-type", "application/json"]],
    body: body === undefined ? undefined : Buffer.from(toJsonText(body)),
  };
}

async function jsonAnswer(request: RawRequest): Promise<{ status: number; json: Record<string, unknown> }> {
  const outcome = await send(stack.port, request, REQUEST_TIMEOUT_MS);
  if (outcome.kind !== "answer") throw new Error(`${request.method} ${request.path}: ${outcome.error}`);
  return { status: outcome.status, json: JSON.parse(outcome.body.toString("utf8") || "null") };
}

/** Sends every case, PARALLEL at a time: what the oracle found, and how many answers had each status. */
async function barrage(cases: FuzzCase[]): Promise<{ findings: Finding[]; statuses: Map<string, number> }> {
  const findings: Finding[] = [];
  const statuses = new Map<string, number>();
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const fuzzCase = cases[next++];
      const outcome: Outcome = await send(stack.port, fuzzCase.request, REQUEST_TIMEOUT_MS);
      const status = outcome.kind === "answer" ? String(outcome.status) : "transport";
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      findings.push(...judge(fuzzCase, outcome, { root: ROOT, origin: stack.origin }));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
  return { findings, statuses };
}

const web = () => stack.processes.find((p) => p.name === "next start")!;

/** Fails the test with the findings as curl commands, and the errors the server logged since `logMark`. */
function failOn(findings: Finding[], sent: string, logMark: number): void {
  if (findings.length === 0) return;
  const logged = loggedErrors(web().since(logMark));
  throw new Error(
    `${findings.length} of ${sent} went wrong (seed ${SEED}):\n\n${reportFindings(findings, stack.origin)}` +
      (logged.length ? `\n\nthe server logged meanwhile:\n${logged.map((l) => `  ${l}`).join("\n")}` : ""),
  );
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function processesDown(): string[] {
  return stack.processes.flatMap((p) => {
    const exit = p.exited();
    return exit ? [`${p.name} ${exit}; its output:\n${p.output().slice(-4000)}`] : [];
  });
}

beforeAll(async () => {
  const started = Date.now();
  console.log(`fuzz on ${KIND}: seed ${SEED} (FUZZ_SEED), ${RUNS} random requests per method (FUZZ_RUNS), ${fuzzed.length} routes (${routes.length} route files)`);
  stack = await startStack(KIND, ROOT, async (databaseUrl) => {
    // lib/env reads the environment once, on import: point it at this database first.
    Object.assign(process.env, { DATABASE_URL: databaseUrl, CELERIAC_LOG_LEVEL: "silent" });
    const { createDb } = await import("@/lib/db");
    const { PeriodicTaskStore } = await import("celeriac");
    const { hashPassword } = await import("@/lib/password");
    const db = createDb(databaseUrl);
    const passwordHash = await hashPassword(PLAUSIBLE_PASSWORD);
    const user = await db.user.create({ data: { name: "Fuzz User", email: "fuzz-user@example.com", passwordHash } });
    const staff = await db.user.create({ data: { name: "Fuzz Staff", email: "fuzz-staff@example.com", passwordHash, isStaff: true } });
    users = { user: user.id, staff: staff.id };
    const store = new PeriodicTaskStore(db);
    for (let i = 1; i <= FIXTURES; i++) {
      await db.article.create({ data: { title: `Fixture ${i}`, body: "btw, the fuzz suite made this" } });
      await store.create({ name: `fixture ${i}`, task: "demo.add", args: [i, i], schedule: { kind: "interval", every: 3600, period: "seconds" } });
    }
    countDevMail = (to) => db.devMail.count({ where: { to: { contains: to } } });
    closeDb = () => db.$disconnect();
  });
  const { makeSession, SESSION_COOKIE, SESSION_TTL_MS } = await import("@/lib/session");
  const session = (value: string) => `${SESSION_COOKIE}=${value}`;
  cookies = {
    none: undefined,
    user: session(makeSession(stack.secretKey, users.user)),
    staff: session(makeSession(stack.secretKey, users.staff)),
    "staff-leading-zero": session(`0${makeSession(stack.secretKey, users.staff)}`),
    "staff-wrong-key": session(makeSession("not-the-server-key-0123456789abcdef", users.staff)),
    "staff-expired": session(makeSession(stack.secretKey, users.staff, Date.now() - 2 * SESSION_TTL_MS)),
    // Bytes an HTTP parser accepts (a DEL would be refused by Node before the app sees the cookie).
    garbage: `${SESSION_COOKIE}=${"A".repeat(3000)}.%ZZ.-1; ${SESSION_COOKIE}=; other==;;`,
  } satisfies Record<(typeof SESSION_KINDS)[number], string | undefined>;
  // Real task ids (an anonymous one and a user's) join the ids the corpus puts in dynamic segments.
  for (const session of ["none", "user"] as const) {
    const { status, json } = await jsonAnswer(sameOriginJson("POST", "/api/add", { x: 1, y: 2 }, session));
    if (status !== 202) throw new Error(`POST /api/add answered ${status} ${JSON.stringify(json)} before the fuzzing`);
    knownIds.push(String(json.id));
  }
  console.log(`fuzz on ${KIND}: stack up in ${((Date.now() - started) / 1000).toFixed(1)} s on ${stack.origin}`);
}, 120_000);

afterAll(async () => {
  await closeDb?.();
  await stack?.stop();
}, 60_000);

describe(`fuzz: every route under app/api/, production build, ${KIND}`, () => {
  it("finds on disk the routes the production build serves", () => {
    expect(routes.map((r) => r.template)).toEqual(buildRouteKeys(ROOT));
    for (const route of routes) expect(route.methods, route.file).not.toEqual([]);
  });

  for (const route of fuzzed) {
    it(`${route.methods.join(", ")} ${route.template}`, async () => {
      const started = Date.now();
      const logMark = web().mark();
      const firstPath = pathOf(route, () => "1");
      const bodies = await learnBodies(route.template, route.methods, (method, body) => send(stack.port, sameOriginJson(method, firstPath, body), REQUEST_TIMEOUT_MS));
      const context: CorpusContext = { origin: stack.origin, cookies, knownIds, bearer: stack.metricsToken, bodies };
      const drawn = [...mustCases(route, context), ...fc.sample(routeCorpus(route, context), { seed: seedFor(route.template), numRuns: RUNS * route.methods.length })];
      // Deletes last, so that the other methods meet the fixture rows while they exist.
      const cases = [...drawn.filter((c) => c.request.method !== "DELETE"), ...drawn.filter((c) => c.request.method === "DELETE")];
      const { findings, statuses } = await barrage(cases);
      const answered = [...statuses.entries()].sort().map(([status, n]) => `${status} ×${n}`).join(", ");
      console.log(`${route.template}: ${cases.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s (${answered}), ${findings.length} findings`);
      failOn(findings, `${cases.length} requests to ${route.template}`, logMark);
      expect(processesDown()).toEqual([]);
    }, 150_000);
  }

  it("pages: Next's own request headers, malformed (the router state of an RSC request)", async () => {
    const logMark = web().mark();
    const cases = await pageCases({ origin: stack.origin, cookies, knownIds, bearer: stack.metricsToken, bodies: {} });
    const { findings, statuses } = await barrage(cases);
    console.log(`pages: ${cases.length} requests (${[...statuses.entries()].sort().map(([status, n]) => `${status} ×${n}`).join(", ")}), ${findings.length} findings`);
    failOn(findings, `${cases.length} requests to pages`, logMark);
    expect(processesDown()).toEqual([]);
  }, 60_000);

  it("leaves the server, the worker and the mail sink running, and a task and a mail still go through end to end", async () => {
    expect(processesDown()).toEqual([]);
    const { status, json } = await jsonAnswer(sameOriginJson("POST", "/api/add", { x: 20, y: 22 }, "none"));
    expect(status).toBe(202);
    const done = await waitFor("demo.add to succeed", async () => {
      const { json: task } = await jsonAnswer({ method: "GET", path: `/api/tasks/${json.id}`, headers: [] });
      return task.status === "SUCCESS" || task.status === "FAILURE" ? task : undefined;
    });
    expect(done).toMatchObject({ status: "SUCCESS", result: 42 });

    const email = `after-the-fuzz-${Date.now()}@example.com`;
    const signup = await jsonAnswer(sameOriginJson("POST", "/api/signup", { name: "After", email, password: PLAUSIBLE_PASSWORD }, "none"));
    expect(signup.status).toBe(201);
    await waitFor("the welcome mail in the dev inbox", async () => ((await countDevMail(email)) > 0 ? true : undefined));
    expect(processesDown()).toEqual([]);
  }, 60_000);
});
