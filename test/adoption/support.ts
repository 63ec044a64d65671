/**
 * Helpers for outside-in adoption tests (test/adoption/*.int.test.ts): a project outside this repository
 * installs the packed celeriac tarball from the npm registry, as a user's would, and the test drives its
 * real processes over HTTP. Nothing here imports the app or the package.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

/** The repository's root. */
export const REPO_ROOT = resolve(import.meta.dirname, "../..");
/** The celeriac package's folder (what `npm pack` packs). */
export const PACKAGE_DIR = join(REPO_ROOT, "packages/celeriac");

/** npm settings a child npm keeps from the environment: where and how it reaches the registry. */
const NPM_NETWORK = /^npm_config_(registry|cache|userconfig|proxy|https_proxy|noproxy|cafile|strict_ssl)$/i;

/**
 * The environment for npm and the project's processes: this one without the `npm_*` and `INIT_CWD` variables
 * npm sets when the suite runs under `npm test` (npm_config_local_prefix and this repo's .npmrc settings would
 * reach a child npm), but for NPM_NETWORK's; `extra` on top.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if ((/^npm_/i.test(key) && !NPM_NETWORK.test(key)) || key === "INIT_CWD") delete env[key];
  return Object.assign(env, { CHECKPOINT_DISABLE: "1", NEXT_TELEMETRY_DISABLED: "1" }, extra);
}

/**
 * The environment that lets a project's install take this repository's compiled better-sqlite3 instead of
 * compiling its own (about 60 s here: prebuild-install cannot reach GitHub, so node-gyp builds it), when the
 * version is the one installed here (same machine, same Node): its prebuild-install finds the binary as a
 * "local prebuild" in `dir`. Empty (the install compiles) when the versions differ. npm warns "Unknown env
 * config" about the variable; harmless.
 */
export function reuseBetterSqlite3Build(version: string, dir: string): Record<string, string> {
  const root = join(REPO_ROOT, "node_modules/better-sqlite3");
  const binary = "build/Release/better_sqlite3.node";
  const here = existsSync(join(root, "package.json")) ? (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version : undefined;
  if (here !== version || !existsSync(join(root, binary))) return {};
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync("tar", ["-czf", join(dir, name), "-C", root, binary]);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** A new empty folder under the system temp folder; `remove()` deletes it and everything in it. */
export function tempDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `celeriac-${label}-`));
  // Retries: a stopped `next dev` can still be flushing its cache for a moment, and a folder that gains a file while
  // it is deleted fails with ENOTEMPTY.
  return { path, remove: () => rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }) };
}

export interface RunResult {
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  ms: number;
}

/**
 * Runs a command to its end in its own process group; rejects with the command, exit code and output when it
 * fails or outlives `timeoutMs` (the whole group is then killed).
 */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} could not start: ${error.message}`));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0 && !timedOut) return resolvePromise({ code, output, ms });
      const why = timedOut ? `did not finish in ${options.timeoutMs / 1000} s` : `exited with ${code}`;
      reject(new Error(`\`${command} ${args.join(" ")}\` in ${options.cwd} ${why}:\n${output.slice(-8000)}`));
    });
  });
}

/**
 * Sends `signal` to the child's whole process group (it must have been spawned `detached`); no error if it is gone.
 * Also after the child itself exited: the group outlives its leader while a member runs (a PID is not reused while
 * it names a live group).
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

/** SIGKILLs what is left of the child's process group and waits (up to `timeoutMs`) until none of it runs. */
async function killRest(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (killGroup(child, "SIGKILL") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** A long-running process of the project (a web server, a worker), in its own process group, its output kept. */
export interface Service {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string | null>;
  /** SIGTERM to its process group, SIGKILL to the group after `graceMs`; resolves once the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command args` in `cwd` as a Service (e.g. `npm start`, `npm run worker`). */
export function startService(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Service {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | string | null>((resolvePromise) => {
    child.once("exit", (code, signal) => resolvePromise(code ?? signal));
    child.once("error", (error) => {
      out += `\n[could not start ${command}: ${error.message}]\n`;
      resolvePromise(null);
    });
  });
  return {
    child,
    output: () => out,
    exited,
    async stop(graceMs = 10_000) {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // What the leader left running in its group (tsx's child, esbuild, next dev's server still writing .next/):
      // gone before this resolves, so the project's folder can be removed.
      await killRest(child);
    },
  };
}

/** Polls `probe` every `intervalMs` until it returns something other than undefined, and returns that; throws after `timeoutMs`, naming `what` and adding `context()` (a process's output). */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: { timeoutMs: number; intervalMs?: number; context?: () => string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const last = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}${last}${options.context ? `\n${options.context().slice(-8000)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/** Why the npm registry npm is configured with cannot be used (`npm ping`, bounded by `timeoutMs`), or undefined when it answers. */
export async function registryUnreachable(timeoutMs = 15_000): Promise<string | undefined> {
  try {
    await run("npm", ["ping", "--fetch-retries=0", `--fetch-timeout=${Math.min(timeoutMs, 10_000)}`], { cwd: tmpdir(), timeoutMs });
    return undefined;
  } catch (error) {
    const lines = (error as Error).message.split("\n").filter((l) => /error|ERR|timed out|did not finish/i.test(l));
    return `the npm registry is unreachable (npm ping: ${lines.slice(0, 2).join(" ").trim() || "failed"})`;
  }
}

/** Throws unless packages/celeriac has been built (dist/ is what a user installs), naming the command that builds it. */
export function assertPackageBuilt(): void {
  for (const file of ["dist/index.js", "dist/cli/main.js"]) {
    if (!existsSync(join(PACKAGE_DIR, file))) throw new Error(`packages/celeriac/${file} is missing: run \`npm run build:celeriac\` first (npm test does)`);
  }
}

/** `npm pack`s packages/celeriac into `destDir` and returns the tarball's absolute path and its files (relative to the package root). */
export async function packCeleriac(destDir: string): Promise<{ tarball: string; files: string[] }> {
  const { output } = await run("npm", ["pack", "--json", "--pack-destination", destDir], { cwd: PACKAGE_DIR, timeoutMs: 60_000 });
  const [info] = JSON.parse(output.slice(output.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(destDir, info!.filename), files: info!.files.map((f) => f.path).sort() };
}

/** Copies a project folder to `dest`, leaving out installed, generated and local files (node_modules, generated/, .next, dist, databases, .env). */
export function copyProject(src: string, dest: string, skip: readonly RegExp[] = [/^node_modules$/, /^generated$/, /^\.next$/, /^dist$/, /\.db(-journal|-wal|-shm)?$/, /^\.env$/]): void {
  cpSync(src, dest, { recursive: true, filter: (path) => !skip.some((re) => relative(src, path).split("/").some((part) => re.test(part))) });
}

/** Rewrites dependencies in a project's package.json (e.g. `{ celeriac: "file:/tmp/…/celeriac-0.2.0.tgz" }`). */
export function setDependencies(projectDir: string, dependencies: Record<string, string>): void {
  const file = join(projectDir, "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8")) as { dependencies?: Record<string, string> };
  pkg.dependencies = { ...pkg.dependencies, ...dependencies };
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** Every file below `dir` (relative, sorted), not descending into `node_modules`; throws if `dir` is a symbolic link. */
export function installedFiles(dir: string): string[] {
  if (lstatSync(dir).isSymbolicLink()) throw new Error(`${dir} is a symbolic link, not an installed copy`);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !relative(dir, e.parentPath).split("/").includes("node_modules"))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** JSON over HTTP: the status and the parsed body (undefined when it is not JSON). */
export async function requestJson(url: string, init: { method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}
