/**
 * Adoption from the outside, for Next.js: the celeriac tarball (`npm pack`) installed from its file into a
 * fresh Next.js + Prisma app (test/adoption/fresh-next, copied to a temporary folder; everything else from
 * the npm registry), then what the README tells a user to do: `npx celeriac init`, migrate, `npm run
 * worker`, the dev server; a route creates a row in transaction() and dispatches its id on commit, and the
 * task's result row says SUCCESS. Nothing of this repository is reachable from that folder but the
 * tarball. One database is enough (the app is SQLite): the PostgreSQL run skips it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../redis";
import {
  assertPackageBuilt,
  cleanEnv,
  copyProject,
  freePort,
  installedFiles,
  packCeleriac,
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

const FIXTURE = resolve(import.meta.dirname, "fresh-next");
const runsHere = process.env.CELERIAC_TEST_DB !== "postgres";
const unreachable = runsHere ? await registryUnreachable() : undefined;

const TITLE = "celeriac in a fresh Next.js app (the npm pack tarball, init, worker, a route dispatching on commit)";
// Skipped, saying why, only when the registry cannot be reached: a fresh app installs from it.
if (runsHere && unreachable) describe(TITLE, () => it.skip(`skipped: ${unreachable}`, () => undefined));

// Runs on the SQLite run of the suite only: the fresh app is a SQLite app, one run proves it.
describe.runIf(runsHere && !unreachable)(TITLE, () => {
  let app: ReturnType<typeof tempDir> | undefined;
  let pack: ReturnType<typeof tempDir> | undefined;
  let dir = "";
  const keyPrefix = uniquePrefix("adopt-next");
  const services: Service[] = [];
  const env = cleanEnv({ DATABASE_URL: "file:./dev.db", REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix });
  let packed: string[] = [];

  beforeAll(async () => {
    assertPackageBuilt();
    // Made here, not while the file is collected: a skipped run must not leave empty folders behind.
    app = tempDir("next-app");
    pack = tempDir("pack");
    dir = app.path;
    copyProject(FIXTURE, dir);
    const { tarball, files } = await packCeleriac(pack.path);
    packed = files;
    setDependencies(dir, { celeriac: `file:${tarball}` });
    // better-sqlite3 from the registry, its native build from this repository's (the same version): ~60 s less.
    const prebuilds = reuseBetterSqlite3Build(fixtureDependency("better-sqlite3"), join(pack.path, "prebuilds"));
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir, env: { ...env, ...prebuilds }, timeoutMs: 240_000 });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await deleteKeys(keyPrefix);
    app?.remove();
    pack?.remove();
  }, 30_000);

  it("installs the package's build only: a copy of the tarball in node_modules, no sources or tests", () => {
    const files = installedFiles(join(dir, "node_modules/celeriac")); // throws for a link into this repository
    expect(files).toEqual(packed);
    expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "prisma/celeriac.prisma", "package.json"]));
    expect(files.filter((f) => f.startsWith("src/") || /\.test\./.test(f))).toEqual([]);
  });

  it("init writes the composition root, an example task, the models, the scripts and next.config; a second run changes nothing", async () => {
    const first = await run("npx", ["celeriac", "init"], { cwd: dir, env, timeoutMs: 30_000 });
    expect(first.output).toContain("created   lib/celery.ts");
    expect(first.output).toContain("created   tasks/example.ts");
    expect(first.output).toMatch(/added {5}the celeriac models .* to prisma\/schema\.prisma/);
    expect(first.output).toContain("npx prisma migrate dev");
    const scripts = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts).toMatchObject({ worker: "celeriac worker", beat: "celeriac beat", dev: "next dev" });
    expect(readFileSync(join(dir, "next.config.mjs"), "utf8")).toContain('serverExternalPackages: ["celeriac"]');

    const before = snapshot(dir);
    const second = await run("npx", ["celeriac", "init"], { cwd: dir, env, timeoutMs: 30_000 });
    expect(second.output).not.toMatch(/created|added/);
    expect(second.output).toContain("unchanged lib/celery.ts");
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);

  it("migrates, type-checks (a task's argument types reach the app), runs the worker and serves a route whose task runs after the commit: SUCCESS", async () => {
    // init copied celeriac's migrations (its tables) into prisma/migrations; the app's own table gets one as
    // `prisma migrate dev` would write it (from the fixture's schema, as it was before init); both deployed
    // (this machine's Prisma runs on its JS engine, whose `migrate dev` cannot create a brand-new SQLite file).
    expect(readdirSync(join(dir, "prisma/migrations")).sort()).toEqual([expect.stringMatching(/^\d{14}_celeriac$/), expect.stringMatching(/^\d{14}_celeriac_dashboard$/), expect.stringMatching(/^\d{14}_celeriac_workflows$/)]);
    const migration = await run("npx", ["prisma", "migrate", "diff", "--from-empty", "--to-schema-datamodel", join(FIXTURE, "prisma/schema.prisma"), "--script"], { cwd: dir, env, timeoutMs: 60_000 });
    expect(migration.output).toContain('CREATE TABLE "Note"');
    expect(migration.output).not.toContain('"TaskResult"');
    const folder = join(dir, "prisma/migrations/0_init");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "migration.sql"), migration.output.slice(migration.output.indexOf("-- CreateTable")));
    writeFileSync(join(dir, "prisma/migrations/migration_lock.toml"), 'provider = "sqlite"\n');
    await run("npx", ["prisma", "migrate", "deploy"], { cwd: dir, env, timeoutMs: 60_000 });
    await run("npx", ["prisma", "generate"], { cwd: dir, env, timeoutMs: 60_000 });
    await run("npx", ["tsc", "--noEmit"], { cwd: dir, env, timeoutMs: 60_000 });

    const worker = startService("npm", ["run", "worker"], { cwd: dir, env });
    services.push(worker);
    await waitFor("the worker to be ready", () => (/ready\./.test(worker.output()) ? true : undefined), { timeoutMs: 60_000, context: worker.output });
    expect(worker.output()).toContain(". notes.summarize");
    expect(worker.output()).toContain(". example.hello");

    const port = await freePort();
    const web = startService("npx", ["next", "dev", "-H", "127.0.0.1", "-p", String(port)], { cwd: dir, env });
    services.push(web);
    await waitFor("next dev to be ready", () => (/Ready in/.test(web.output()) ? true : undefined), { timeoutMs: 60_000, context: web.output });

    const started = Date.now();
    const posted = await requestJson(`http://127.0.0.1:${port}/api/notes`, { method: "POST", body: { text: "celeriac from the outside" }, timeoutMs: 120_000 });
    expect(posted.status).toBe(202);
    const { id, taskId } = posted.body as { id: number; taskId: string };
    const view = await waitFor(
      "the task's result row to say SUCCESS",
      async () => {
        const { body } = await requestJson(`http://127.0.0.1:${port}/api/tasks/${taskId}?note=${id}`, { timeoutMs: 60_000 });
        return body?.status === "SUCCESS" ? (body as { result: unknown; note: { summary: string | null } }) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, context: () => `${worker.output()}\n${web.output()}` },
    );
    expect(view.result).toEqual({ noteId: id, summary: "CELERIAC F" });
    expect(view.note.summary).toBe("CELERIAC F");
    console.log(`[adoption next] POST to SUCCESS in ${Date.now() - started} ms (first request compiles the route)`);
  }, 240_000);
});

function fixtureDependency(name: string): string {
  return (JSON.parse(readFileSync(join(FIXTURE, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies[name]!;
}

/** Every file's hash under `root` (node_modules and build output aside), to show a run changed nothing. */
function snapshot(root: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const file of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(file.parentPath, file.name);
    if (!file.isFile() || /\/(node_modules|\.next|generated)\//.test(`${path}/`)) continue;
    hashes[path.slice(root.length)] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return hashes;
}
