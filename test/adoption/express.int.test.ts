/**
 * Adoption from the outside, Express: examples/express copied out of the repository, with celeriac as the
 * tarball `npm pack` makes of packages/celeriac (what `npm publish` would upload), installed from the npm
 * registry in a fresh folder; then `npx prisma migrate deploy`, `npm run worker` and `npm start` as its
 * README says, and a report POSTed that the worker renders; the dashboard it mounts (nodeHandler, behind HTTP
 * Basic auth) refuses a visitor without the credentials and shows that report's task to one with them. Everything is installed from the registry; only
 * better-sqlite3's native compile (~60 s) is skipped by handing its install this repository's build of the
 * same version. Skipped when the registry is unreachable, and on the PostgreSQL run of the suite (the example
 * is SQLite-only; the SQLite run covers it).
 */
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../redis";
import {
  assertPackageBuilt,
  cleanEnv,
  copyProject,
  freePort,
  installedFiles,
  packCeleriac,
  REPO_ROOT,
  registryUnreachable,
  requestJson,
  reuseBetterSqlite3Build,
  run,
  setDependencies,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./support";

const EXAMPLE = join(REPO_ROOT, "examples/express");
const DASHBOARD_USER = "ops";
const DASHBOARD_PASSWORD = "adoption-dashboard-password:with-a-colon";
const INSTALL_TIMEOUT_MS = 240_000;

const skip =
  process.env.CELERIAC_TEST_DB === "postgres"
    ? "the example runs on SQLite; the SQLite run of the integration tests covers it"
    : await registryUnreachable();
if (skip) console.warn(`[adoption/express] skipped: ${skip}`);

// Skipped, saying why, on the PostgreSQL run (the example is a SQLite app; the SQLite run covers it) or when the
// npm registry cannot be reached (the copy installs from it).
describe.skipIf(skip !== undefined)(`the Express example, installed from the packed tarball${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let work: ReturnType<typeof tempDir> | undefined;
  let app: string;
  const keyPrefix = uniquePrefix("adoption-express");
  const services: Service[] = [];
  const timings: Record<string, number> = {};
  let packed: { tarball: string; files: string[] };
  let baseUrl: string;

  beforeAll(async () => {
    assertPackageBuilt();
    work = tempDir("adoption-express");
    app = join(work.path, "app");
    let t = Date.now();
    packed = await packCeleriac(work.path);
    timings.pack = Date.now() - t;
    copyProject(EXAMPLE, app);
    setDependencies(app, { celeriac: `file:${packed.tarball}` });

    const env = cleanEnv({ REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
    const wanted = (JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["better-sqlite3"]!;
    t = Date.now();
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: app,
      env: { ...env, ...reuseBetterSqlite3Build(wanted, join(work.path, "prebuilds")) },
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
    timings.install = Date.now() - t;
    t = Date.now();
    await run("npx", ["prisma", "migrate", "deploy"], { cwd: app, env, timeoutMs: 60_000 });
    timings.migrate = Date.now() - t;

    t = Date.now();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const worker = startService("npm", ["run", "worker"], { cwd: app, env });
    const web = startService("npm", ["start"], { cwd: app, env: { ...env, PORT: String(port), DASHBOARD_BASIC_AUTH: `${DASHBOARD_USER}:${DASHBOARD_PASSWORD}` } });
    services.push(worker, web);
    await waitFor("the worker's ready line", () => (/celeriac@\S+ ready\./.test(worker.output()) ? true : undefined), { timeoutMs: 60_000, context: worker.output });
    await waitFor(`the server on ${baseUrl}`, async () => ((await requestJson(`${baseUrl}/nothing-here`)).status === 404 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200, context: web.output });
    timings.start = Date.now() - t;
  }, INSTALL_TIMEOUT_MS + 150_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await deleteKeys(keyPrefix);
    work?.remove();
    console.log(`[adoption/express] ms: ${JSON.stringify(timings)}`);
  }, 60_000);

  it("installs celeriac as a copy of the tarball, without sources or tests", () => {
    const installed = join(app, "node_modules/celeriac");
    const files = installedFiles(installed); // throws on a symbolic link
    expect(realpathSync(installed).startsWith(REPO_ROOT)).toBe(false);
    expect(files).toEqual(packed.files);
    expect(files.filter((f) => f.startsWith("src/") || /\.test\.|\.test-d\./.test(f))).toEqual([]);
    expect(files).toContain("dist/cli/main.js");
    expect(files).toContain("prisma/celeriac.prisma");
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string; link?: boolean }> };
    expect(lock.packages["node_modules/celeriac"]?.link).toBeUndefined();
    expect(lock.packages["node_modules/celeriac"]?.resolved).toMatch(/\.tgz$/);
  });

  it("the worker lists the example's task from tasks/ and the installed version", () => {
    const out = services[0]!.output();
    const { version } = JSON.parse(readFileSync(join(app, "node_modules/celeriac/package.json"), "utf8")) as { version: string };
    expect(out).toContain(`celeriac@`);
    expect(out).toContain(` v${version}`);
    expect(out).toMatch(/\[tasks\][\s\S]*\. reports\.render\n/);
  });

  it("POST /reports answers 202 at once; the task runs on commit and GET /reports/:id shows SUCCESS and the body", async () => {
    const title = `Quarterly ${keyPrefix}`;
    const started = Date.now();
    const created = await requestJson(`${baseUrl}/reports`, { method: "POST", body: { title } });
    const answeredMs = Date.now() - started;
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body).toEqual({ id: expect.any(Number), taskId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(answeredMs).toBeLessThan(2_000); // the task sleeps 500 ms, and the answer does not wait for it

    const done = await waitFor(
      "the report's task to be SUCCESS",
      async () => {
        const got = await requestJson(`${baseUrl}/reports/${created.body.id}`);
        return got.body?.task?.status === "SUCCESS" ? got : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, context: () => services.map((s) => s.output()).join("\n---\n") },
    );
    expect(done.status).toBe(200);
    expect(done.body.task).toEqual({ id: created.body.taskId, status: "SUCCESS", result: { reportId: created.body.id, rendered: true, length: expect.any(Number) } });
    expect(done.body.report).toMatchObject({ id: created.body.id, title, taskId: created.body.taskId });
    expect(done.body.report.body).toContain(`# ${title}`);
    expect(done.body.report.renderedAt).toEqual(expect.any(String));
  }, 45_000);

  it("mounts the dashboard behind Basic auth: 401 asking for it on a page and an API route, 200 with it", async () => {
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
    const { body: created } = await requestJson(`${baseUrl}/reports`, { method: "POST", body: { title: "Seen in the dashboard" } });
    for (const path of ["/admin/tasks", "/api/admin/tasks"]) {
      for (const headers of [{}, basic(DASHBOARD_USER, "wrong"), basic("someone", DASHBOARD_PASSWORD)]) {
        const refused = await fetch(`${baseUrl}${path}`, { headers });
        expect(refused.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(refused.headers.get("www-authenticate")).toMatch(/^Basic realm="celeriac dashboard"/);
      }
    }
    const page = await fetch(`${baseUrl}/admin/tasks`, { headers: basic(DASHBOARD_USER, DASHBOARD_PASSWORD) });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain(`data-actor="${DASHBOARD_USER}"`);
    const task = await waitFor("the report's task in the dashboard's API", async () => {
      const answer = await fetch(`${baseUrl}/api/admin/tasks/${created.taskId}`, { headers: basic(DASHBOARD_USER, DASHBOARD_PASSWORD) });
      const body = (await answer.json()) as { status?: string };
      return answer.status === 200 && body.status === "SUCCESS" ? body : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(task).toMatchObject({ id: created.taskId, name: "reports.render", args: [created.id], status: "SUCCESS" });
    // No METRICS_TOKEN set: the metrics are not served at all.
    expect((await fetch(`${baseUrl}/api/metrics`)).status).toBe(404);
  }, 45_000);

  it("answers a client's mistakes with a 4xx JSON error", async () => {
    const noTitle = await requestJson(`${baseUrl}/reports`, { method: "POST", body: {} });
    expect(noTitle.status).toBe(400);
    expect(noTitle.body.error).toMatch(/title/);
    expect((await requestJson(`${baseUrl}/reports/abc`)).status).toBe(400);
    expect((await requestJson(`${baseUrl}/reports/2147483647`)).status).toBe(404);
    const badJson = await fetch(`${baseUrl}/reports`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toEqual(expect.any(String));
  });
});
