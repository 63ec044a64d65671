/**
 * Every route under app/api/ and the methods its route.ts exports, for the answers given before routing:
 * proxy.ts answers a method a route does not export with 405 and an Allow header (Next itself answers 405
 * without one for GET/POST/PUT/PATCH/DELETE, 400 for WebDAV-style methods such as PROPFIND, and 500 for
 * TRACE), and lib/server-boot.ts does the same for TRACE, which never reaches the proxy.
 *
 * Written out rather than discovered at run time (the proxy cannot read the route modules);
 * lib/api-routes.test.ts fails when this table and the route files under app/api/ disagree (read by
 * test/api-route-files.ts, which the fuzz suite's route discovery is too).
 *
 * The body limits are here too (BODY_LIMITS): lib/server-boot.ts refuses a larger body while it arrives,
 * before Next reads it, and route() (lib/http.ts) holds every request to the same number.
 */
import { DEFAULT_MAX_BODY_BYTES } from "@/lib/request-limits";

/** The methods a route.ts may export (Next's HTTP_METHODS; HEAD and OPTIONS are implemented for it). */
export type RouteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Route pattern (Next's, `[id]` a dynamic segment) → the methods its route.ts exports. */
export const API_ROUTES: Readonly<Record<string, readonly RouteMethod[]>> = {
  "/api/add": ["POST"],
  "/api/admin/periodic-tasks": ["GET", "POST"],
  "/api/admin/periodic-tasks/[id]": ["GET", "PUT", "PATCH", "DELETE"],
  "/api/admin/periodic-tasks/[id]/return-to-settings": ["POST"],
  "/api/articles": ["GET", "POST"],
  "/api/articles/[id]": ["GET", "PATCH"],
  "/api/login": ["POST"],
  "/api/logout": ["POST"],
  "/api/password/forgot": ["POST"],
  "/api/password/reset": ["POST"],
  "/api/signup": ["POST"],
  "/api/tasks/[id]": ["GET"],
  "/api/tasks/[id]/events": ["GET"],
};

const PATTERNS = Object.keys(API_ROUTES).map((pattern) => ({ pattern, segments: pattern.split("/") }));

/** The route pattern a request path (still percent-encoded) is served by, or undefined when none is. */
export function apiRouteOf(pathname: string): string | undefined {
  const segments = pathname.split("/");
  // A static segment wins over a dynamic one, as in Next's router (none overlap today).
  const matches = PATTERNS.filter((p) => p.segments.length === segments.length && p.segments.every((s, i) => s === segments[i] || (/^\[[^\]]+\]$/.test(s) && segments[i] !== "")));
  return matches.sort((a, b) => dynamicCount(a.segments) - dynamicCount(b.segments))[0]?.pattern;
}

function dynamicCount(segments: string[]): number {
  return segments.filter((s) => s.startsWith("[")).length;
}

/**
 * An article's request: a 20,000-character body (app/api/articles/fields.ts) is up to 120,000 bytes of JSON
 * when a client escapes each character as \uXXXX.
 */
const ARTICLE_REQUEST_BYTES = 128 * 1024;

/**
 * Route pattern → method → the largest request body it accepts, in bytes, where that is not
 * DEFAULT_MAX_BODY_BYTES (64 KiB); each at most LARGEST_MAX_BODY_BYTES, which Next's proxy buffer is sized for.
 */
export const BODY_LIMITS: Readonly<Record<string, Partial<Record<RouteMethod, number>>>> = {
  "/api/articles": { POST: ARTICLE_REQUEST_BYTES },
  "/api/articles/[id]": { PATCH: ARTICLE_REQUEST_BYTES },
};

/** The largest body a request may send: its route's limit for the method (BODY_LIMITS), else the default; any path, /api or not. */
export function bodyLimitOf(method: string, pathname: string): number {
  const route = apiRouteOf(pathname);
  return (route === undefined ? undefined : BODY_LIMITS[route]?.[method as RouteMethod]) ?? DEFAULT_MAX_BODY_BYTES;
}

/** What the route answers besides its exports: HEAD wherever there is GET, and OPTIONS (both by Next). Sorted, as Next's OPTIONS sends it. */
export function allowedMethods(pattern: string): string[] {
  const methods = new Set<string>([...API_ROUTES[pattern], "OPTIONS"]);
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
