/**
 * Cross-site request refusal for every mutating request (POST/PUT/PATCH/DELETE), applied by lib/http.ts's
 * route() to every route handler, login and logout included (login CSRF would log a victim into the
 * attacker's account). The session cookie is already SameSite=Lax, so a browser does not send it with a
 * cross-site POST; this check is the second lock, in the style of Django's CsrfViewMiddleware origin check
 * (and Rails' / Next server actions'):
 *
 *   - `Sec-Fetch-Site` (sent by every current browser) must be "same-origin" (or "none": typed by the user);
 *     "same-site" (a sibling subdomain) and "cross-site" are refused;
 *   - `Origin`, when present (browsers send it with every non-GET fetch and form post), must name this
 *     server: its host equals the request's Host header, or it is APP_URL's origin; "null" is refused;
 *   - neither header: accepted. Every browser that can be made to send a request today sends at least
 *     one of them, so such a request is not a victim's browser carrying a cookie it did not mean to
 *     send (it is curl, a script, a server). And even a browser old enough to send neither could only
 *     post a form, whose content types (urlencoded, multipart, text/plain) the JSON-only rule answers 415,
 *     with a body or without;
 *     a cross-origin fetch with `content-type: application/json` needs a CORS preflight, which this
 *     app never grants.
 */

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
  /** Origins accepted besides the Host's (APP_URL's, for a server behind a proxy). */
  trustedOrigins?: readonly string[];
}

/** Why a request must be refused as cross-site, or null when it may go on (see the module comment). */
export function crossSiteRefusal({ method, origin, secFetchSite, host, trustedOrigins = [] }: RequestOrigin): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const site = secFetchSite?.trim().toLowerCase();
  if (site && site !== "same-origin" && site !== "none") return `${CROSS_SITE_MESSAGE} (Sec-Fetch-Site: ${site})`;
  if (origin === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `${CROSS_SITE_MESSAGE} (Origin: ${origin})`;
  }
  if (origin === "null" || !/^https?:$/.test(parsed.protocol)) return `${CROSS_SITE_MESSAGE} (Origin: ${origin})`;
  if (host && parsed.host === host.trim().toLowerCase()) return null;
  if (trustedOrigins.some((trusted) => safeOrigin(trusted) === parsed.origin)) return null;
  return `${CROSS_SITE_MESSAGE} (Origin: ${origin})`;
}

/** crossSiteRefusal() for a request's own headers. */
export function requestCrossSiteRefusal(request: Request, trustedOrigins: readonly string[]): string | null {
  return crossSiteRefusal({
    method: request.method,
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
    host: request.headers.get("host"),
    trustedOrigins,
  });
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
