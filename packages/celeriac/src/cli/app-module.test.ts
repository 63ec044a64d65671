/** Finding the app module: which path --app, CELERIAC_APP or package.json names, and what is refused before any import. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { findAppModule, parseAppRef } from "./app-module.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(files: string[] = [], folders: string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), "celeriac-app-module-"));
  dirs.push(root);
  for (const folder of folders) mkdirSync(join(root, folder), { recursive: true });
  for (const file of files) writeFileSync(join(root, file), "export {};\n");
  return root;
}

describe("parseAppRef", () => {
  it("takes an export after the last colon, not a drive letter's or a folder's", () => {
    expect(parseAppRef("lib/celery.ts:app")).toEqual({ path: "lib/celery.ts", exportName: "app" });
    expect(parseAppRef("C:\\work\\lib\\celery.ts")).toEqual({ path: "C:\\work\\lib\\celery.ts" });
    expect(parseAppRef("C:\\work\\lib\\celery.ts:app")).toEqual({ path: "C:\\work\\lib\\celery.ts", exportName: "app" });
    expect(parseAppRef("/srv/a:b/celery.ts")).toEqual({ path: "/srv/a:b/celery.ts" });
  });

  it("a trailing colon names no export", () => {
    expect(parseAppRef("lib/celery.ts:")).toEqual({ path: "lib/celery.ts" });
  });
});

describe("findAppModule", () => {
  it("refuses an empty --app and a folder with a ConfigError, before anything imports them", () => {
    const root = scratch([], ["lib"]);
    expect(() => findAppModule("", root, {})).toThrow(ConfigError);
    expect(() => findAppModule("", root, {})).toThrow(/--app needs a module path/);
    expect(() => findAppModule("lib", root, {})).toThrow(ConfigError);
    expect(() => findAppModule("lib", root, {})).toThrow(/'lib' is a folder, not a module/);
  });

  it("a file whose name has a colon is that file when it exists, not an export of another", () => {
    if (process.platform === "win32") return;
    const root = scratch(["odd:name.ts"]);
    expect(findAppModule("odd:name.ts", root, {})).toEqual({ path: "odd:name.ts" });
  });
});
