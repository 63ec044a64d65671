/**
 * `npm run build` (after `next build`): compiles the worker, beat and CLI entries, the app module and every
 * task module to plain JavaScript in dist/, so production runs `node dist/worker.js` — one process, no tsx
 * (no TypeScript loader, no esbuild service), instead of `npm → tsx → node (+ esbuild)`.
 *
 * One esbuild build with code splitting: every entry (worker, beat, celeriac, lib/celery, tasks/**) is in
 * the same build, so a module two entries import (lib/celery.ts, the Prisma clients) becomes
 * one shared chunk that Node loads once. A task module discovered at run time therefore registers on the
 * same app instance as the worker's. node_modules stay external (loaded by Node from node_modules/); the
 * `@/` alias (tsconfig paths) and the generated Prisma clients (TypeScript, under generated/) are bundled.
 *
 * Layout: dist/worker.js, dist/beat.js, dist/celeriac.js, dist/lib/celery.js, dist/tasks/**.js and
 * dist/chunks/*.js (+ source maps, and a package.json saying these are ES modules). The framework is the
 * celeriac package, compiled already and loaded from node_modules/ like any other. worker.ts and beat.ts find
 * their tasks directory (and worker.ts the app module) relative to themselves, so dist/worker.js discovers
 * dist/tasks/, and the process pool's children (the package's own child module, in plain node) load
 * dist/lib/celery.js and dist/tasks/ as the worker does. The old output is removed first: a deleted task
 * module must not linger in dist/tasks/ and still be discovered.
 */
import { build, type BuildOptions } from "esbuild";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const TASK_MODULE = /\.(ts|mts)$/;
const NOT_A_TASK_MODULE = /\.(test|spec)\.[mc]?ts$|\.d\.ts$/;

/** Every task module under `dir` (any depth), as paths relative to the project root; tests excluded. */
function taskModules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && TASK_MODULE.test(e.name) && !NOT_A_TASK_MODULE.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

export interface BuildWorkersOptions {
  /** Output directory, relative to the project root (default "dist"); it must be inside the project so that Node finds node_modules/. */
  outdir?: string;
  /** More task modules to compile into <outdir>/tasks/ (paths relative to the project root), e.g. a benchmark's no-op task. */
  extraTasks?: { in: string; out: string }[];
}

export function buildOptions({ outdir = "dist", extraTasks = [] }: BuildWorkersOptions = {}): BuildOptions {
  const entryPoints = [
    ...["worker.ts", "beat.ts", "celeriac.ts", "lib/celery.ts", ...taskModules("tasks")].map((file) => ({ in: file, out: file.replace(TASK_MODULE, "") })),
    ...extraTasks.map((t) => ({ in: t.in, out: join("tasks", t.out) })),
  ];
  return {
    absWorkingDir: ROOT,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20.9",
    packages: "external",
    tsconfig: "tsconfig.json",
    chunkNames: "chunks/[name]-[hash]",
    // Not minified: names and stack traces stay readable (the .map files map them to the sources with
    // node --enable-source-maps). No keepNames: unminified code keeps its names, and keepNames' __name()
    // wrapper ran at every closure's creation (~1 % of a no-op task's worker CPU, profiled).
    sourcemap: true,
    logLevel: "warning",
  };
}

export async function buildWorkers(options: BuildWorkersOptions = {}): Promise<string> {
  const config = buildOptions(options);
  const outdir = join(ROOT, config.outdir!);
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({ ...config, metafile: true });
  // ES modules wherever the directory sits (Node looks no further up than a node_modules/ for a "type").
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module", private: true })}\n`);
  const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
  const entries = outputs.filter((f) => !f.includes("/chunks/"));
  console.log(`worker build: ${entries.length} entries + ${outputs.length - entries.length} shared chunks in ${relative(ROOT, outdir)}/: ${entries.map((f) => relative(config.outdir!, f)).join(", ")}`);
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) await buildWorkers();
