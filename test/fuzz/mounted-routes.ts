/**
 * The routes served below a catch-all route file that mounts a whole API: `app/api/admin/[...path]` is the
 * dashboard's (lib/dashboard.ts), whose own router answers `tasks`, `tasks/:id/retry`, `periodic-tasks/:id`…
 * Fuzzing the catch-all with random segments would only ever reach its 404, so each route of the mounted API
 * is fuzzed as a route of its own ("/api/admin/tasks/[id]/retry", the catch-all's file), besides the catch-all
 * itself (unknown paths below it).
 *
 * The mounted routes are read from the contract the API is written against: the route list at the top of
 * celeriac's dashboard/api-types.ts (`METHOD path` lines, `:id` a segment), so a new dashboard route is fuzzed
 * without touching the suite.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiRoute, HandlerMethod, Segment } from "../api-route-files";

/** Catch-all route templates → the file whose route list they serve (relative to the project root). */
export const MOUNTS: Readonly<Record<string, string>> = {
  "/api/admin/[...path]": "packages/celeriac/src/dashboard/api-types.ts",
};

const ROUTE_LINE = /^ \*\s+(GET|POST|PUT|PATCH|DELETE)\s+([a-z][\w/:-]*)/gm;

/** The routes a contract's header lists, as path (":id" segments) → methods, in the order listed. */
export function contractRoutes(source: string): Map<string, HandlerMethod[]> {
  const routes = new Map<string, HandlerMethod[]>();
  for (const [, method, path] of source.matchAll(ROUTE_LINE)) {
    const methods = routes.get(path) ?? [];
    if (!methods.includes(method as HandlerMethod)) methods.push(method as HandlerMethod);
    routes.set(path, methods);
  }
  return routes;
}

/** `route` itself, and, when it is a mount, one route per path of the API mounted there. */
export function withMountedRoutes(route: ApiRoute, root: string): ApiRoute[] {
  const contract = MOUNTS[route.template];
  if (contract === undefined) return [route];
  const listed = contractRoutes(readFileSync(join(root, contract), "utf8"));
  if (listed.size === 0) throw new Error(`${contract} lists no routes (lines " *   METHOD path"): the fuzz suite would not reach ${route.template}'s API`);
  const base = route.segments.slice(0, -1);
  const mounted = [...listed].map(([path, methods]): ApiRoute => {
    const segments: Segment[] = [...base, ...path.split("/").map((part): Segment => (part.startsWith(":") ? { kind: "dynamic", name: part.slice(1) } : { kind: "static", value: part }))];
    const template = `/${segments.map((s) => (s.kind === "static" ? s.value : `[${s.name}]`)).join("/")}`;
    return { template, segments, methods, file: route.file };
  });
  return [route, ...mounted];
}
