/**
 * `celeriac init` on scratch projects it writes itself under the OS temp folder: what it creates and
 * edits for a Next.js, Express and src/-layout app on SQLite and PostgreSQL (single-file and multi-file
 * schemas), that a second run changes no byte, that a conflict changes nothing at all, and its exit codes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "../../test/scratch.js";
import { runInit } from "./init.js";

const MODELS_FILE = fileURLToPath(new URL("../../prisma/celeriac.prisma", import.meta.url));

const SQLITE_SCHEMA = `generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "sqlite"\n  url      = env("DATABASE_URL")\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n`;
const POSTGRES_MAIN = `generator client {\n  provider        = "prisma-client-js"\n  previewFeatures = ["prismaSchemaFolder"]\n}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n`;
const POSTGRES_USER = `model User {\n  id Int @id @default(autoincrement())\n}\n`;
const NEXT_CONFIG_TS = `import type { NextConfig } from "next";\n\nconst nextConfig: NextConfig = {\n  /* config options here */\n};\n\nexport default nextConfig;\n`;

/** A scratch project: each key a path relative to its root, each value the file's text. */
const project = (files: Record<string, string>) => scratchFolder("celeriac-init-", files);

function pkg(extra: Record<string, unknown> = {}, dependencies: Record<string, string> = { next: "15.5.0", zod: "^4.0.0" }): string {
  return `${JSON.stringify({ name: "my-app", version: "0.1.0", private: true, scripts: { dev: "next dev" }, dependencies, ...extra }, null, 2)}\n`;
}

/** Every file under root (folders too, as ""), with its bytes. */
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = relative(root, join(entry.parentPath, entry.name));
    files.set(path, entry.isFile() ? readFileSync(join(root, path)).toString("base64") : "");
  }
  return files;
}

async function init(root: string, argv: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runInit(argv, { cwd: root, io: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) } });
  return { code, stdout, stderr };
}

const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");
const scripts = (root: string) => (JSON.parse(read(root, "package.json")) as { scripts: Record<string, string> }).scripts;

/** The step lines of init's report (two spaces, a verb, the rest), without the next steps. */
function stepLines(stdout: string): string[] {
  return stdout.split("\n\n")[0]!.split("\n").slice(1);
}

describe("celeriac init: a Next.js app on SQLite (single-file schema)", () => {
  it("creates the composition root, the example task, the models, the scripts and next.config.mjs; a second run changes no byte", async () => {
    const root = project({
      "package.json": pkg(),
      "prisma/schema.prisma": SQLITE_SCHEMA,
      "lib/db.ts": `import { PrismaClient } from "@prisma/client";\n\nexport const prisma = new PrismaClient();\n`,
      "app/page.tsx": "export default function Page() { return null; }\n",
    });
    const first = await init(root);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Next.js app, SQLite");

    const app = read(root, "lib/celery.ts");
    expect(app).toContain(`import { createCeleriac } from "celeriac";`);
    expect(app).toContain(`import { prisma } from "./db";`);
    expect(app).toMatch(/^ {2}prisma,$/m);
    expect(app).not.toContain("new PrismaClient");
    expect(app).toContain(`appName: "my-app"`);
    expect(app).toContain(`databaseUrl: process.env.DATABASE_URL ?? "file:./dev.db"`);
    expect(app).toContain(`tasksDir: "tasks"`);

    const task = read(root, "tasks/example.ts");
    expect(task).toContain(`import { task } from "../lib/celery";`);
    expect(task).toContain(`name: "example.hello"`);

    const schema = read(root, "prisma/schema.prisma");
    expect(schema.startsWith(SQLITE_SCHEMA.trimEnd())).toBe(true);
    expect(schema).toMatch(/^model TaskResult \{/m);
    expect(schema).toMatch(/^model TaskOutbox \{/m);
    expect(schema).toContain(readFileSync(MODELS_FILE, "utf8").trimEnd());

    expect(scripts(root)).toEqual({ dev: "next dev", worker: "celeriac worker", beat: "celeriac beat" });
    const config = read(root, "next.config.mjs");
    expect(config).toContain(`serverExternalPackages: ["celeriac"]`);
    expect(config).toContain("export default nextConfig;");
    expect(first.stdout).not.toContain("npm install zod");

    const before = snapshot(root);
    const second = await init(root);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe("");
    expect(second.stdout).toContain("celeriac is set up here already");
    const steps = stepLines(second.stdout);
    expect(steps).toHaveLength(6); // the migration's line too (migrations.test.ts)
    for (const line of steps) expect(line).toMatch(/^ {2}unchanged /);
    expect(snapshot(root)).toEqual(before);
  });

  it("imports `export const db` as prisma: db, and without a client module makes its own", async () => {
    const withDb = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "lib/db.ts": `import { PrismaClient } from "@prisma/client";\nexport const db = new PrismaClient();\n` });
    expect((await init(withDb)).code).toBe(0);
    const app = read(withDb, "lib/celery.ts");
    expect(app).toContain(`import { db } from "./db";`);
    expect(app).toMatch(/^ {2}prisma: db,$/m);

    const without = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA });
    expect((await init(without)).code).toBe(0);
    const own = read(without, "lib/celery.ts");
    expect(own).toContain(`import { PrismaClient } from "@prisma/client";`);
    expect(own).toContain("const prisma = new PrismaClient();");
  });

  it("inserts serverExternalPackages into an existing next.config.ts, once", async () => {
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "next.config.ts": NEXT_CONFIG_TS });
    const first = await init(root);
    expect(first.code).toBe(0);
    expect(existsSync(join(root, "next.config.mjs"))).toBe(false);
    const config = read(root, "next.config.ts");
    expect(config).toContain(`const nextConfig: NextConfig = {\n  // celeriac`);
    expect(config).toContain(`  serverExternalPackages: ["celeriac"],\n  /* config options here */\n};`);
    expect(config.replace(/\n {2}\/\/ celeriac[^\n]*\n {2}serverExternalPackages: \["celeriac"\],/, "")).toBe(NEXT_CONFIG_TS);

    const before = snapshot(root);
    expect((await init(root)).code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  it("adds celeriac to an existing serverExternalPackages list (and to an empty one)", async () => {
    const sharp = NEXT_CONFIG_TS.replace("/* config options here */", `serverExternalPackages: ["sharp"],`);
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "next.config.ts": sharp });
    expect((await init(root)).code).toBe(0);
    expect(read(root, "next.config.ts")).toBe(sharp.replace(`["sharp"]`, `["celeriac", "sharp"]`));
    const before = snapshot(root);
    expect((await init(root)).code).toBe(0);
    expect(snapshot(root)).toEqual(before);

    const empty = NEXT_CONFIG_TS.replace("/* config options here */", "serverExternalPackages: [],");
    const other = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "next.config.ts": empty });
    expect((await init(other)).code).toBe(0);
    expect(read(other, "next.config.ts")).toBe(empty.replace("[]", `["celeriac"]`));
  });

  it("tells to install zod when the app has not", async () => {
    const root = project({ "package.json": pkg({}, { next: "15.5.0" }), "prisma/schema.prisma": SQLITE_SCHEMA });
    const { code, stdout } = await init(root);
    expect(code).toBe(0);
    expect(stdout).toContain("npm install zod");
  });
});

describe("celeriac init: an Express app on PostgreSQL (multi-file schema folder)", () => {
  it("writes prisma/schema/celeriac.prisma as the package ships it, a postgresql databaseUrl, no next.config", async () => {
    const root = project({
      "package.json": pkg({ prisma: { schema: "prisma/schema" }, scripts: { start: "node server.js" } }, { express: "^5.0.0", zod: "^4.0.0" }),
      "prisma/schema/schema.prisma": POSTGRES_MAIN,
      "prisma/schema/user.prisma": POSTGRES_USER,
    });
    const first = await init(root);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Express app, PostgreSQL");
    expect(read(root, "prisma/schema/celeriac.prisma")).toBe(readFileSync(MODELS_FILE, "utf8"));
    expect(read(root, "prisma/schema/schema.prisma")).toBe(POSTGRES_MAIN);
    expect(read(root, "prisma/schema/user.prisma")).toBe(POSTGRES_USER);
    expect(read(root, "lib/celery.ts")).toMatch(/databaseUrl: process\.env\.DATABASE_URL \?\? "postgresql:\/\/[^"]+"/);
    expect(scripts(root)).toEqual({ start: "node server.js", worker: "celeriac worker", beat: "celeriac beat" });
    for (const name of ["next.config.mjs", "next.config.ts", "next.config.js"]) expect(existsSync(join(root, name))).toBe(false);
    expect(first.stdout).not.toContain("next.config");

    const before = snapshot(root);
    const second = await init(root);
    expect(second.code).toBe(0);
    for (const line of stepLines(second.stdout)) expect(line).toMatch(/^ {2}unchanged /);
    expect(snapshot(root)).toEqual(before);
  });

  it("finds a prisma/schema folder without package.json naming it", async () => {
    const root = project({ "package.json": pkg({}, { express: "^5.0.0" }), "prisma/schema/main.prisma": POSTGRES_MAIN.replace(`"postgresql"`, `"postgres"`) });
    expect((await init(root)).code).toBe(0);
    expect(read(root, "prisma/schema/celeriac.prisma")).toBe(readFileSync(MODELS_FILE, "utf8"));
  });
});

describe("celeriac init: a src/ layout", () => {
  it("writes src/lib/celery.ts and src/tasks/example.ts, tasksDir src/tasks, relative imports that resolve", async () => {
    const root = project({
      "package.json": pkg(),
      "prisma/schema.prisma": SQLITE_SCHEMA,
      "src/app/page.tsx": "export default function Page() { return null; }\n",
      "src/lib/prisma.ts": `import { PrismaClient } from "@prisma/client";\nexport default new PrismaClient();\n`,
    });
    const { code, stdout } = await init(root);
    expect(code).toBe(0);
    expect(existsSync(join(root, "lib"))).toBe(false);
    expect(existsSync(join(root, "tasks"))).toBe(false);
    const app = read(root, "src/lib/celery.ts");
    expect(app).toContain(`tasksDir: "src/tasks"`);
    expect(app).toContain(`import prisma from "./prisma";`);
    const task = read(root, "src/tasks/example.ts");
    expect(task).toContain(`import { task } from "../lib/celery";`);
    // Each relative import, resolved from the importing file (with .ts), is a file init wrote or found.
    for (const [file, text] of [["src/lib/celery.ts", app], ["src/tasks/example.ts", task]] as const) {
      for (const [, spec] of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) expect(existsSync(join(root, dirname(file), `${spec}.ts`))).toBe(true);
    }
    expect(stdout).toContain("src/tasks/");
  });
});

describe("celeriac init: conflicts change nothing", () => {
  it("an existing lib/celery.ts with other content and a worker script that runs something else: exit 1, both named, no byte changed", async () => {
    const root = project({
      "package.json": pkg({ scripts: { dev: "next dev", worker: "node jobs/worker.js" } }),
      "prisma/schema.prisma": SQLITE_SCHEMA,
      "lib/celery.ts": "export const mine = 1;\n",
    });
    const before = snapshot(root);
    const { code, stdout, stderr } = await init(root);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("changed nothing");
    expect(stderr).toMatch(/lib\/celery\.ts exists and is not the composition root[^\n]*move it away and run celeriac init again/);
    expect(stderr).toMatch(/"worker" script already \("node jobs\/worker\.js"\)[^\n]*rename it/);
    expect(snapshot(root)).toEqual(before);
  });

  it("names every clashing script, the beat one too", async () => {
    const root = project({ "package.json": pkg({ scripts: { worker: "node w.js", beat: "node b.js" } }), "prisma/schema.prisma": SQLITE_SCHEMA });
    const before = snapshot(root);
    const { code, stderr } = await init(root);
    expect(code).toBe(1);
    expect(stderr).toContain(`"worker" script already ("node w.js")`);
    expect(stderr).toContain(`"beat" script already ("node b.js")`);
    expect(snapshot(root)).toEqual(before);
  });

  it("an existing tasks/example.ts of the app's own: exit 1, nothing written", async () => {
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "tasks/example.ts": "export {};\n" });
    const before = snapshot(root);
    const { code, stderr } = await init(root);
    expect(code).toBe(1);
    expect(stderr).toContain("tasks/example.ts exists and is not the example task");
    expect(snapshot(root)).toEqual(before);
  });
});

describe("celeriac init: no project to add to (exit 78, one line)", () => {
  const oneLine = (stderr: string) => {
    expect(stderr.endsWith("\n")).toBe(true);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  };

  it("no package.json", async () => {
    const root = project({ "prisma/schema.prisma": SQLITE_SCHEMA });
    const { code, stdout, stderr } = await init(root);
    expect(code).toBe(78);
    expect(stdout).toBe("");
    oneLine(stderr);
    expect(stderr).toMatch(/no package\.json[^\n]*run celeriac init in your app's folder/);
  });

  it("no Prisma schema", async () => {
    const root = project({ "package.json": pkg() });
    const { code, stderr } = await init(root);
    expect(code).toBe(78);
    oneLine(stderr);
    expect(stderr).toMatch(/no Prisma schema found[^\n]*npx prisma init/);
    expect(snapshot(root).size).toBe(1);
  });

  it("a schema with no datasource", async () => {
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": POSTGRES_USER });
    const { code, stderr } = await init(root);
    expect(code).toBe(78);
    oneLine(stderr);
    expect(stderr).toMatch(/no datasource block[^\n]*add one/);
  });

  it("a MySQL datasource", async () => {
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA.replace(`"sqlite"`, `"mysql"`) });
    const before = snapshot(root);
    const { code, stderr } = await init(root);
    expect(code).toBe(78);
    oneLine(stderr);
    expect(stderr).toContain("'mysql'");
    expect(stderr).toMatch(/provider = "sqlite"|provider = "postgresql"/);
    expect(snapshot(root)).toEqual(before);
  });
});

describe("celeriac init: flags", () => {
  it("--dry-run lists the plan and changes nothing", async () => {
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA });
    const before = snapshot(root);
    const { code, stdout } = await init(root, ["--dry-run"]);
    expect(code).toBe(0);
    expect(snapshot(root)).toEqual(before);
    expect(stdout).toContain("--dry-run (nothing written)");
    const steps = stepLines(stdout);
    expect(steps).toHaveLength(8); // a line per migration too: the package ships three (migrations.test.ts)
    for (const line of steps) expect(line).toMatch(/^ {2}would /);
    for (const path of ["lib/celery.ts", "tasks/example.ts", "prisma/schema.prisma", "package.json", "next.config.mjs"]) expect(stdout).toContain(path);
  });

  it("--help prints the usage, -h too", async () => {
    for (const flag of ["--help", "-h"]) {
      const root = project({});
      const { code, stdout, stderr } = await init(root, [flag]);
      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toMatch(/^usage: celeriac init \[--dry-run\]/);
      expect(snapshot(root).size).toBe(0);
    }
  });

  it("an unknown flag or a positional exits 2 with the usage", async () => {
    for (const argv of [["--force"], ["here"]]) {
      const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA });
      const before = snapshot(root);
      const { code, stdout, stderr } = await init(root, argv);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain("usage: celeriac init");
      expect(snapshot(root)).toEqual(before);
    }
  });
});

describe("celeriac init: after the user has edited what it wrote", () => {
  it("counts an edited composition root and example task as set up: the next run changes no byte and exits 0", async () => {
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "lib/db.ts": `export const prisma = {};\n` });
    expect((await init(root)).code).toBe(0);
    writeFileSync(join(root, "lib/celery.ts"), `${read(root, "lib/celery.ts").replace("// Periodic tasks", "// my own settings\n  // Periodic tasks")}`);
    writeFileSync(join(root, "tasks/example.ts"), read(root, "tasks/example.ts").replace("saying hello", "greeting"));
    const before = snapshot(root);
    const again = await init(root);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("unchanged lib/celery.ts");
    expect(again.stdout).toContain("unchanged tasks/example.ts");
    expect(snapshot(root)).toEqual(before);
  });
});

describe("celeriac init: the composition root's key prefix and the SQLite client", () => {
  it("gives the app a key prefix from its package name, overridable by CELERIAC_KEY_PREFIX", async () => {
    const root = project({ "package.json": pkg({ name: "@acme/Web App!" }), "prisma/schema.prisma": SQLITE_SCHEMA });
    expect((await init(root)).code).toBe(0);
    expect(read(root, "lib/celery.ts")).toContain('keyPrefix: process.env.CELERIAC_KEY_PREFIX ?? "acme-Web-App",');
  });

  it("on SQLite, tells a client made with PrismaBetterSQLite3 to use IsolatedSQLite3; says nothing once it does", async () => {
    const adapter = (name: string) => `import { ${name} } from "x";\nimport { PrismaClient } from "./generated";\n\nexport const prisma = new PrismaClient({ adapter: new ${name}({ url: "file:./dev.db" }) });\n`;
    const plain = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "lib/db.ts": adapter("PrismaBetterSQLite3") });
    expect((await init(plain)).stdout).toMatch(/on SQLite, create the client in lib\/db\.ts with IsolatedSQLite3 from "celeriac\/sqlite-adapter"/);
    const isolated = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "lib/db.ts": adapter("IsolatedSQLite3") });
    expect((await init(isolated)).stdout).not.toContain("IsolatedSQLite3");
  });
});

describe("celeriac init: edits keep the user's files as they were written", () => {
  it("package.json with tabs, CRLF line ends, no trailing newline and no scripts: only the scripts are added", async () => {
    const original = JSON.stringify({ name: "my-app", private: true, dependencies: { next: "15.5.0", zod: "^4.0.0" } }, null, "\t").replace(/\n/g, "\r\n");
    const root = project({ "package.json": original, "prisma/schema.prisma": SQLITE_SCHEMA, "app/page.tsx": "export default function Page() { return null; }\n" });
    const { code, stderr } = await init(root);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const expected = JSON.stringify({ name: "my-app", private: true, dependencies: { next: "15.5.0", zod: "^4.0.0" }, scripts: { worker: "celeriac worker", beat: "celeriac beat" } }, null, "\t").replace(/\n/g, "\r\n");
    expect(read(root, "package.json")).toBe(expected);
  });

  it("a next.config whose serverExternalPackages is not a literal list is refused, not given a second key", async () => {
    const config = `import type { NextConfig } from "next";\n\nconst externals = ["sharp"];\n\nconst nextConfig: NextConfig = {\n  serverExternalPackages: externals,\n};\n\nexport default nextConfig;\n`;
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "next.config.ts": config });
    const before = snapshot(root);
    const { code, stderr } = await init(root);
    expect(code).toBe(1);
    expect(stderr).toContain(`next.config.ts sets serverExternalPackages to something other than a list`);
    expect(stderr).toContain(`add "celeriac" to serverExternalPackages`);
    expect(snapshot(root)).toEqual(before);
  });

  it("reads the datasource's provider, not one commented out in the block", async () => {
    const schema = SQLITE_SCHEMA.replace(`provider = "sqlite"\n`, `provider = "sqlite"\n  // provider = "postgresql" (in production)\n`);
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": schema });
    const { code, stdout } = await init(root, ["--dry-run"]);
    expect(code).toBe(0);
    expect(stdout).toContain("npx prisma migrate deploy");
    expect(stdout).toContain("in your SQLite database");
  });
});

describe("celeriac init: a next.config with serverExternalPackages commented out", () => {
  it("adds the setting: a commented-out one is none", async () => {
    const config = `import type { NextConfig } from "next";\n\nconst nextConfig: NextConfig = {\n  // serverExternalPackages: ["celeriac"],\n  /* serverExternalPackages: [ */\n};\n\nexport default nextConfig;\n`;
    const root = project({ "package.json": pkg(), "prisma/schema.prisma": SQLITE_SCHEMA, "next.config.ts": config });
    const { code } = await init(root);
    expect(code).toBe(0);
    expect(read(root, "next.config.ts")).toBe(config.replace("= {\n", `= {\n  // celeriac (BullMQ, ioredis, the database drivers) is loaded from node_modules, not bundled.\n  serverExternalPackages: ["celeriac"],\n`));
  });
});
