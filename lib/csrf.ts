/**
 * Whom this app trusts to write: the origin policy of the cross-site check on every mutating request
 * (POST/PUT/PATCH/DELETE), which lib/http.ts's route() applies to every route handler, login and logout
 * included (login CSRF would log a victim into the attacker's account), and lib/dashboard.ts hands to the
 * dashboard. The rule itself is celeriac/web's crossSiteRefusal(), Django's CsrfViewMiddleware origin check
 * (`Sec-Fetch-Site` must be same-origin; an `Origin` must be trusted; a request with neither header is no
 * browser's); the session cookie is SameSite=Lax besides. Trusted, from the environment:
 *
 *   - APP_URL's origin, always, and the ones listed in ALLOWED_ORIGINS (Django's CSRF_TRUSTED_ORIGINS;
 *     lib/env.ts). Never the request's Host by itself: it is whatever name the browser was pointed at, so a
 *     page on an attacker's domain that resolves to this server (DNS rebinding) would pass;
 *   - development alone (`npm run dev`: no APP_URL to set, any port, localhost or 127.0.0.1): an Origin equal
 *     to the Host when that host is this machine (localhost, *.localhost, 127.x.x.x, [::1]), which a
 *     rebinding name is not; tests run without it.
 *
 * A browser old enough to send neither header could only post a form, whose content types (urlencoded,
 * multipart, text/plain) route()'s JSON-only rule answers 415, with a body or without; a cross-origin fetch
 * with `content-type: application/json` needs a CORS preflight, which this app never grants.
 */
import type { OriginPolicy } from "celeriac/web";
import { env } from "@/lib/env";

/** Whom an environment trusts: APP_URL's origin and ALLOWED_ORIGINS; in development, the Host too when it is this machine. */
export function originPolicy({ APP_URL, ALLOWED_ORIGINS, NODE_ENV }: Pick<typeof env, "APP_URL" | "ALLOWED_ORIGINS" | "NODE_ENV">): OriginPolicy {
  return { trustedOrigins: [new URL(APP_URL).origin, ...ALLOWED_ORIGINS], trustOwnLoopbackHost: NODE_ENV === "development" };
}

/** This app's policy (its environment's). */
export const APP_ORIGIN_POLICY = originPolicy(env);
