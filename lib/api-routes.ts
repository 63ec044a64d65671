/**
 * Every route under app/api/ and the methods its route.ts exports, for the answers given before routing:
 * proxy.ts answers a method a route does not export with 405 and an Allow header (Next itself answers 405
 * without one for GET/POST/PUT/PATCH/DELETE, 400 for WebDAV-style methods such as PROPFIND, and 500 for
 * TRACE), and lib/server-boot.ts does the same for TRACE, which never reaches the proxy.
 *
 * Written out rather than discovered at run time (the proxy cannot read the route modules);
 * lib/api-routes.test.ts fails when this table and the route files under app/api/ disagree (read by
 * test/api-route-files.ts, which the fuzz suite's route discovery is too).
 */

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

/** What the route answers besides its exports: HEAD wherever there is GET, and OPTIONS (both by Next). Sorted, as Next's OPTIONS sends it. */
export function allowedMethods(pattern: string): string[] {
  const methods = new Set<string>([...API_ROUTES[pattern], "OPTIONS"]);
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
