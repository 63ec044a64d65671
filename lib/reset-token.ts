/**
 * Password-reset tokens (Django's PasswordResetTokenGenerator): `<userId>.<expiresAt>.<hmac>`, signed with
 * SECRET_KEY over the user id, the expiry and the user's passwordChangedAt. Valid for one hour; single use,
 * because setting the new password changes passwordChangedAt and so invalidates every earlier token.
 * Nothing is stored.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const RESET_TOKEN_TTL_MS = 60 * 60 * 1000;

export interface ResetSubject {
  id: number;
  passwordChangedAt: Date;
}

function sign(secret: string, userId: number, expiresAt: number, passwordChangedAt: Date): string {
  return createHmac("sha256", secret).update(`password-reset:${userId}:${expiresAt}:${passwordChangedAt.getTime()}`).digest("base64url");
}

export function makeResetToken(secret: string, user: ResetSubject, now = Date.now()): string {
  const expiresAt = now + RESET_TOKEN_TTL_MS;
  return `${user.id}.${expiresAt}.${sign(secret, user.id, expiresAt, user.passwordChangedAt)}`;
}

/** The user id a token claims, before it is checked (to load the user), or undefined if malformed. */
export function tokenUserId(token: string): number | undefined {
  const id = Number(token.split(".")[0]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export type TokenCheck = { ok: true } | { ok: false; reason: "malformed" | "expired" | "invalid" };

/** Checks a token against the user it names (load it with tokenUserId first). */
export function checkResetToken(secret: string, token: string, user: ResetSubject, now = Date.now()): TokenCheck {
  const [id, expires, signature] = token.split(".");
  const expiresAt = Number(expires);
  if (Number(id) !== user.id || !Number.isSafeInteger(expiresAt) || !signature) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(sign(secret, user.id, expiresAt, user.passwordChangedAt));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "invalid" };
  if (now > expiresAt) return { ok: false, reason: "expired" };
  return { ok: true };
}
