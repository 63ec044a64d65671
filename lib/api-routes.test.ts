import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { allowedMethods, API_ROUTES, apiRouteOf } from "./api-routes";

const API_DIR = join(import.meta.dirname, "..", "app", "api");
const EXPORTED_METHOD = /^export\s+(?:const|async\s+function|function)\s+(GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE)\b/gm;

/** Every route.ts under app/api/, as its route pattern → the methods it exports. */
function routesOnDisk(): Record<string, string[]> {
  const routes: Record<string, string[]> = {};
  for (const entry of readdirSync(API_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name !== "route.ts") continue;
    const dir = relative(API_DIR, entry.parentPath).split(sep).filter(Boolean);
    if (dir.some((segment) => segment.startsWith("_"))) continue; // a private folder: not routed
    const source = readFileSync(join(entry.parentPath, entry.name), "utf8");
    const pattern = ["/api", ...dir.filter((segment) => !/^\(.*\)$/.test(segment))].join("/"); // a (group) is not in the URL
    routes[pattern] = [...source.matchAll(EXPORTED_METHOD)].map((m) => m[1]).sort();
  }
  return routes;
}

describe("API_ROUTES", () => {
  it("lists every route under app/api/ with the methods its route.ts exports", () => {
    const listed = Object.fromEntries(Object.entries(API_ROUTES).map(([pattern, methods]) => [pattern, [...methods].sort()]));
    expect(listed).toEqual(routesOnDisk());
  });
});

describe("apiRouteOf", () => {
  it("finds the route a path is served by, dynamic segments included", () => {
    expect(apiRouteOf("/api/articles")).toBe("/api/articles");
    expect(apiRouteOf("/api/articles/12")).toBe("/api/articles/[id]");
    expect(apiRouteOf("/api/tasks/abc/events")).toBe("/api/tasks/[id]/events");
    expect(apiRouteOf("/api/admin/periodic-tasks/7/return-to-settings")).toBe("/api/admin/periodic-tasks/[id]/return-to-settings");
    expect(apiRouteOf("/api/tasks/%ZZ")).toBe("/api/tasks/[id]");
  });

  it("finds none for a path no route serves", () => {
    for (const path of ["/api", "/api/", "/api/nothing", "/api/articles/", "/api/articles/1/2", "/api/tasks//events", "/articles"]) expect(apiRouteOf(path), path).toBeUndefined();
  });
});

describe("allowedMethods", () => {
  it("adds what Next implements itself: HEAD for a GET, and OPTIONS", () => {
    expect(allowedMethods("/api/articles")).toEqual(["GET", "HEAD", "OPTIONS", "POST"]);
    expect(allowedMethods("/api/login")).toEqual(["OPTIONS", "POST"]);
  });
});
