/**
 * The cross-site rule of every dashboard mutation (POST/PUT/PATCH/DELETE), in the style of Django's
 * CsrfViewMiddleware origin check. The app's session cookie should be SameSite=Lax already, so a browser
 * does not send it with a cross-site POST; this is the second lock:
 *
 *   - `Sec-Fetch-Site` (sent by every current browser) must be "same-origin" (or "none": typed by the user);
 *     "same-site" (a sibling subdomain) and "cross-site" are refused;
 *   - `Origin`, when present (browsers send it with every non-GET fetch), must be a trusted origin; "null"
 *     and anything not http(s) are refused;
 *   - neither header: accepted. Every browser that can be made to send a request today sends at least one
 *     of them, so such a request is curl, a script or a server, not a victim's browser; and an old browser
 *     could only post a form, whose content types the API's JSON-only rule refuses (415).
 *
 * Trusted origins: the dashboard's `trustedOrigins`, else the origin of the request's own URL (its Host
 * header). The Host is only what the browser was pointed at, so a page on a name that resolves to this
 * server (DNS rebinding) passes that default; it does not carry this site's cookies, but name your public
 * origins in `trustedOrigins` to refuse it outright.
 */
import { ConfigError } from "../errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const CROSS_SITE_MESSAGE = "cross-site request refused: the dashboard accepts changes from its own pages only";

export interface RequestOrigin {
  method: string;
  /** The Origin header, if any. */
  origin: string | null;
  /** The Sec-Fetch-Site header, if any. */
  secFetchSite: string | null;
  /** The origins whose pages may write, as URL.origin spells them ("https://example.com"). */
  trustedOrigins: readonly string[];
}

/** Why a request must be refused as cross-site, or null when it may go on (see the module comment). */
export function crossSiteRefusal({ method, origin, secFetchSite, trustedOrigins }: RequestOrigin): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const site = secFetchSite?.trim().toLowerCase();
  if (site && site !== "same-origin" && site !== "none") return `${CROSS_SITE_MESSAGE} (Sec-Fetch-Site: ${site})`;
  if (origin === null) return null;
  const parsed = urlOf(origin);
  if (origin === "null" || !parsed || !/^https?:$/.test(parsed.protocol)) return `${CROSS_SITE_MESSAGE} (Origin: ${origin})`;
  if (trustedOrigins.includes(parsed.origin)) return null;
  return `${CROSS_SITE_MESSAGE} (Origin: ${origin} is not a trusted origin)`;
}

/** crossSiteRefusal() for a request's own headers; `trusted` undefined: the request URL's own origin. */
export function requestCrossSiteRefusal(request: Request, trusted: readonly string[] | undefined): string | null {
  return crossSiteRefusal({
    method: request.method,
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
    trustedOrigins: trusted ?? [new URL(request.url).origin],
  });
}

/** Each origin as URL.origin spells it ("https://Example.com/" → "https://example.com"); a malformed one is a configuration error. */
export function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.map((text) => {
    const url = urlOf(text);
    if (!url || !/^https?:$/.test(url.protocol)) throw new ConfigError(`trustedOrigins: ${JSON.stringify(text)} is not an http(s) origin, e.g. "https://example.com"`);
    return url.origin;
  });
}

function urlOf(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
