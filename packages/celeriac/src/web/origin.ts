/**
 * The cross-site rule for mutating requests (POST/PUT/PATCH/DELETE), in the style of Django's
 * CsrfViewMiddleware origin check (and Rails' / Next server actions'). A session cookie should be
 * SameSite=Lax already, so a browser does not send it with a cross-site POST; this is the second lock:
 *
 *   - `Sec-Fetch-Site` (sent by every current browser) must be "same-origin" (or "none": typed by the user);
 *     "same-site" (a sibling subdomain) and "cross-site" are refused;
 *   - `Origin`, when present (browsers send it with every non-GET fetch and form post), must be a trusted
 *     origin; "null" and anything not http(s) are refused. The request's Host header is no proof: it is
 *     whatever name the browser was pointed at, so a page on an attacker's domain that resolves to this
 *     server (DNS rebinding) would pass an "Origin equals Host" rule. `trustOwnLoopbackHost` (for
 *     development: any port, localhost or 127.0.0.1, nothing to configure) trusts an Origin equal to the
 *     Host only when that host is this machine (localhost, *.localhost, 127.x.x.x, [::1]), which a
 *     rebinding name is not;
 *   - neither header: accepted. Every browser that can be made to send a request today sends at least one
 *     of them, so such a request is curl, a script or a server, not a victim's browser carrying a cookie it
 *     did not mean to send. An old browser could only post a form, whose content types (urlencoded,
 *     multipart, text/plain) a JSON-only API refuses (415, body.ts's isJsonContentType), with a body or
 *     without; a cross-origin fetch with `content-type: application/json` needs a CORS preflight.
 */
import { ConfigError } from "../errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const CROSS_SITE_MESSAGE = "cross-site request refused: changes are accepted from this site's own pages only";

/** Whom a site trusts to write. */
export interface OriginPolicy {
  /** The origins whose pages may write, as URL.origin spells them ("https://example.com"; normalizeOrigins()). */
  trustedOrigins: readonly string[];
  /** Also trust an Origin that equals the Host when that host is this machine (development only). */
  trustOwnLoopbackHost?: boolean;
}

export interface RequestOrigin extends OriginPolicy {
  method: string;
  /** The Origin header, if any. */
  origin: string | null;
  /** The Sec-Fetch-Site header, if any. */
  secFetchSite: string | null;
  /** The Host header the request was sent to ("127.0.0.1:3100"); read by trustOwnLoopbackHost only. */
  host?: string | null;
}

/** Why a request must be refused as cross-site, or null when it may go on (see the module comment). */
export function crossSiteRefusal({ method, origin, secFetchSite, host = null, trustedOrigins, trustOwnLoopbackHost = false }: RequestOrigin): string | null {
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

/**
 * crossSiteRefusal() for a request's own headers, by `policy`; none: the origin of the request's own URL.
 * That default is the Host again (see the module comment): a rebound name passes it, without this site's
 * cookies; name the public origins to refuse it outright.
 */
export function requestCrossSiteRefusal(request: Request, policy?: OriginPolicy): string | null {
  return crossSiteRefusal({
    method: request.method,
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
    host: request.headers.get("host"),
    ...(policy ?? { trustedOrigins: [new URL(request.url).origin] }),
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
