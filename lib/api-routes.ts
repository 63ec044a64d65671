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
import { DEFAULT_MAX_BODY_BYTES, UPLOAD_REQUEST_MAX_BYTES, UPLOAD_TOO_LARGE_MESSAGE } from "@/lib/request-limits";

/** The methods a route.ts may export (Next's HTTP_METHODS; HEAD and OPTIONS are implemented for it). */
export type RouteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Route pattern (Next's: `[id]` a dynamic segment, `[...path]` a catch-all) → the methods its route.ts exports. */
export const API_ROUTES: Readonly<Record<string, readonly RouteMethod[]>> = {
  "/api/account/digest": ["POST"],
  "/api/add": ["POST"],
  // The dashboard's API (lib/dashboard.ts): it answers its own 404 and 405 below this prefix.
  "/api/admin/[...path]": ["GET", "POST", "PUT", "PATCH", "DELETE"],
  "/api/articles": ["GET", "POST"],
  "/api/articles/[id]": ["GET", "PATCH"],
  "/api/login": ["POST"],
  "/api/logout": ["POST"],
  "/api/metrics": ["GET"],
  "/api/pages": ["POST"],
  "/api/password/forgot": ["POST"],
  "/api/password/reset": ["POST"],
  "/api/signup": ["POST"],
  "/api/tasks/[id]": ["GET"],
  "/api/tasks/[id]/events": ["GET"],
  "/api/uploads": ["POST"],
  "/api/uploads/[id]": ["GET"],
};

/** `[...rest]`: the rest of the path, one segment or more; `[[...rest]]`: zero or more. */
const CATCH_ALL = /^\[(\[)?\.\.\.[^\]]+\]\]?$/;

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  const last = pattern[pattern.length - 1];
  const catchAll = CATCH_ALL.exec(last);
  const fixed = catchAll ? pattern.slice(0, -1) : pattern;
  if (catchAll ? segments.length < fixed.length + (catchAll[1] ? 0 : 1) : segments.length !== fixed.length) return false;
  if (catchAll && segments.slice(fixed.length).some((s) => s === "")) return false;
  return fixed.every((s, i) => s === segments[i] || (/^\[[^\]]+\]$/.test(s) && segments[i] !== ""));
}

function rank(segments: string[]): number {
  return segments.reduce((sum, s) => sum + (CATCH_ALL.test(s) ? 1000 : s.startsWith("[") ? 1 : 0), 0);
}

/** For route patterns, the function that finds the one a request path (still percent-encoded) is served by, or undefined when none is. */
export function routeMatcher(patterns: readonly string[]): (pathname: string) => string | undefined {
  const split = patterns.map((pattern) => ({ pattern, segments: pattern.split("/") }));
  return (pathname) => {
    const segments = pathname.split("/");
    // As in Next's router: a static segment wins over a dynamic one, and both over a catch-all.
    const found = split.filter((p) => matches(p.segments, segments));
    return found.sort((a, b) => rank(a.segments) - rank(b.segments))[0]?.pattern;
  };
}

/** The route of API_ROUTES a request path (still percent-encoded) is served by, or undefined when none is. */
export const apiRouteOf = routeMatcher(Object.keys(API_ROUTES));

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

/** A request body its route handler reads as a stream, and how large it may be. */
export interface StreamedBody {
  limit: number;
  /** The 413's message when the request declares more than `limit`. */
  tooLarge: string;
}

/**
 * Route pattern → method → a body the handler streams (a file upload) instead of one held in memory:
 * lib/server-boot.ts hands such a request to Next at once (refusing only a declared Content-Length over the
 * limit), proxy.ts's matcher leaves the route out (Next would buffer the body for the proxy), and the
 * handler counts what arrives itself (route()'s `streamedBody`).
 */
export const STREAMED_BODIES: Readonly<Record<string, Partial<Record<RouteMethod, StreamedBody>>>> = {
  "/api/uploads": { POST: { limit: UPLOAD_REQUEST_MAX_BYTES, tooLarge: UPLOAD_TOO_LARGE_MESSAGE } },
};

/** The streamed body a request to `pathname` sends (STREAMED_BODIES), or undefined when its body is held and read whole. */
export function streamedBodyOf(method: string, pathname: string): StreamedBody | undefined {
  const route = apiRouteOf(pathname);
  return route === undefined ? undefined : STREAMED_BODIES[route]?.[method as RouteMethod];
}

/** What the route answers besides its exports: HEAD wherever there is GET, and OPTIONS (both by Next). Sorted, as Next's OPTIONS sends it. */
export function allowedMethods(pattern: string): string[] {
  const methods = new Set<string>([...API_ROUTES[pattern], "OPTIONS"]);
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
