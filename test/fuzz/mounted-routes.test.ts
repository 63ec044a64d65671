import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverRoutes } from "../api-route-files";
import { contractRoutes, MOUNTS, withMountedRoutes } from "./mounted-routes";

const ROOT = resolve(import.meta.dirname, "../..");

describe("contractRoutes", () => {
  it("reads the `METHOD path` lines of a contract's header, methods grouped by path, queries left out", () => {
    const header = ["/**", " *   GET    tasks?<TaskQuery>      TaskPage", " *   POST   tasks/:id/retry  ActionBody", " *   GET    tasks/:id", " *   PUT    tasks/:id   Body", " * Every POST carries a key", " */"].join("\n");
    expect([...contractRoutes(header)]).toEqual([
      ["tasks", ["GET"]],
      ["tasks/:id/retry", ["POST"]],
      ["tasks/:id", ["GET", "PUT"]],
    ]);
  });
});

describe("withMountedRoutes", () => {
  it("fuzzes the dashboard's routes below its catch-all, and the catch-all itself", () => {
    const catchAll = discoverRoutes(ROOT).find((route) => route.template === "/api/admin/[...path]")!;
    expect(Object.keys(MOUNTS)).toEqual([catchAll.template]);
    const routes = withMountedRoutes(catchAll, ROOT);
    expect(routes[0]).toBe(catchAll);
    const byTemplate = Object.fromEntries(routes.slice(1).map((r) => [r.template, r.methods]));
    expect(byTemplate).toMatchObject({
      "/api/admin/tasks": ["GET"],
      "/api/admin/tasks/[id]/retry": ["POST"],
      "/api/admin/periodic-tasks/[id]": ["GET", "PUT", "PATCH", "DELETE"],
      "/api/admin/events": ["GET"],
    });
    expect(routes.every((r) => r.file === catchAll.file)).toBe(true);
    expect(routes[1].segments.slice(0, 3)).toEqual(catchAll.segments.slice(0, 2).concat({ kind: "static", value: "overview" }));
  });

  it("leaves any other route as it is", () => {
    const route = discoverRoutes(ROOT).find((r) => r.template === "/api/articles")!;
    expect(withMountedRoutes(route, ROOT)).toEqual([route]);
  });
});
