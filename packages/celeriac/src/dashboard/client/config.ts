/**
 * Where the dashboard lives, read once at boot from the element the server's page renders:
 * `<div id="celeriac-dashboard" data-pages-path="/admin" data-api-path="/api/admin" data-actor="…">`.
 * The API client, the live feed and the router read it from here.
 */

export interface DashboardConfig {
  /** The pages' root path, without a trailing slash ("" when mounted at "/"). */
  pagesPath: string;
  /** The JSON API's root path, without a trailing slash. */
  apiPath: string;
  /** Who is signed in, as authorize() named them. */
  actor: string;
}

let current: DashboardConfig | undefined;

export function readConfig(element: HTMLElement): DashboardConfig {
  const { pagesPath, apiPath, actor } = element.dataset;
  if (apiPath === undefined || pagesPath === undefined) {
    throw new Error("celeriac dashboard: the root element needs data-pages-path and data-api-path");
  }
  return { pagesPath: withoutTrailingSlash(pagesPath), apiPath: withoutTrailingSlash(apiPath), actor: actor ?? "" };
}

export function configure(config: DashboardConfig): void {
  current = config;
}

export function config(): DashboardConfig {
  if (current === undefined) throw new Error("celeriac dashboard: configure() was not called before use");
  return current;
}

function withoutTrailingSlash(path: string): string {
  return path.replace(/\/+$/, "");
}
