/**
 * `celeriac init` (Prisma's `init`, for an app that exists): adds to the project in the working directory
 * what celeriac needs — the composition root (lib/celery.ts), a tasks/ folder with an example task, the
 * celeriac models in the Prisma schema and the migrations that create their tables (migrations.ts), the
 * `worker` and `beat` npm scripts, and for Next.js the package in next.config's serverExternalPackages —
 * then prints the next steps.
 *
 * It never overwrites: everything is planned first, and when a file it would write exists with other
 * content, or a script of the same name runs something else, it changes nothing, says what is in the way
 * and what to do, and exits 1. What is already as init would make it is left alone, so a second run
 * changes nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { isStartupError } from "../startup.js";
import { migrationSteps } from "./migrations.js";
import { readProject, withoutComments, type Project } from "./project.js";
import { appModuleSource, celeriacModels, exampleTaskSource, MODELS_BEGIN, modelsBlock } from "./templates.js";

export const INIT_USAGE = `usage: celeriac init [--dry-run]
  adds celeriac to the app in this folder: lib/celery.ts, tasks/example.ts, the celeriac models in the
  Prisma schema and the migrations creating their tables, "worker" and "beat" npm scripts (and for
  Next.js, serverExternalPackages); never overwrites a file, and changes nothing the second time
  --dry-run   say what it would do, change nothing`;

export type Step =
  | { kind: "create"; path: string; text: string }
  | { kind: "append"; path: string; text: string; what: string }
  | { kind: "edit"; path: string; text: string; what: string }
  | { kind: "unchanged"; path: string; what: string }
  | { kind: "conflict"; path: string; problem: string; fix: string };

const SCRIPTS = { worker: "celeriac worker", beat: "celeriac beat" } as const;
const NEXT_CONFIGS = ["next.config.ts", "next.config.mjs", "next.config.js", "next.config.mts"];

/**
 * A file init writes. One that exists is left alone when it is init's, or already does the job (`ours`
 * says so: a composition root the user has edited since still calls createCeleriac), so running init
 * again after editing what it wrote changes nothing; anything else in the way is a conflict.
 */
function fileStep(root: string, path: string, text: string, what: string, ours: (existing: string) => boolean = () => false): Step {
  const file = join(root, path);
  if (!existsSync(file)) return { kind: "create", path, text };
  const existing = readFileSync(file, "utf8");
  if (existing === text || ours(existing)) return { kind: "unchanged", path, what };
  return { kind: "conflict", path, problem: `${path} exists and is not the ${what} celeriac init writes`, fix: `if it is yours, leave it and write the ${what} yourself (see the celeriac README), or move it away and run celeriac init again` };
}

function schemaStep(project: Project): Step {
  const { schema } = project;
  const defining = schema.files.find((f) => /^\s*model\s+TaskResult\s*\{/m.test(f.text));
  if (defining) return { kind: "unchanged", path: defining.path, what: "the celeriac models" };
  if (schema.isFolder) return fileStep(project.root, `${schema.path}/celeriac.prisma`, celeriacModels(), "celeriac models file");
  const text = schema.files[0]!.text;
  if (text.includes(MODELS_BEGIN)) return { kind: "unchanged", path: schema.path, what: "the celeriac models" };
  return { kind: "append", path: schema.path, text: `${text.trimEnd()}\n${modelsBlock()}`, what: "the celeriac models (TaskResult, TaskOutbox, PeriodicTask, …)" };
}

function scriptsSteps(project: Project): Step[] {
  const scripts = { ...(project.packageJson.scripts ?? {}) };
  const clashes = Object.entries(SCRIPTS).filter(([name, command]) => scripts[name] !== undefined && scripts[name] !== command);
  if (clashes.length > 0) {
    return clashes.map(([name, command]) => ({ kind: "conflict", path: "package.json", problem: `package.json has a "${name}" script already ("${scripts[name]}")`, fix: `rename it, or run celeriac's yourself: npx ${command}` }));
  }
  if (Object.entries(SCRIPTS).every(([name, command]) => scripts[name] === command)) return [{ kind: "unchanged", path: "package.json", what: "the worker and beat scripts" }];
  const text = readFileSync(join(project.root, "package.json"), "utf8");
  const pkg = JSON.parse(text) as Project["packageJson"];
  pkg.scripts = { ...(pkg.scripts ?? {}), ...SCRIPTS };
  // Written as it was: its indent (spaces or tabs; \s would take in a line end, and CRLF's \r is one to ^),
  // its line ends and its final newline, so the diff is the two scripts.
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? "  ";
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const json = JSON.stringify(pkg, null, indent).replace(/\n/g, eol);
  return [{ kind: "edit", path: "package.json", text: /\r?\n$/.test(text) || text.trim() === "" ? `${json}${eol}` : json, what: `scripts "worker": "${SCRIPTS.worker}", "beat": "${SCRIPTS.beat}"` }];
}

/** Next.js bundles server code unless told not to; celeriac (BullMQ, ioredis, the SQL drivers) must load from node_modules. */
function nextConfigStep(project: Project): Step | undefined {
  if (project.framework !== "next") return undefined;
  const path = NEXT_CONFIGS.find((p) => existsSync(join(project.root, p)));
  const advice = `add "celeriac" to serverExternalPackages in your next.config (serverExternalPackages: ["celeriac"])`;
  if (path === undefined) return { kind: "create", path: "next.config.mjs", text: `/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  // celeriac (BullMQ, ioredis, the database drivers) is loaded from node_modules, not bundled.\n  serverExternalPackages: ["celeriac"],\n};\n\nexport default nextConfig;\n` };
  const text = readFileSync(join(project.root, path), "utf8");
  // Read without its comments (a commented-out setting is no setting), edited at the same offsets in the text.
  const code = withoutComments(text);
  if (/serverExternalPackages\s*:\s*\[[^\]]*["']celeriac["']/.test(code)) return { kind: "unchanged", path, what: "serverExternalPackages" };
  const list = /serverExternalPackages\s*:\s*\[/.exec(code);
  // Set some other way (a variable, a spread): a key added beside it would be a second one (TypeScript
  // refuses it; in JavaScript the app's, written after, wins and celeriac is bundled anyway).
  if (!list && /\bserverExternalPackages\s*:/.test(code)) {
    return { kind: "conflict", path, problem: `${path} sets serverExternalPackages to something other than a list celeriac init can edit`, fix: advice };
  }
  if (list) {
    const at = list.index + list[0].length;
    // An empty list gets no comma after the name: ["celeriac"], not ["celeriac", ].
    const separator = /^\s*\]/.test(code.slice(at)) ? "" : ", ";
    return { kind: "edit", path, text: `${text.slice(0, at)}"celeriac"${separator}${text.slice(at).replace(/^\s*(?=\])/, "")}`, what: `"celeriac" in serverExternalPackages` };
  }
  const object = /(const\s+nextConfig(?:\s*:\s*NextConfig)?\s*=\s*\{|export\s+default\s+\{|module\.exports\s*=\s*\{)/.exec(code);
  if (!object) return { kind: "conflict", path, problem: `celeriac init could not find the config object in ${path}`, fix: advice };
  const at = object.index + object[0].length;
  return { kind: "edit", path, text: `${text.slice(0, at)}\n  // celeriac (BullMQ, ioredis, the database drivers) is loaded from node_modules, not bundled.\n  serverExternalPackages: ["celeriac"],${text.slice(at)}`, what: `serverExternalPackages: ["celeriac"]` };
}

/** Every step init would take in `root`, conflicts included; reads only. */
export function planInit(root: string, now = new Date()): { project: Project; steps: Step[]; migrations: string[] } {
  const project = readProject(root);
  const base = project.codeDir ? `${project.codeDir}/` : "";
  const appModule = `${base}lib/celery.ts`;
  const taskModule = `${base}tasks/example.ts`;
  const steps: Step[] = [
    fileStep(root, appModule, appModuleSource(project, appModule), "composition root", (text) => /\bcreateCeleriac\s*\(/.test(text)),
    fileStep(root, taskModule, exampleTaskSource(taskModule, appModule), "example task", (text) => /\bname:\s*["']example\.hello["']/.test(text)),
    schemaStep(project),
  ];
  const migrations = migrationSteps(project, now);
  steps.push(...migrations);
  steps.push(...scriptsSteps(project));
  const next = nextConfigStep(project);
  if (next) steps.push(next);
  return { project, steps, migrations: migrations.map((step) => step.path) };
}

function describe(step: Step, dryRun = false): string {
  switch (step.kind) {
    case "create":
      return dryRun ? `  would create ${step.path}` : `  created   ${step.path}`;
    case "append":
    case "edit":
      return dryRun ? `  would add ${step.what} to ${step.path}` : `  added     ${step.what} to ${step.path}`;
    case "unchanged":
      return `  unchanged ${step.path} (${step.what} already there)`;
    case "conflict":
      return `  refused   ${step.problem}: ${step.fix}`;
  }
}

function nextSteps(project: Project, changed: boolean, migrations: readonly string[]): string {
  const database = project.schema.provider === "sqlite" ? "SQLite" : "PostgreSQL";
  const lines = [
    changed ? "Next steps:" : "celeriac is set up here already. To run it:",
    migrations.length > 0
      ? `  1. npx prisma migrate deploy                 creates celeriac's tables in your ${database} database (${migrations.join(", ")}; npx prisma migrate dev applies ${migrations.length > 1 ? "them" : "it"} too)`
      : `  1. npx prisma migrate dev --name celeriac    creates celeriac's tables in your ${database} database`,
    `  2. npm run worker                            runs the tasks under ${project.codeDir ? `${project.codeDir}/` : ""}tasks/ (Redis must run: redis-server, or REDIS_URL)`,
    `  3. dispatch from ${project.framework === "express" ? "a route handler" : "a route handler or server action"}:`,
    `       import { hello } from "${project.framework === "next" ? "@/" : "./"}tasks/example";`,
    `       const result = await hello.delay("world");   // answers at once; result.id is the task id`,
    `  4. npm run beat                              sends periodic tasks (beatSchedule in lib/celery.ts), if you have any`,
  ];
  if (!(project.packageJson.dependencies?.zod ?? project.packageJson.devDependencies?.zod)) lines.push("  tasks validate their arguments with zod: npm install zod");
  const client = project.client && readFileSync(join(project.root, project.client.path), "utf8");
  if (project.schema.provider === "sqlite" && client?.includes("PrismaBetterSQLite3") && !client.includes("IsolatedSQLite3")) {
    lines.push(
      `  on SQLite, create the client in ${project.client!.path} with IsolatedSQLite3 from "celeriac/sqlite-adapter" in place of`,
      "  PrismaBetterSQLite3 (same options): without it a query outside a transaction sees another request's uncommitted rows",
    );
  }
  return lines.join("\n");
}

export interface InitIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: InitIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** The `init` command: returns the exit code (0 done or nothing to do, 1 refused, 2 bad usage, 78 no project). */
export async function runInit(argv: readonly string[], { cwd = process.cwd(), io = processIo }: { cwd?: string; io?: InitIo } = {}): Promise<number> {
  let dryRun: boolean;
  try {
    const { values } = parseArgs({ args: [...argv], options: { "dry-run": { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } }, strict: true, allowPositionals: false });
    if (values.help) {
      io.stdout(`${INIT_USAGE}\n`);
      return 0;
    }
    dryRun = values["dry-run"] ?? false;
  } catch (error) {
    io.stderr(`celeriac init: ${(error as Error).message}\n${INIT_USAGE}\n`);
    return 2;
  }
  let plan;
  try {
    plan = planInit(cwd);
  } catch (error) {
    if (!isStartupError(error)) throw error;
    io.stderr(`celeriac init: ${error.message}\n`);
    return 78;
  }
  const { project, steps, migrations } = plan;
  const conflicts = steps.filter((s) => s.kind === "conflict");
  if (conflicts.length > 0) {
    io.stderr(`celeriac init: changed nothing, because:\n${conflicts.map((step) => describe(step)).join("\n")}\n`);
    return 1;
  }
  const changes = steps.filter((s) => s.kind === "create" || s.kind === "append" || s.kind === "edit");
  if (!dryRun) {
    for (const step of changes) {
      const file = join(cwd, step.path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, step.text);
    }
  }
  const heading = dryRun ? "celeriac init --dry-run (nothing written):" : `celeriac init (${project.framework === "next" ? "Next.js" : project.framework === "express" ? "Express" : "Node"} app, ${project.schema.provider === "sqlite" ? "SQLite" : "PostgreSQL"}):`;
  io.stdout(`${heading}\n${steps.map((step) => describe(step, dryRun)).join("\n")}\n\n${nextSteps(project, changes.length > 0, migrations)}\n`);
  return 0;
}
