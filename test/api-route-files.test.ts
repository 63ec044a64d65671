/** Route discovery: a scratch app/api/ tree with every folder kind Next knows, and this app's. */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchTree } from "./scratch-tree";
import { discoverRoutes, exportedMethods } from "./api-route-files";

const { root: scratch, write } = scratchTree("api-route-files-");

describe("exportedMethods", () => {
  it("reads const, function and re-exported handlers, and nothing else", () => {
    const source = `
      export const GET = route(async () => Response.json({}));
      export async function POST(request: Request) {}
      export function DELETE() {}
      const handler = () => new Response();
      export { handler as PUT, other as helper };
      export const dynamic = "force-dynamic";
      export const PATCHY = 1;
    `;
    expect(exportedMethods(source)).toEqual(["GET", "POST", "PUT", "DELETE"]);
  });
});

describe("discoverRoutes", () => {
  it("maps folders to URL templates as Next does: groups left out, private folders skipped, dynamic and catch-all segments", () => {
    write("app/api/things/route.ts", "export const GET = 1; export const POST = 2;");
    write("app/api/(internal)/things/[id]/route.ts", "export async function PATCH() {}");
    write("app/api/files/[...path]/route.js", "export const GET = 1;");
    write("app/api/docs/[[...slug]]/route.ts", "export const GET = 1;");
    write("app/api/_helpers/route.ts", "export const GET = 1;");
    write("app/api/things/schema.ts", "export const GET = 1;");
    const routes = discoverRoutes(scratch);
    expect(routes.map((r) => [r.template, r.methods, r.file])).toEqual([
      ["/api/docs/[[...slug]]", ["GET"], "app/api/docs/[[...slug]]/route.ts"],
      ["/api/files/[...path]", ["GET"], "app/api/files/[...path]/route.js"],
      ["/api/things", ["GET", "POST"], "app/api/things/route.ts"],
      ["/api/things/[id]", ["PATCH"], "app/api/(internal)/things/[id]/route.ts"],
    ]);
    expect(routes.find((r) => r.template === "/api/docs/[[...slug]]")!.segments.at(-1)).toEqual({ kind: "catchAll", name: "slug", optional: true });
    expect(routes.find((r) => r.template === "/api/things/[id]")!.segments).toEqual([
      { kind: "static", value: "api" },
      { kind: "static", value: "things" },
      { kind: "dynamic", name: "id" },
    ]);
  });

  it("finds this app's routes, each with the methods it exports", () => {
    const routes = discoverRoutes(resolve(import.meta.dirname, ".."));
    expect(routes.find((r) => r.template === "/api/tasks/[id]/events")?.methods).toEqual(["GET"]);
    const dashboard = routes.find((r) => r.template === "/api/admin/[...path]");
    expect(dashboard?.methods).toEqual(["GET", "POST", "PUT", "DELETE", "PATCH"]);
    expect(dashboard?.segments.at(-1)).toEqual({ kind: "catchAll", name: "path", optional: false });
    for (const route of routes) expect(route.methods, route.file).not.toEqual([]);
  });
});
