import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverRoutes } from "@/test/api-route-files";
import { allowedMethods, API_ROUTES, apiRouteOf, BODY_LIMITS, bodyLimitOf } from "./api-routes";
import { DEFAULT_MAX_BODY_BYTES, LARGEST_MAX_BODY_BYTES } from "./request-limits";

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

describe("BODY_LIMITS", () => {
  it("names only methods its route exports, each limit a whole number of bytes up to the largest Next's proxy buffer holds", () => {
    for (const [pattern, limits] of Object.entries(BODY_LIMITS)) {
      for (const [method, limit] of Object.entries(limits)) {
        expect(API_ROUTES[pattern], pattern).toContain(method);
        expect(Number.isSafeInteger(limit) && limit > 0 && limit <= LARGEST_MAX_BODY_BYTES, `${method} ${pattern}: ${limit}`).toBe(true);
      }
    }
  });

  it("bodyLimitOf: the route's limit for that method, else the default, on any path", () => {
    expect(bodyLimitOf("POST", "/api/articles")).toBe(128 * 1024);
    expect(bodyLimitOf("PATCH", "/api/articles/12")).toBe(128 * 1024);
    expect(bodyLimitOf("GET", "/api/articles")).toBe(DEFAULT_MAX_BODY_BYTES);
    for (const [method, path] of [["POST", "/api/signup"], ["POST", "/api/nothing"], ["GET", "/articles"], ["POST", "/"], ["FOO", "/api/articles"]]) {
      expect(bodyLimitOf(method, path), `${method} ${path}`).toBe(DEFAULT_MAX_BODY_BYTES);
    }
  });
});
