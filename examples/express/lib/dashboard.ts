/**
 * celeriac's operations dashboard in this app: pages at /admin, its JSON API at /api/admin, Prometheus
 * metrics at /api/metrics, all served by one middleware (nodeHandler), behind HTTP Basic auth the way Flower
 * runs with `--basic_auth user:pass`:
 *
 *   DASHBOARD_BASIC_AUTH=ops:long-password   who may see it (user:password; the password may hold colons).
 *                                            Unset: the dashboard is not mounted (its paths are 404s).
 *   METRICS_TOKEN=<16+ characters>           the bearer Prometheus scrapes /api/metrics with; unset: 404.
 *
 * Without the right credentials a page or an API route answers 401 with `WWW-Authenticate: Basic`, so a
 * browser asks for them; /api/metrics asks for its bearer instead. The credentials are compared in constant
 * time (digests of equal length, timingSafeEqual).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createDashboard, nodeHandler, type Dashboard } from "celeriac/dashboard";
import { celeriac } from "./celery";
import * as reports from "../tasks/reports";

const REALM = "celeriac dashboard";
const METRICS_PATH = "/api/metrics";

/** `user:password` from DASHBOARD_BASIC_AUTH, checked; undefined when it is unset. */
export function basicAuthSetting(text: string | undefined): { user: string; password: string } | undefined {
  if (text === undefined || text === "") return undefined;
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) throw new Error("DASHBOARD_BASIC_AUTH must be user:password (e.g. ops:a-long-random-password)");
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** The user an `Authorization: Basic …` header proves, or null: absent, malformed or wrong (compared in constant time). */
export function basicAuthUser(header: string | null | undefined, expected: { user: string; password: string }): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header ?? "");
  if (!match) return null;
  const given = Buffer.from(match[1], "base64").toString("utf8");
  return timingSafeEqual(digest(given), digest(`${expected.user}:${expected.password}`)) ? expected.user : null;
}

export interface MountedDashboard {
  dashboard: Dashboard;
  /** Express / node:http middleware: the dashboard's paths behind Basic auth; any other path goes to next(). */
  middleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
}

export function mountDashboard(credentials: { user: string; password: string }, metricsToken: string | undefined): MountedDashboard {
  const dashboard = createDashboard({
    app: celeriac,
    tasks: [reports],
    authorize: (request) => {
      const user = basicAuthUser(request.headers.get("authorization"), credentials);
      return user === null ? "login" : { staff: user };
    },
    metricsToken,
  });
  const serve = nodeHandler(dashboard);
  return {
    dashboard,
    middleware(req, res, next) {
      const path = (req.url ?? "/").split("?")[0];
      if (!dashboard.serves(path)) return next();
      // The pages too: a 401 with a challenge makes the browser ask, where the dashboard would send to a login page.
      if (path !== METRICS_PATH && basicAuthUser(req.headers.authorization, credentials) === null) {
        res.writeHead(401, { "www-authenticate": `Basic realm="${REALM}", charset="UTF-8"`, "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify({ error: "the dashboard needs its user name and password (DASHBOARD_BASIC_AUTH)" }));
        return;
      }
      serve(req, res, next);
    },
  };
}

const credentials = basicAuthSetting(process.env.DASHBOARD_BASIC_AUTH);

/** The dashboard of this app's settings, or undefined when DASHBOARD_BASIC_AUTH is unset. */
export const dashboard = credentials && mountDashboard(credentials, process.env.METRICS_TOKEN || undefined);
