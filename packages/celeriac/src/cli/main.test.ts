/**
 * The `celeriac` command's own handling, before any app runs: its sources run through tsx in a child process,
 * in a scratch folder, so nothing here needs Redis or a database.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "../../test/scratch.js";
import { BEAT_USAGE } from "../beat/cli.js";
import { INSPECT_USAGE } from "../inspect/cli.js";
import { WORKER_USAGE } from "../worker/cli.js";
import { takeAppFlag } from "./main-args.js";
import { MIGRATE_USAGE } from "./migrate-redis-keys.js";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
/** tsx's loader, by URL: the scratch folders have no node_modules to find it in. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
const scratch = (files: Record<string, string>) => scratchFolder("celeriac-main-", files);

function celeriac(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ["--import", TSX, MAIN, ...args], { cwd, timeout: 30_000, env: { ...process.env, CELERIAC_APP: undefined } }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe("celeriac <command> --help", () => {
  it("prints the command's usage without loading an app (none here, or one that does not compile)", async () => {
    const none = scratch({ "package.json": "{}\n" });
    expect(await celeriac(none, ["worker", "--help"])).toEqual({ code: 0, stdout: `${WORKER_USAGE}\n`, stderr: "" });
    expect(await celeriac(none, ["beat", "-h"])).toEqual({ code: 0, stdout: `${BEAT_USAGE}\n`, stderr: "" });
    expect(await celeriac(none, ["inspect", "--help"])).toEqual({ code: 0, stdout: `${INSPECT_USAGE}\n`, stderr: "" });
    expect(await celeriac(none, ["control", "shutdown", "-h"])).toEqual({ code: 0, stdout: `${INSPECT_USAGE}\n`, stderr: "" });
    expect(await celeriac(none, ["migrate-redis-keys", "--help"])).toEqual({ code: 0, stdout: `${MIGRATE_USAGE}\n`, stderr: "" });
    const broken = scratch({ "package.json": "{}\n", "lib/celery.ts": "export const celeriac = {,};\n" });
    expect(await celeriac(broken, ["worker", "--app", "lib/celery.ts", "--help"])).toEqual({ code: 0, stdout: `${WORKER_USAGE}\n`, stderr: "" });
  }, 60_000);
});

describe("celeriac -A <module> <command> (Celery's order)", () => {
  it("takes the app flag before the command as after it", async () => {
    const none = scratch({ "package.json": "{}\n" });
    const before = await celeriac(none, ["-A", "missing.ts", "worker"]);
    expect(before).toEqual({ code: 78, stdout: "", stderr: "celeriac worker: the app module 'missing.ts' does not exist (named by --app)\n" });
    expect(await celeriac(none, ["--app=missing.ts", "inspect", "stats"])).toEqual({ code: 78, stdout: "", stderr: "celeriac inspect: the app module 'missing.ts' does not exist (named by --app)\n" });
    expect(await celeriac(none, ["worker", "-A", "missing.ts"])).toEqual(before);
  }, 60_000);
});

describe("takeAppFlag", () => {
  it("takes -A x, --app x and --app=x out of the arguments", () => {
    expect(takeAppFlag(["-Q", "a", "--app", "lib/x.ts", "-c", "2"])).toEqual({ app: "lib/x.ts", rest: ["-Q", "a", "-c", "2"] });
    expect(takeAppFlag(["-A", "lib/x.ts:app"])).toEqual({ app: "lib/x.ts:app", rest: [] });
    expect(takeAppFlag(["--app=lib/x.ts"])).toEqual({ app: "lib/x.ts", rest: [] });
  });

  it("refuses --app followed by another flag instead of taking the flag as the module", () => {
    expect(() => takeAppFlag(["--app", "-c", "2"])).toThrow("--app needs a module path, e.g. --app lib/celery.ts (got the flag '-c')");
    expect(() => takeAppFlag(["-A"])).toThrow("-A needs a module path, e.g. -A lib/celery.ts");
  });
});
