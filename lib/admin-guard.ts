/**
 * The admin's gate, applied (the rules are in lib/admin-auth.ts):
 *
 *   adminUser()      the logged-in user from the session cookie, with isStaff, or null
 *   pageGate()       for /admin pages: redirects to /login when nobody is logged in; a user who is not
 *                    staff gets HTTP 403 (Next's forbidden(): app/admin/forbidden.tsx renders the message);
 *                    otherwise the staff user
 *   requireStaff()   for /api/admin handlers: the staff user, or an HttpError 401/403
 *
 * Cross-site writes never get this far: route() refuses them for every handler (lib/csrf.ts).
 */
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { accessStatus, ADMIN_MESSAGES, adminAccess, type AdminUser } from "@/lib/admin-auth";
import { db } from "@/lib/db";
import { secretKey } from "@/lib/env";
import { HttpError } from "@/lib/http";
import { readSession, sessionCookieValue } from "@/lib/session";

export async function adminUser(): Promise<AdminUser | null> {
  const session = readSession(secretKey(), sessionCookieValue((await headers()).get("cookie")));
  if (!session) return null;
  return db.user.findUnique({ where: { id: session.userId }, select: { id: true, name: true, email: true, isStaff: true } });
}

export async function pageGate(): Promise<AdminUser> {
  const user = await adminUser();
  const access = adminAccess(user);
  if (access === "login" || !user) redirect("/login");
  if (access === "forbidden") forbidden();
  return user;
}

export async function requireStaff(): Promise<AdminUser> {
  const user = await adminUser();
  const access = adminAccess(user);
  if (access !== "ok") throw new HttpError(accessStatus(access), ADMIN_MESSAGES[access]);
  return user!; // "ok" means there is a user
}
