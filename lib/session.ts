/**
 * The demo's login session: a cookie holding `<userId>.<expiresAt>.<hmac>`, signed with SECRET_KEY
 * (HMAC-SHA256 over "session:<userId>:<expiresAt>"). Nothing is stored server-side: a value is valid if its
 * signature matches and it has not expired. The "session:" prefix keeps these signatures apart from the
 * password-reset ones (lib/reset-token.ts), so one can never pass for the other.
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
}

function sign(secret: string, userId: number, expiresAt: number): string {
  return createHmac("sha256", secret).update(`session:${userId}:${expiresAt}`).digest("base64url");
}

/** A signed session value for `userId`, valid for `ttlMs` from `now`. */
export function makeSession(secret: string, userId: number, now = Date.now(), ttlMs = SESSION_TTL_MS): string {
  const expiresAt = now + ttlMs;
  return `${userId}.${expiresAt}.${sign(secret, userId, expiresAt)}`;
}

/** The session a cookie value holds, or undefined if it is missing, malformed, forged or expired. */
export function readSession(secret: string, value: string | undefined, now = Date.now()): Session | undefined {
  const parts = value?.split(".") ?? [];
  if (parts.length !== 3) return undefined;
  // Canonical decimals only (lib/decimal-id.ts): the signature covers the numbers, so "07" would verify as 7.
  const [userId, expiresAt] = [parseDecimalId(parts[0]), parseDecimalId(parts[1], Number.MAX_SAFE_INTEGER)];
  if (userId === undefined || expiresAt === undefined) return undefined;
  const expected = Buffer.from(sign(secret, userId, expiresAt));
  const given = Buffer.from(parts[2]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (now >= expiresAt) return undefined;
  return { userId, expiresAt };
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
