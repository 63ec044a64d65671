/**
 * The demo's login session: a cookie holding `<userId>.<expiresAt>.<passwordAsOf>.<hmac>`, signed with
 * SECRET_KEY (HMAC-SHA256 over "session:<userId>:<expiresAt>:<passwordAsOf>"). Nothing is stored
 * server-side: a value is valid if its signature matches, it has not expired, and the user's password has
 * not changed since the session was issued for it (requestUser() in lib/accounts.ts compares passwordAsOf
 * with the user's passwordChangedAt, so a password reset ends every session opened before it). The
 * "session:" prefix keeps these signatures apart from the password-reset ones (lib/reset-token.ts), so one
 * can never pass for the other.
 *
 * Pure functions (the clock is a parameter); route handlers and pages read and write the cookie.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { parseDecimalId } from "@/lib/decimal-id";

export const SESSION_COOKIE = "celeriac_session";
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface Session {
  userId: number;
  expiresAt: number;
  /**
   * The password the session was issued for, as a time (ms): the passwordChangedAt login checked the
   * password against. A later change of the user's passwordChangedAt makes the session stale.
   */
  passwordAsOf: number;
}

/** Who a session is issued for: the row login checked the password of, or a bare user id (see makeSession). */
export type SessionSubject = number | { id: number; passwordChangedAt: Date };

function sign(secret: string, userId: number, expiresAt: number, passwordAsOf: number): string {
  return createHmac("sha256", secret).update(`session:${userId}:${expiresAt}:${passwordAsOf}`).digest("base64url");
}

/**
 * A signed session value for `user`, valid for `ttlMs` from `now`. Login passes the user's row, so the
 * session is for the password it checked, and no later: a reset that lands while the login is hashing still
 * ends it. A bare id means the password the user has at `now` (a session made outside a login, in tests).
 */
export function makeSession(secret: string, user: SessionSubject, now = Date.now(), ttlMs = SESSION_TTL_MS): string {
  const [userId, passwordAsOf] = typeof user === "number" ? [user, now] : [user.id, user.passwordChangedAt.getTime()];
  const expiresAt = now + ttlMs;
  return `${userId}.${expiresAt}.${passwordAsOf}.${sign(secret, userId, expiresAt, passwordAsOf)}`;
}

/**
 * The session a cookie value holds, or undefined if it is missing, malformed, forged or expired. Whether the
 * password changed since is the caller's to check, against the user's row (requestUser in lib/accounts.ts).
 */
export function readSession(secret: string, value: string | undefined, now = Date.now()): Session | undefined {
  const parts = value?.split(".") ?? [];
  if (parts.length !== 4) return undefined;
  // Canonical decimals only (lib/decimal-id.ts): the signature covers the numbers, so "07" would verify as 7.
  const userId = parseDecimalId(parts[0]);
  const [expiresAt, passwordAsOf] = [parts[1], parts[2]].map((part) => parseDecimalId(part, Number.MAX_SAFE_INTEGER));
  if (userId === undefined || expiresAt === undefined || passwordAsOf === undefined) return undefined;
  const expected = Buffer.from(sign(secret, userId, expiresAt, passwordAsOf));
  const given = Buffer.from(parts[3]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (now >= expiresAt) return undefined;
  return { userId, expiresAt, passwordAsOf };
}

/** Whether a password change (the user's passwordChangedAt) came after the password `session` was issued for. */
export function passwordChangedSince(session: Session, passwordChangedAt: Date): boolean {
  return passwordChangedAt.getTime() > session.passwordAsOf;
}

/**
 * The session cookie's value in a request's Cookie header, or undefined when there is none or more than one.
 * Two (a cookie tossed from a sibling subdomain, or a forged one beside the real one) are nobody: which one a
 * parser keeps differs (the first, the last), and no reader may pick a user the others would not.
 */
export function sessionCookieValue(cookieHeader: string | null | undefined): string | undefined {
  const values = (cookieHeader ?? "")
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${SESSION_COOKIE}=`))
    .map((pair) => pair.slice(SESSION_COOKIE.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The Set-Cookie header that stores a session value: HttpOnly (no script reads it), SameSite=Lax (not sent
 * on cross-site POSTs), Path=/, and Secure when the app is served over HTTPS.
 */
export function sessionCookie(value: string, { maxAgeMs = SESSION_TTL_MS, secure = false } = {}): string {
  const attributes = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${Math.floor(maxAgeMs / 1000)}`];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/** The Set-Cookie header that deletes the session cookie (log out). */
export function clearedSessionCookie({ secure = false } = {}): string {
  return sessionCookie("", { maxAgeMs: 0, secure });
}
