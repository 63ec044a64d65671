/**
 * This app's operations dashboard (celeriac/dashboard), mounted by three route files as any app would:
 *
 *   app/admin/[[...path]]/route.ts      the pages (GET/HEAD) and their assets
 *   app/api/admin/[...path]/route.ts    the JSON API and its live feed
 *   app/api/metrics/route.ts            Prometheus metrics, to METRICS_TOKEN's bearer only (404 when unset)
 *
 * Who may see it is the demo's staff session: nobody logged in is sent to /login?next=… (the API answers
 * 401), a logged-in user who is not staff gets 403, staff are named by their email in the audit log.
 * Writes come from the app's own origins only (lib/csrf.ts originPolicy: APP_URL's and ALLOWED_ORIGINS); in
 * development (`npm run dev`, any port) also from this machine's own Host (localhost, 127.x), the same rule
 * lib/csrf.ts applies to every other route.
 *
 * Nothing connects when this module is imported (`next build` imports it): the dashboard opens its
 * broker listeners on the first request.
 */
import { createDashboard, type Authorization } from "celeriac/dashboard";
import { requestUser } from "@/lib/accounts";
import { celeriac } from "@/lib/celery";
import { originPolicy } from "@/lib/csrf";
import { env } from "@/lib/env";
import * as articles from "@/tasks/articles";
import * as demo from "@/tasks/demo";
import * as emails from "@/tasks/emails";
import * as pages from "@/tasks/pages";

/** The staff session of a request, as the dashboard asks for it. */
async function staffOf(request: Request): Promise<Authorization> {
  const user = await requestUser(request.headers.get("cookie"));
  if (!user) return "login";
  return user.isStaff ? { staff: user.email } : "denied";
}

const origins = originPolicy(env);

export const dashboard = createDashboard({
  app: celeriac,
  // A web process imports only the tasks its routes use: name them all, for names, schemas and redaction.
  tasks: [demo, articles, emails, pages],
  authorize: staffOf,
  // The app's own policy (lib/csrf.ts): APP_URL, ALLOWED_ORIGINS, and in development this machine's Host.
  trustedOrigins: origins.trustedOrigins,
  trustOwnLoopbackHost: origins.trustOwnLoopbackHost,
  metricsToken: env.METRICS_TOKEN,
});
