/**
 * The demo's account rules (seed 004), shared by the route handlers under app/api/{signup,login,logout,password,account}
 * and the pages that render their forms. Pages import this module, so it stays free of the task framework
 * (lib/celery, tasks/): the dispatches live in the route handlers.
 *
 *   fields          zod fields for email (trimmed, lower-cased) and new passwords, with messages for humans;
 *                   like every request field, safeText(): no NUL, no lone surrogate (a password with one would
 *                   be hashed as U+FFFD, so two different passwords would match)
 *   authenticate    email + password → the user, or null; the same work whether or not the address exists
 *   checkResetLink  a reset token → its user, or the message to show (expired / invalid or used)
 *   requestUser     a request's Cookie header → the logged-in user, or null: the one reader of sessions
 *                   (pages, the admin's gate, result access), so each refuses what the others refuse
 *   cookie options  Secure when APP_URL is https
 */
import { z } from "zod";
import { safeText } from "celeriac";
import { db } from "@/lib/db";
import { env, secretKey } from "@/lib/env";
import { hashPassword, verifyPassword } from "@/lib/password";
import { checkResetToken, tokenUserId } from "@/lib/reset-token";
import { passwordChangedSince, readSession, sessionCookieValue } from "@/lib/session";

export const emailField = safeText().trim().toLowerCase().pipe(z.email("Enter a valid email address."));
export const newPasswordField = safeText()
  .min(8, "Use at least 8 characters.")
  .max(200, "Use at most 200 characters.");

export const MESSAGES = {
  emailTaken: "An account with this email already exists. Log in, or reset your password.",
  wrongLogin: "Wrong email or password.",
  resetSent: "If an account exists for that address, we sent a link.",
  linkExpired: "This link has expired; ask for a new one.",
  linkInvalid: "This link is invalid or has already been used.",
  passwordChanged: "Your password was changed. You can log in with it now.",
  loginNeeded: "Log in first.",
} as const;

/** Cookies are Secure when the app is served over HTTPS (a plain-HTTP dev server could not set them). */
export const cookieOptions = () => ({ secure: env.APP_URL.startsWith("https:") });

// Checked against when the address is unknown, so a wrong address costs as much time as a wrong password.
let decoyHash: Promise<string> | undefined;

/**
 * The user with this email and password, or null; unknown addresses and wrong passwords look the same.
 * With the passwordChangedAt of the password that was checked: the session login makes is for that one.
 */
export async function authenticate(email: string, password: string) {
  const user = await db.user.findUnique({ where: { email }, select: { id: true, name: true, passwordHash: true, passwordChangedAt: true } });
  const ok = await verifyPassword(password, user?.passwordHash ?? (await (decoyHash ??= hashPassword("decoy password"))));
  return user && ok ? { id: user.id, name: user.name, passwordChangedAt: user.passwordChangedAt } : null;
}

export type ResetLinkCheck =
  | { ok: true; user: { id: number; passwordChangedAt: Date } }
  | { ok: false; reason: "expired" | "invalid"; message: string };

/** Whether a reset token may set a new password now, and for whom. A token for a deleted user is invalid. */
export async function checkResetLink(token: string, now = Date.now()): Promise<ResetLinkCheck> {
  const invalid = { ok: false, reason: "invalid", message: MESSAGES.linkInvalid } as const;
  const id = tokenUserId(token);
  if (id === undefined) return invalid;
  const user = await db.user.findUnique({ where: { id }, select: { id: true, passwordChangedAt: true } });
  if (!user) return invalid;
  const check = checkResetToken(secretKey(), token, user, now);
  if (check.ok) return { ok: true, user };
  if (check.reason === "expired") return { ok: false, reason: "expired", message: MESSAGES.linkExpired };
  return invalid;
}

/**
 * Sets a new password if the token still allows it. Changing passwordChangedAt is what makes the token
 * single use, and what logs out every session of the user opened before (requestUser); the update applies
 * only to the version that was checked, so two requests racing with the same link cannot both succeed.
 */
export async function resetPassword(token: string, password: string): Promise<ResetLinkCheck> {
  const check = await checkResetLink(token);
  if (!check.ok) return check;
  const { id, passwordChangedAt } = check.user;
  const passwordHash = await hashPassword(password);
  // Strictly later than the old stamp, even within one millisecond: the old token must stop matching.
  const changedAt = new Date(Math.max(Date.now(), passwordChangedAt.getTime() + 1));
  const { count } = await db.user.updateMany({
    where: { id, passwordChangedAt },
    data: { passwordHash, passwordChangedAt: changedAt },
  });
  if (count === 0) return { ok: false, reason: "invalid", message: MESSAGES.linkInvalid };
  return check;
}

/** A logged-in user, as every reader of the session sees them. */
export interface RequestUser {
  id: number;
  name: string;
  email: string;
  isStaff: boolean;
  /** Receives the daily digest mail (set at POST /api/account/digest). */
  dailyDigest: boolean;
}

/**
 * The logged-in user a request's Cookie header names, or null: no session cookie (or two of them:
 * sessionCookieValue), a forged or expired one, a deleted account, or a session issued before the user's
 * password last changed (a reset logs out every session opened before it).
 */
export async function requestUser(cookieHeader: string | null | undefined): Promise<RequestUser | null> {
  const session = readSession(secretKey(), sessionCookieValue(cookieHeader));
  if (!session) return null;
  const user = await db.user.findUnique({
    where: { id: session.userId },
    select: { id: true, name: true, email: true, isStaff: true, dailyDigest: true, passwordChangedAt: true },
  });
  if (!user || passwordChangedSince(session, user.passwordChangedAt)) return null;
  return { id: user.id, name: user.name, email: user.email, isStaff: user.isStaff, dailyDigest: user.dailyDigest };
}

