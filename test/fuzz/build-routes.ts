/**
 * The API routes the production build serves, read from its manifest: the fuzz suite's first test compares
 * them with the routes on disk (test/api-route-files.ts), so a stale build is caught before it is fuzzed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The API routes the production build in `<root>/.next` serves, as templates ("/api/tasks/[id]"), or
 * undefined when there is no build. Read from Next's app-paths manifest (keys like "/api/add/route").
 */
export function buildRouteKeys(root: string): string[] | undefined {
  const manifest = join(root, ".next", "server", "app-paths-manifest.json");
  if (!existsSync(manifest)) return undefined;
  const keys = Object.keys(JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>);
  return keys
    .map((key) => key.replace(/\/\([^/]*\)/g, ""))
    .filter((key) => key.startsWith("/api/") && key.endsWith("/route"))
    .map((key) => key.slice(0, -"/route".length))
    .sort();
}
