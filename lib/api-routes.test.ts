import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverRoutes } from "@/test/api-route-files";
import { allowedMethods, API_ROUTES, apiRouteOf, BODY_LIMITS, bodyLimitOf, routeMatcher, STREAMED_BODIES, streamedBodyOf } from "./api-routes";
import { DEFAULT_MAX_BODY_BYTES, LARGEST_MAX_BODY_BYTES, UPLOAD_REQUEST_MAX_BYTES, UPLOAD_TOO_LARGE_MESSAGE } from "./request-limits";
import { API_CSP } from "./security-headers";

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
    expect(apiRouteOf("/api/tasks/%ZZ")).toBe("/api/tasks/[id]");
    expect(apiRouteOf("/api/metrics")).toBe("/api/metrics");
  });

  it("sends every path below /api/admin/ to the dashboard's catch-all, however deep", () => {
    for (const path of ["/api/admin/tasks", "/api/admin/tasks/abc/retry", "/api/admin/periodic-tasks/7/return-to-settings", "/api/admin/%ZZ"]) {
      expect(apiRouteOf(path), path).toBe("/api/admin/[...path]");
    }
  });

  it("finds none for a path no route serves", () => {
    for (const path of ["/api", "/api/", "/api/nothing", "/api/articles/", "/api/articles/1/2", "/api/tasks//events", "/articles", "/api/admin", "/api/admin/", "/api/admin/tasks/", "/api/admin//tasks", "/api/metrics/x"]) {
      expect(apiRouteOf(path), path).toBeUndefined();
    }
  });
});

describe("routeMatcher", () => {
  const routeOf = routeMatcher(["/docs/[[...slug]]", "/docs/[id]", "/docs/intro", "/files/[...path]", "/files/[id]/raw"]);

  it("[[...slug]] takes zero segments or more, [...path] one or more", () => {
    expect(routeOf("/docs")).toBe("/docs/[[...slug]]");
    expect(routeOf("/docs/a/b/c")).toBe("/docs/[[...slug]]");
    expect(routeOf("/files/a/b")).toBe("/files/[...path]");
    expect(routeOf("/files")).toBeUndefined();
    expect(routeOf("/files/a//b")).toBeUndefined();
    expect(routeOf("/docs/a/")).toBeUndefined();
  });

  it("a static segment wins over a dynamic one, and both over a catch-all", () => {
    expect(routeOf("/docs/intro")).toBe("/docs/intro");
    expect(routeOf("/docs/7")).toBe("/docs/[id]");
    expect(routeOf("/files/7/raw")).toBe("/files/[id]/raw");
    expect(routeOf("/files/7/raw/more")).toBe("/files/[...path]");
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

describe("STREAMED_BODIES", () => {
  it("names routes and methods that exist, and streamedBodyOf finds them by path", () => {
    for (const [pattern, methods] of Object.entries(STREAMED_BODIES)) {
      for (const method of Object.keys(methods)) expect(API_ROUTES[pattern], pattern).toContain(method);
    }
    expect(streamedBodyOf("POST", "/api/uploads")).toEqual({ limit: UPLOAD_REQUEST_MAX_BYTES, tooLarge: UPLOAD_TOO_LARGE_MESSAGE });
    for (const [method, path] of [["GET", "/api/uploads"], ["POST", "/api/uploads/x"], ["POST", "/api/articles"]]) expect(streamedBodyOf(method, path), `${method} ${path}`).toBeUndefined();
  });
});

describe("STREAMED_BODIES outside proxy.ts", () => {
  it("proxy.ts's matcher leaves each such route out, and next.config.ts gives it the API's Content-Security-Policy instead", async () => {
    const { config } = await import("@/proxy");
    // Next's own reading of a matcher (not in its type declarations): what `next build` compiles it to.
    type ReadMatchers = (matcher: unknown, config: { i18n: undefined; basePath: string }) => { regexp: string }[];
    const next = (await import("next/dist/build/analysis/get-page-static-info")) as unknown as { getMiddlewareMatchers: ReadMatchers };
    const matchers = next.getMiddlewareMatchers(config.matcher, { i18n: undefined, basePath: "" }).map((m) => new RegExp(m.regexp));
    const headers = await (await import("@/next.config")).default.headers!();
    for (const route of Object.keys(STREAMED_BODIES)) {
      expect(matchers.some((m) => m.test(route)), `proxy.ts runs on ${route}`).toBe(false);
      expect(headers.find((h) => h.source === route)?.headers, route).toContainEqual({ key: "Content-Security-Policy", value: API_CSP });
    }
    expect(matchers.some((m) => m.test("/api/uploads/some-id")), "GET /api/uploads/[id] still goes through the proxy").toBe(true);
  });
});
