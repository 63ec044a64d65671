/** The build's API routes, from a scratch app-paths manifest. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchTree } from "../scratch-tree";
import { buildRouteKeys } from "./build-routes";

const { root: scratch, write } = scratchTree("fuzz-build-routes-");

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
