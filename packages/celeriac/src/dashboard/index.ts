/**
 * celeriac/dashboard: the operations dashboard (Flower and the django-celery-results admin) as a fetch
 * handler an app mounts, with a prebuilt browser client, a JSON API and Prometheus metrics.
 *
 *   const dashboard = createDashboard({ app: celeriac, tasks: [emails, reports], authorize, metricsToken });
 *   // Next.js: app/admin/[[...path]]/route.ts and app/api/admin/[...path]/route.ts
 *   export const GET = dashboard.handle, POST = dashboard.handle, …;
 *   // app/api/metrics/route.ts
 *   export const GET = dashboard.metrics;
 *   // Express, Connect or node:http: everything (pages, API, metrics) in one middleware
 *   server.use(nodeHandler(dashboard));
 *
 * `authorize(request)` is the app's: who may see the dashboard ("staff"), who must log in first ("login":
 * a page redirects to `${loginPath}?next=…`, the API answers 401), who may not ("denied": 403). The
 * dashboard keeps no session and no user table of its own.
 *
 * What `handle()` answers, by path:
 *   apiPath/…      the JSON API (api-types.ts): 401/403 by authorize; every POST/PUT/PATCH/DELETE from the
 *                  app's own pages only (web/origin.ts: 403), `content-type: application/json` (415), at most
 *                  64 KiB (413), checked with zod (400 `{ error, field }`), recorded in the audit log and
 *                  idempotent by its `requestKey` (actions.ts); unknown paths 404, other methods 405
 *   pagesPath/…    GET/HEAD: the HTML shell of every client route (302 to the login page, 403 "staff
 *                  only"), with a CSP nonce (pages.ts); `assets/dashboard.<version>.{js,css}`, cached a year
 *   metricsPath    metrics(): Prometheus' text format to `Authorization: Bearer <metricsToken>` (metrics.ts)
 */
import type { Celeriac } from "../app.js";
import { ConfigError } from "../errors.js";
import { normalizeOrigins, requestCrossSiteRefusal, type OriginPolicy } from "../web/origin.js";
import { ActionLog } from "./actions.js";
import { auditRoutes } from "./api/audit.js";
import { feedHub, feedRoutes } from "./api/feed.js";
import { overviewRoutes } from "./api/overview.js";
import { periodicRoutes } from "./api/periodic-tasks.js";
import { queueRoutes } from "./api/queues.js";
import { taskRoutes } from "./api/tasks.js";
import { workerRoutes } from "./api/workers.js";
import type { DashboardContext } from "./context.js";
import { errorReply, HttpError, jsonReply, parseInput, readJsonBody } from "./http.js";
import { KnownTasks, type TaskSource } from "./known-tasks.js";
import { bearerMatches, DashboardMetrics } from "./metrics.js";
import { assetResponse, isPageRoute, plainPage, shellResponse } from "./pages.js";
import { Presenter } from "./presenter.js";
import { Router } from "./router.js";

export type { TaskSource } from "./known-tasks.js";
export { nodeHandler } from "./node.js";
export { REDACTED } from "./presenter.js";
export type * from "./api-types.js";

/** What authorize() says of a request: staff (optionally named, for the audit log), must log in, or may not. */
export type Authorization = "staff" | "denied" | "login" | { staff: string };

export interface DashboardOptions {
  app: Celeriac;
  /** Who is asking: "staff", `{ staff: "ada@example.com" }` (named in the audit log), "login" or "denied". */
  authorize(request: Request): Authorization | Promise<Authorization>;
  /**
   * The app's tasks (Task objects or module namespaces holding them), so a web process knows every name,
   * schema and redaction (a worker discovers them; a route handler imports them). Merged with app.registry.
   * @defaultValue [] (the registry only: the tasks this process has imported)
   */
  tasks?: readonly TaskSource[];
  /** Where the pages are. @defaultValue "/admin" */
  pagesPath?: string;
  /** Where the JSON API is. @defaultValue "/api/admin" */
  apiPath?: string;
  /** Where anonymous page visits are sent, with `?next=<the path asked for>`. @defaultValue "/login" */
  loginPath?: string;
  /** Where handle() and nodeHandler() serve metrics(). @defaultValue "/api/metrics" */
  metricsPath?: string;
  /**
   * The origins whose pages may write (POST/PUT/PATCH/DELETE), e.g. ["https://ops.example.com"].
   * @defaultValue the origin of each request's own URL (see web/origin.ts)
   */
  trustedOrigins?: readonly string[];
  /**
   * Also trust an Origin equal to the Host when that host is this machine (localhost, 127.x, [::1]): for
   * a development server, whose port and name vary; never in production (web/origin.ts). @defaultValue false
   */
  trustOwnLoopbackHost?: boolean;
  /** The bearer token metrics() answers; null or unset: metrics() answers 404. */
  metricsToken?: string | null;
}

export interface Dashboard {
  /** The pages, the API and the metrics, by path (see the module comment); 404 for any other path. */
  handle(request: Request): Promise<Response>;
  /** The Prometheus metrics, whatever the path (mount it where you like). */
  metrics(request: Request): Promise<Response>;
  /** Whether `pathname` is one of the dashboard's (pages, API, metrics): nodeHandler() passes the others on. */
  serves(pathname: string): boolean;
  /** Ends the live feeds and stops listening to the broker; the app itself stays open. */
  close(): Promise<void>;
}

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** "/admin/" → "/admin"; "/" → "" (mounted at the root). */
function mountPath(name: string, value: string): string {
  if (!/^\/[^?#\s]*$/.test(value)) throw new ConfigError(`createDashboard: ${name} is a path starting with '/', e.g. "/admin" (got ${JSON.stringify(value)})`);
  return value.replace(/\/+$/, "");
}

/** The part of `pathname` below `base` ("" for base itself), or undefined when it is not below it. */
function below(pathname: string, base: string): string | undefined {
  if (pathname === base || pathname === `${base}/`) return "";
  return pathname.startsWith(`${base}/`) ? pathname.slice(base.length + 1).replace(/\/+$/, "") : undefined;
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const { app, authorize } = options;
  const pagesPath = mountPath("pagesPath", options.pagesPath ?? "/admin");
  const apiPath = mountPath("apiPath", options.apiPath ?? "/api/admin");
  const loginPath = mountPath("loginPath", options.loginPath ?? "/login") || "/";
  const metricsPath = mountPath("metricsPath", options.metricsPath ?? "/api/metrics");
  const origins: OriginPolicy | undefined = options.trustedOrigins && {
    trustedOrigins: normalizeOrigins(options.trustedOrigins),
    trustOwnLoopbackHost: options.trustOwnLoopbackHost ?? false,
  };
  const metricsToken = options.metricsToken || null;
  const log = app.log.child({ component: "dashboard" });

  const reply = (error: unknown) => errorReply(error, { log, schema: app.schema });
  const known = new KnownTasks(options.tasks ?? [], app.registry);
  const ctx: DashboardContext = { app, known, presenter: new Presenter(known), actions: new ActionLog(app.audit, reply, log), log };
  const hub = feedHub(ctx);
  const router = new Router([
    ...overviewRoutes(ctx),
    ...taskRoutes(ctx),
    ...workerRoutes(ctx),
    ...queueRoutes(ctx),
    ...periodicRoutes(ctx),
    ...auditRoutes(ctx),
    ...feedRoutes(hub),
  ]);
  const counted = metricsToken === null ? undefined : new DashboardMetrics(app, log);

  const who = async (request: Request): Promise<{ actor: string } | "login" | "denied"> => {
    const answer: unknown = await authorize(request);
    if (answer === "login" || answer === "denied") return answer;
    if (answer === "staff") return { actor: "staff" };
    const named = typeof answer === "object" && answer !== null ? (answer as { staff?: unknown }).staff : undefined;
    if (typeof named === "string" && named !== "") return { actor: named };
    // Only an explicit yes lets anyone in: a hook that returns undefined or false by mistake must not.
    log.error({ answer: typeof answer }, 'dashboard: authorize() answered neither "staff", { staff: name }, "login" nor "denied"; refusing');
    return "denied";
  };

  const api = async (request: Request, url: URL, path: string): Promise<Response> => {
    try {
      const refusal = requestCrossSiteRefusal(request, origins);
      if (refusal) throw new HttpError(403, refusal);
      const access = await who(request);
      if (access === "login") throw new HttpError(401, "log in to use the dashboard");
      if (access === "denied") throw new HttpError(403, "the dashboard is for staff only");
      const { route, params } = router.match(request.method, path);
      const response = await route.handle({
        request,
        url,
        params,
        actor: access.actor,
        body: async (schema) => {
          if (!MUTATIONS.has(request.method)) throw new TypeError(`a ${request.method} handler has no body to read`);
          return parseInput(schema, await readJsonBody(request));
        },
      });
      return request.method === "HEAD" ? new Response(null, { status: response.status, headers: response.headers }) : response;
    } catch (error) {
      return reply(error);
    }
  };

  const page = async (request: Request, url: URL, path: string): Promise<Response> => {
    if (path.startsWith("assets/")) return assetResponse(path.slice("assets/".length), request.method) ?? plainPage(404, "Not found", "No such dashboard asset.");
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(`${request.method} is not allowed on a page: pages answer GET, HEAD\n`, { status: 405, headers: { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" } });
    }
    const access = await who(request);
    if (access === "login") {
      return new Response(null, { status: 302, headers: { location: `${loginPath}?next=${encodeURIComponent(url.pathname + url.search)}`, "cache-control": "no-store" } });
    }
    if (access === "denied") return plainPage(403, "Staff only", "The dashboard is for staff only. Log in with a staff account to see it.");
    return shellResponse(request, { pagesPath, apiPath, actor: access.actor }, isPageRoute(path) ? 200 : 404);
  };

  const metrics = async (request: Request): Promise<Response> => {
    if (counted === undefined || metricsToken === null) return jsonReply({ error: "not found" }, 404);
    counted.listen();
    if (request.method !== "GET" && request.method !== "HEAD") return jsonReply({ error: `${request.method} is not allowed here: metrics answer GET, HEAD` }, 405, { allow: "GET, HEAD" });
    if (!bearerMatches(request.headers.get("authorization"), metricsToken)) {
      return jsonReply({ error: "metrics need Authorization: Bearer <the metrics token>" }, 401, { "www-authenticate": 'Bearer realm="celeriac metrics"' });
    }
    try {
      const { contentType, text } = await counted.exposition();
      return new Response(request.method === "HEAD" ? null : text, { headers: { "content-type": contentType, "cache-control": "no-store" } });
    } catch (error) {
      log.warn({ err: error }, "metrics: could not read the queues or workers for a scrape");
      return jsonReply({ error: "could not collect the metrics: the broker (Redis) did not answer" }, 503);
    }
  };

  const serves = (pathname: string) => pathname === metricsPath || below(pathname, apiPath) !== undefined || below(pathname, pagesPath) !== undefined;

  return {
    async handle(request) {
      counted?.listen();
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return jsonReply({ error: "malformed request URL" }, 400);
      }
      if (url.pathname === metricsPath) return metrics(request);
      const apiRest = below(url.pathname, apiPath);
      if (apiRest !== undefined) return api(request, url, apiRest);
      const pageRest = below(url.pathname, pagesPath);
      if (pageRest !== undefined) {
        try {
          return await page(request, url, pageRest);
        } catch (error) {
          log.error({ err: error }, "dashboard: could not answer a page");
          return plainPage(500, "Internal error", "The dashboard could not answer; see the server log.");
        }
      }
      return jsonReply({ error: "not a dashboard path" }, 404);
    },
    metrics,
    serves,
    async close() {
      hub.close();
      await counted?.close();
    },
  };
}
