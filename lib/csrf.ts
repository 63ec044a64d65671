/**
 * Cross-site request refusal for every mutating request (POST/PUT/PATCH/DELETE), applied by lib/http.ts's
 * route() to every route handler, login and logout included (login CSRF would log a victim into the
 * attacker's account). The session cookie is already SameSite=Lax, so a browser does not send it with a
 * cross-site POST; this check is the second lock, in the style of Django's CsrfViewMiddleware origin check
 * (and Rails' / Next server actions'):
 *
 *   - `Sec-Fetch-Site` (sent by every current browser) must be "same-origin" (or "none": typed by the user);
 *     "same-site" (a sibling subdomain) and "cross-site" are refused;
 *   - `Origin`, when present (browsers send it with every non-GET fetch and form post), must be a trusted
 *     origin: APP_URL's, or one listed in ALLOWED_ORIGINS (Django's CSRF_TRUSTED_ORIGINS; lib/env.ts);
 *     "null" is refused. The request's Host header is no proof: it is whatever name the browser was
 *     pointed at, so a page on an attacker's domain that resolves to this server (DNS rebinding) would
 *     pass an "Origin equals Host" rule. Development alone (`npm run dev`: no APP_URL to set, any port,
 *     localhost or 127.0.0.1) also trusts an Origin equal to the Host when that host is this machine
 *     (localhost, *.localhost, 127.x.x.x, [::1]), which a rebinding name is not; tests run without it;
 *   - neither header: accepted. Every browser that can be made to send a request today sends at least
 *     one of them, so such a request is not a victim's browser carrying a cookie it did not mean to
 *     send (it is curl, a script, a server). And even a browser old enough to send neither could only
 *     post a form, whose content types (urlencoded, multipart, text/plain) the JSON-only rule answers 415,
 *     with a body or without;
 *     a cross-origin fetch with `content-type: application/json` needs a CORS preflight, which this
 *     app never grants.
 */
import { env } from "@/lib/env";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const CROSS_SITE_MESSAGE = "cross-site request refused: this app accepts changes from its own pages only";

export interface RequestOrigin {
  method: string;
  /** The Origin header, if any. */
  origin: string | null;
  /** The Sec-Fetch-Site header, if any. */
  secFetchSite: string | null;
  /** The Host header the request was sent to ("127.0.0.1:3100"). */
  host: string | null;
  /** The origins whose pages may write, as URL.origin spells them ("https://example.com"). */
  trustedOrigins: readonly string[];
  /** Also trust an Origin that equals the Host when that host is this machine (development only). */
  trustOwnLoopbackHost?: boolean;
}

/** Why a request must be refused as cross-site, or null when it may go on (see the module comment). */
export function crossSiteRefusal({ method, origin, secFetchSite, host, trustedOrigins, trustOwnLoopbackHost = false }: RequestOrigin): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const site = secFetchSite?.trim().toLowerCase();
  if (site && site !== "same-origin" && site !== "none") return `${CROSS_SITE_MESSAGE} (Sec-Fetch-Site: ${site})`;
  if (origin === null) return null;
  const parsed = urlOf(origin);
  if (origin === "null" || !parsed || !/^https?:$/.test(parsed.protocol)) return `${CROSS_SITE_MESSAGE} (Origin: ${origin})`;
  if (trustedOrigins.includes(parsed.origin)) return null;
  if (trustOwnLoopbackHost && isLoopback(parsed.hostname) && parsed.host === urlOf(`${parsed.protocol}//${host}`)?.host) return null;
  return `${CROSS_SITE_MESSAGE} (Origin: ${origin} is not a trusted origin)`;
}

export type OriginPolicy = Pick<RequestOrigin, "trustedOrigins" | "trustOwnLoopbackHost">;

/** Whom an environment trusts: APP_URL's origin and ALLOWED_ORIGINS; in development, the Host too when it is this machine. */
export function originPolicy({ APP_URL, ALLOWED_ORIGINS, NODE_ENV }: Pick<typeof env, "APP_URL" | "ALLOWED_ORIGINS" | "NODE_ENV">): OriginPolicy {
  return { trustedOrigins: [new URL(APP_URL).origin, ...ALLOWED_ORIGINS], trustOwnLoopbackHost: NODE_ENV === "development" };
}

const APP_POLICY = originPolicy(env);

/** crossSiteRefusal() for a request's own headers, by this app's policy (its environment's). */
export function requestCrossSiteRefusal(request: Request): string | null {
  return crossSiteRefusal({
    method: request.method,
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
    host: request.headers.get("host"),
    ...APP_POLICY,
  });
}

/** Names that reach this machine only: the Host of a page a rebinding attack serves is never one. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]";
}

function urlOf(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
