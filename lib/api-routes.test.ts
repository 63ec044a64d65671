import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverRoutes } from "@/test/api-route-files";
import { allowedMethods, API_ROUTES, apiRouteOf } from "./api-routes";

describe("API_ROUTES", () => {
  it("lists every route under app/api/ with the methods its route.ts exports", () => {
    const listed = Object.fromEntries(Object.entries(API_ROUTES).map(([pattern, methods]) => [pattern, [...methods].sort()]));
    const onDisk = Object.fromEntries(discoverRoutes(resolve(import.meta.dirname, "..")).map((route) => [route.template, [...route.methods].sort()]));
    expect(listed).toEqual(onDisk);
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
