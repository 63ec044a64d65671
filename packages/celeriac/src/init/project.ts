/**
 * What `celeriac init` needs to know of the project it runs in: its package.json, whether it is a Next.js
 * or an Express app, where code lives (src/ or the root), where the Prisma schema is and which database it
 * names, and which module already creates the Prisma client. Read only; nothing here writes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError } from "../errors.js";

export type Framework = "next" | "express" | "node";
export type Provider = "sqlite" | "postgresql";

export interface PrismaSchema {
  /** The schema file, or the folder of a multi-file schema, relative to the project root. */
  path: string;
  isFolder: boolean;
  provider: Provider;
  /** Every .prisma file of the schema and its text. */
  files: { path: string; text: string }[];
}

export interface ClientModule {
  /** Relative to the project root, e.g. "lib/db.ts". */
  path: string;
  /** The export holding the PrismaClient: a name, or "default". */
  exportName: string;
}

export interface Project {
  root: string;
  name: string;
  packageJson: Record<string, unknown> & { scripts?: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  framework: Framework;
  /** "src" when the app's code lives under src/ (create-next-app --src-dir), else "". */
  codeDir: string;
  schema: PrismaSchema;
  client?: ClientModule;
}

const CLIENT_MODULES = ["lib/prisma.ts", "lib/db.ts", "lib/prisma.js", "lib/db.js", "prisma.ts", "db.ts"];

function readJson(file: string): Project["packageJson"] {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Project["packageJson"];
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * `text` (a Prisma schema, a prisma.config, a next.config) with its comments (// to the line's end, and
 * /* … *\/) blanked out, strings kept as they are: what init reads in it is then what Prisma or Next reads,
 * not a line kept commented out. Each comment becomes as many spaces (its line ends kept), so an offset in
 * the result is the same offset in `text`, where an edit is made.
 */
export function withoutComments(text: string): string {
  return text.replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|\/\/.*$|\/\*[\s\S]*?\*\//gm, (comment, string?: string) => string ?? comment.replace(/[^\n]/g, " "));
}

function hasDependency(pkg: Project["packageJson"], name: string): boolean {
  return Boolean(pkg.dependencies?.[name] ?? pkg.devDependencies?.[name]);
}

/** The schema path Prisma itself would use: package.json "prisma.schema", a literal `schema:` in prisma.config.ts, else the defaults. */
function schemaPath(root: string, pkg: Project["packageJson"]): string | undefined {
  const fromPackage = (pkg.prisma as { schema?: unknown } | undefined)?.schema;
  if (typeof fromPackage === "string") return fromPackage;
  for (const config of ["prisma.config.ts", "prisma.config.mts", "prisma.config.js", "prisma.config.mjs"]) {
    const file = join(root, config);
    if (!existsSync(file)) continue;
    const literal = /\bschema\s*:\s*(["'])([^"'$]+)\1/.exec(withoutComments(readFileSync(file, "utf8")));
    if (literal) return literal[2];
  }
  return ["prisma/schema.prisma", "prisma/schema", "schema.prisma"].find((p) => existsSync(join(root, p)));
}

function prismaFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".prisma"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function readSchema(root: string, pkg: Project["packageJson"]): PrismaSchema {
  const path = schemaPath(root, pkg);
  if (path === undefined || !existsSync(join(root, path))) {
    throw new ConfigError("no Prisma schema found (prisma/schema.prisma, a prisma/schema/ folder, or the one package.json or prisma.config.ts names): set up Prisma first (npx prisma init), then run celeriac init again");
  }
  const isFolder = statSync(join(root, path)).isDirectory();
  const files = (isFolder ? prismaFiles(join(root, path)) : [join(root, path)]).map((file) => ({ path: relative(root, file), text: readFileSync(file, "utf8") }));
  // Comments out first: a block keeping another provider commented out (// provider = "postgresql") names the other.
  const datasource = files.map((f) => /datasource\s+\w+\s*\{[^}]*\bprovider\s*=\s*"(\w+)"/.exec(withoutComments(f.text))?.[1]).find(Boolean);
  if (datasource === undefined) throw new ConfigError(`the Prisma schema at ${path} has no datasource block with a provider: add one (datasource db { provider = "sqlite" } or "postgresql"), then run celeriac init again`);
  const provider = datasource === "postgresql" || datasource === "postgres" ? "postgresql" : datasource === "sqlite" ? "sqlite" : undefined;
  if (provider === undefined) throw new ConfigError(`celeriac stores results in SQLite or PostgreSQL; the Prisma schema at ${path} uses '${datasource}': switch its datasource to provider = "postgresql" or provider = "sqlite", then run celeriac init again`);
  return { path, isFolder, provider, files };
}

/** The module that already creates the app's Prisma client, and the export that holds it. */
function findClientModule(root: string, codeDir: string): ClientModule | undefined {
  for (const candidate of CLIENT_MODULES.map((p) => (codeDir ? `${codeDir}/${p}` : p))) {
    const file = join(root, candidate);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const named = /export\s+(?:const|let|var)\s+(prisma|db|client)\b/.exec(text)?.[1];
    if (named) return { path: candidate, exportName: named };
    if (/export\s+default\b/.test(text)) return { path: candidate, exportName: "default" };
  }
  return undefined;
}

export function readProject(root: string): Project {
  const file = join(root, "package.json");
  if (!existsSync(file)) throw new ConfigError(`no package.json in ${root}: run celeriac init in your app's folder`);
  const packageJson = readJson(file);
  const framework: Framework = hasDependency(packageJson, "next") ? "next" : hasDependency(packageJson, "express") ? "express" : "node";
  const codeDir = !existsSync(join(root, "app")) && (existsSync(join(root, "src/app")) || existsSync(join(root, "src/index.ts")) || existsSync(join(root, "src/lib"))) ? "src" : "";
  return {
    root,
    name: typeof packageJson.name === "string" ? packageJson.name : "app",
    packageJson,
    framework,
    codeDir,
    schema: readSchema(root, packageJson),
    client: findClientModule(root, codeDir),
  };
}
