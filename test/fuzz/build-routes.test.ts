/** The build's API routes, from a scratch app-paths manifest. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildRouteKeys } from "./build-routes";

const scratch = mkdtempSync(join(tmpdir(), "fuzz-build-routes-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(dirname(join(scratch, path)), { recursive: true });
  writeFileSync(join(scratch, path), text);
}

describe("buildRouteKeys", () => {
  it("lists the API routes of a build's app-paths manifest, without route groups, or undefined without a build", () => {
    expect(buildRouteKeys(join(scratch, "nowhere"))).toBeUndefined();
    write(
      ".next/server/app-paths-manifest.json",
      JSON.stringify({ "/page": "app/page.js", "/api/things/route": "x.js", "/(internal)/api/things/[id]/route": "y.js", "/admin/page": "z.js" }),
    );
    expect(buildRouteKeys(scratch)).toEqual(["/api/things", "/api/things/[id]"]);
  });
});
