/**
 * Who may use the admin (/admin, /api/admin): the rules, pure (lib/admin-guard.ts applies them to a request).
 *
 *   adminAccess(user)   logged in and isStaff → "ok"; not logged in → "login"; logged in, not staff → "forbidden".
 *                       Pages redirect "login" to /login and show "403 staff only" for "forbidden"; the API
 *                       answers 401 and 403 JSON.
 *   crossSiteRefusal    the CSRF check for the API's mutating methods (POST/PUT/PATCH/DELETE), see below.
 *
 * Cross-site requests. The session cookie is already SameSite=Lax, so a browser does not send it with a
 * cross-site POST/PUT/PATCH/DELETE; this check is the second lock, in the style of Django's CsrfViewMiddleware
 * origin check (and Rails' / Next server actions'):
 *   - `Sec-Fetch-Site` (sent by every current browser) must be "same-origin" (or "none": typed by the user);
 *     "same-site" (a sibling subdomain) and "cross-site" are refused;
 *   - `Origin`, when present (browsers send it with every non-GET fetch and form post), must name this
 *     server: its host equals the request's Host header, or it is APP_URL's origin; "null" is refused;
 *   - neither header: allowed. That is not a browser (curl, scripts), and so not a victim's browser
 *     carrying a cookie it did not mean to send.
 */

export interface AdminUser {
  id: number;
  name: string;
  email: string;
  isStaff: boolean;
}

export type AdminAccess = "ok" | "login" | "forbidden";

export const ADMIN_MESSAGES = {
  login: "log in first: the admin is for staff only",
  forbidden: "staff only: your account may not open the admin (npm run celeriac -- staff <email>)",
  crossSite: "cross-site request refused: the admin's API accepts changes from its own pages only",
} as const;

export function adminAccess(user: Pick<AdminUser, "isStaff"> | null | undefined): AdminAccess {
  if (!user) return "login";
  return user.isStaff ? "ok" : "forbidden";
}

/** The HTTP status the API answers for an access that is not "ok". */
export function accessStatus(access: Exclude<AdminAccess, "ok">): 401 | 403 {
  return access === "login" ? 401 : 403;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

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
  if (site && site !== "same-origin" && site !== "none") return `${ADMIN_MESSAGES.crossSite} (Sec-Fetch-Site: ${site})`;
  if (origin === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `${ADMIN_MESSAGES.crossSite} (Origin: ${origin})`;
  }
  if (origin === "null" || !/^https?:$/.test(parsed.protocol)) return `${ADMIN_MESSAGES.crossSite} (Origin: ${origin})`;
  if (host && parsed.host === host.trim().toLowerCase()) return null;
  if (trustedOrigins.some((trusted) => safeOrigin(trusted) === parsed.origin)) return null;
  return `${ADMIN_MESSAGES.crossSite} (Origin: ${origin})`;
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
