/**
 * The files `celeriac init` writes into a project, as text: the composition root (lib/celery.ts), an
 * example task, and the block of Prisma models for a single-file schema.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClientModule, Project } from "./project.js";

/** The models celeriac needs (TaskResult, TaskOutbox, PeriodicTask…), as this package ships them. */
export function celeriacModels(): string {
  return readFileSync(fileURLToPath(new URL("../../prisma/celeriac.prisma", import.meta.url)), "utf8");
}

export const MODELS_BEGIN = "// celeriac models, added by `celeriac init` (the same as node_modules/celeriac/prisma/celeriac.prisma)";
export const MODELS_END = "// end of celeriac models";

/** The block appended to a single-file schema. */
export function modelsBlock(): string {
  return `\n${MODELS_BEGIN}\n\n${celeriacModels().trimEnd()}\n\n${MODELS_END}\n`;
}

/** An import path from `from` (a file relative to the root) to `to` (same), without the extension. */
export function importPath(from: string, to: string): string {
  const fromParts = from.split("/").slice(0, -1);
  const toParts = to.replace(/\.[cm]?[jt]s$/, "").split("/");
  let common = 0;
  while (common < fromParts.length && fromParts[common] === toParts[common]) common++;
  const up = fromParts.length - common;
  const rest = toParts.slice(common).join("/");
  return up === 0 ? `./${rest}` : `${"../".repeat(up)}${rest}`;
}

function clientImport(appModule: string, client: ClientModule | undefined): { lines: string; name: string } {
  if (client === undefined) {
    return {
      lines: `// No module of this project creates a Prisma client yet (lib/prisma.ts, lib/db.ts): this one is celeriac's.\n// If your app has its own, import that instead: one client per process.\nimport { PrismaClient } from "@prisma/client";\n\nconst prisma = new PrismaClient();`,
      name: "prisma",
    };
  }
  const from = importPath(appModule, client.path);
  if (client.exportName === "default") return { lines: `import prisma from "${from}";`, name: "prisma" };
  return { lines: `import { ${client.exportName} } from "${from}";`, name: client.exportName };
}

/** A key prefix from the package name: the setting allows letters, digits, '_', '.' and '-' (1 to 64). */
export function keyPrefixFor(name: string): string {
  const cleaned = name.replace(/^@/, "").replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  return cleaned || "celeriac";
}

export function appModuleSource(project: Project, appModule: string): string {
  const client = clientImport(appModule, project.client);
  const prismaLine = client.name === "prisma" ? "  prisma," : `  prisma: ${client.name},`;
  return `/**
 * This app's celeriac (Django's proj/celery.py): created once, imported by route handlers (to dispatch),
 * by task modules (to define tasks) and by \`celeriac worker\` / \`celeriac beat\` (which find this file as
 * lib/celery.ts, or through --app). Every setting: node_modules/celeriac/README.md and the repository's guide.
 */
import { createCeleriac } from "celeriac";
${client.lines}

export const celeriac = createCeleriac({
  appName: ${JSON.stringify(project.name)},
  // Results, the durable outbox and periodic tasks live in your database, through this client; the result
  // path also opens its own connection to the same database, from databaseUrl. With SQLite, give the file
  // as your Prisma client opens it (a driver adapter: relative to the working directory).
${prismaLine}
  databaseUrl: process.env.DATABASE_URL ?? ${JSON.stringify(project.schema.provider === "sqlite" ? "file:./dev.db" : "postgresql://postgres@127.0.0.1:5432/postgres")},
  // The broker: BullMQ on Redis.
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  // Every Redis key starts with it: apps (and test runs) sharing one Redis give each a prefix of its own.
  keyPrefix: process.env.CELERIAC_KEY_PREFIX ?? ${JSON.stringify(keyPrefixFor(project.name))},
  // Where task modules live: \`celeriac worker\` imports every module below it.
  tasksDir: ${JSON.stringify(project.codeDir ? `${project.codeDir}/tasks` : "tasks")},
  // Periodic tasks for \`celeriac beat\` (Celery's beat_schedule), e.g. every 30 seconds:
  // beatSchedule: { "hello-every-30-seconds": { task: "example.hello", schedule: 30, args: ["beat"] } },
});

// What the rest of the app imports: \`task\` to define tasks, \`transaction\` and \`onCommit\` to dispatch after a
// commit, \`AsyncResult\` to read a result by task id.
export const task = celeriac.task;
export const transaction = celeriac.transaction;
export const onCommit = celeriac.onCommit;
export const AsyncResult = celeriac.AsyncResult;
`;
}

export function exampleTaskSource(taskModule: string, appModule: string): string {
  return `/**
 * An example task. Call it from a route handler: \`await hello.delay("world")\` returns at once with an
 * AsyncResult; a worker (\`npm run worker\`) runs it. Pass ids, never objects: a task reads what it needs.
 */
import { z } from "zod";
import { task } from "${importPath(taskModule, appModule)}";

export const hello = task({
  name: "example.hello",
  args: z.tuple([z.string().max(100)]),
  async run(ctx, name) {
    ctx.log.info({ name }, "saying hello");
    return \`Hello, \${name}!\`;
  },
});
`;
}
