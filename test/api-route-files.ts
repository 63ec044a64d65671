/**
 * The API as the files under app/api/ define it, read from disk as Next reads them: every `route.{ts,js,…}` is
 * one route, its URL template is its folder path (route groups `(x)` left out, private `_x` folders skipped,
 * `[id]`, `[...slug]` and `[[...slug]]` segments), and its methods are the HTTP method names the file
 * exports. The one walk of app/api/ for the tests that must follow it: lib/api-routes.test.ts (the proxy's
 * written-out table must match it) and the fuzz suite (every route found is fuzzed). Nothing at run time reads
 * it: the proxy cannot read the disk, hence lib/api-routes.ts's table.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** The methods Next.js lets a route handler export. */
export const HANDLER_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"] as const;
export type HandlerMethod = (typeof HANDLER_METHODS)[number];

export type Segment =
  | { kind: "static"; value: string }
  /** `[id]`: one path segment. */
  | { kind: "dynamic"; name: string }
  /** `[...slug]` (one or more segments) and `[[...slug]]` (zero or more). */
  | { kind: "catchAll"; name: string; optional: boolean };

export interface ApiRoute {
  /** The URL template, as Next writes it: "/api/tasks/[id]/events". */
  template: string;
  segments: Segment[];
  /** The methods the module exports, in HANDLER_METHODS order. */
  methods: HandlerMethod[];
  /** The route file, relative to the project root. */
  file: string;
}

const ROUTE_FILE = /^route\.(ts|tsx|js|jsx|mjs)$/;

function segmentOf(folder: string): Segment | null {
  if (/^\(.*\)$/.test(folder)) return null; // a route group: not part of the URL
  const optional = /^\[\[\.\.\.(.+)\]\]$/.exec(folder);
  if (optional) return { kind: "catchAll", name: optional[1], optional: true };
  const catchAll = /^\[\.\.\.(.+)\]$/.exec(folder);
  if (catchAll) return { kind: "catchAll", name: catchAll[1], optional: false };
  const dynamic = /^\[(.+)\]$/.exec(folder);
  if (dynamic) return { kind: "dynamic", name: dynamic[1] };
  return { kind: "static", value: folder };
}

/**
 * The HTTP methods a route module's source exports: `export const GET =`, `export async function POST(`,
 * `export { handler as PUT }`. (Read from the source: importing the module would start the app.)
 */
export function exportedMethods(source: string): HandlerMethod[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:const|let|var|(?:async\s+)?function\*?)\s+([A-Z]+)\b/g)) names.add(m[1]);
  for (const m of source.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) names.add(part.trim().split(/\s+as\s+/).pop()!.trim());
  }
  return HANDLER_METHODS.filter((method) => names.has(method));
}

/** Every route under `<root>/app/api`, sorted by template (code-unit order). */
export function discoverRoutes(root: string): ApiRoute[] {
  const apiDir = join(root, "app", "api");
  const routes: ApiRoute[] = [];
  const walk = (dir: string, segments: Segment[]) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name.startsWith("_")) continue; // a private folder: never routed
        const segment = segmentOf(entry.name);
        walk(join(dir, entry.name), segment ? [...segments, segment] : segments);
      } else if (ROUTE_FILE.test(entry.name)) {
        const file = join(dir, entry.name);
        routes.push({ template: templateOf(segments), segments, methods: exportedMethods(readFileSync(file, "utf8")), file: relative(root, file).split(sep).join("/") });
      }
    }
  };
  walk(apiDir, [{ kind: "static", value: "api" }]);
  return routes.sort((a, b) => (a.template < b.template ? -1 : a.template > b.template ? 1 : 0));
}

function templateOf(segments: Segment[]): string {
  const parts = segments.map((s) => (s.kind === "static" ? s.value : s.kind === "dynamic" ? `[${s.name}]` : s.optional ? `[[...${s.name}]]` : `[...${s.name}]`));
  return `/${parts.join("/")}`;
}
