/**
 * The API's route table and its matching: `{ method, path: "tasks/:id/retry", handle }` entries, matched
 * segment by segment against the path under apiPath (percent-decoded). A static segment wins over a
 * parameter, as in Next's router ("tasks/facets" is not the task "facets"). No route: 404; a route with
 * other methods: 405 with Allow. HEAD is GET without the body.
 */
import type { z } from "zod";
import { HttpError } from "./http.js";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a handler gets: the request, the path's parameters, who is asking, and the body, parsed. */
export interface ApiRequest {
  request: Request;
  url: URL;
  params: Readonly<Record<string, string>>;
  /** The name authorize() gave, or "staff". */
  actor: string;
  /** The JSON body checked by `schema` (a 400 naming the field otherwise). Mutations only. */
  body<S extends z.ZodType>(schema: S): Promise<z.output<S>>;
}

export interface ApiRoute {
  method: Method;
  /** Relative to apiPath, without a leading slash; `:name` is a parameter (one segment). */
  path: string;
  handle(request: ApiRequest): Promise<Response>;
}

export type RouteMatch = { route: ApiRoute; params: Record<string, string> };

interface Compiled {
  route: ApiRoute;
  segments: string[];
  /** Lower ranks first: each parameter segment counts one. */
  rank: number;
}

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: readonly ApiRoute[]) {
    this.routes = routes
      .map((route) => {
        const segments = route.path.split("/");
        return { route, segments, rank: segments.filter((s) => s.startsWith(":")).length };
      })
      .sort((a, b) => a.rank - b.rank);
  }

  /** The route serving `method` on `path` (the part after apiPath, still percent-encoded); 404 or 405 otherwise. */
  match(method: string, path: string): RouteMatch {
    const segments = decodeSegments(path);
    const candidates = this.routes.filter((c) => c.segments.length === segments.length);
    // The best-ranked shape of path decides: a static route never falls through to a parameter one.
    const shapes = candidates.flatMap((c) => {
      const params = paramsOf(c.segments, segments);
      return params === undefined ? [] : [{ c, params }];
    });
    if (shapes.length === 0) throw new HttpError(404, "no such dashboard API route");
    const best = shapes.filter((m) => m.c.rank === shapes[0].c.rank && sameShape(m.c.segments, shapes[0].c.segments));
    const wanted = method === "HEAD" ? "GET" : method;
    const hit = best.find((m) => m.c.route.method === wanted);
    if (hit) return { route: hit.c.route, params: hit.params };
    const allow = [...new Set(best.flatMap((m) => (m.c.route.method === "GET" ? ["GET", "HEAD"] : [m.c.route.method])))];
    throw new HttpError(405, `${method} is not allowed here: this route answers ${allow.join(", ")}`, undefined, { allow: allow.join(", ") });
  }
}

function sameShape(a: readonly string[], b: readonly string[]): boolean {
  return a.every((s, i) => (s.startsWith(":") && b[i].startsWith(":")) || s === b[i]);
}

function paramsOf(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    if (part.startsWith(":")) {
      if (segments[i] === "") return undefined;
      params[part.slice(1)] = segments[i];
    } else if (part !== segments[i]) return undefined;
  }
  return params;
}

/** "tasks/a%3Ab" → ["tasks", "a:b"]; "" → [""] (the API's root, which no route serves); malformed encoding is a 400. */
function decodeSegments(path: string): string[] {
  try {
    return path.split("/").map(decodeURIComponent);
  } catch {
    throw new HttpError(400, "malformed percent-encoding in the URL path");
  }
}
