/**
 * The admin's gate, applied (the rules are in lib/admin-auth.ts):
 *
 *   adminUser()            the logged-in user from the session cookie, with isStaff, or null
 *   pageGate()             for /admin pages: redirects to /login when nobody is logged in; otherwise
 *                          { user, staff } (a page shows "403 staff only" unless staff)
 *   requireStaff(request)  for /api/admin handlers: the staff user, or an HttpError 401/403; for mutating
 *                          methods also 403 on a cross-site request
 */
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { accessStatus, ADMIN_MESSAGES, adminAccess, crossSiteRefusal, type AdminUser } from "@/lib/admin-auth";
import { db } from "@/lib/db";
import { env, secretKey } from "@/lib/env";
import { HttpError } from "@/lib/http";
import { readSession, SESSION_COOKIE } from "@/lib/session";

export async function adminUser(): Promise<AdminUser | null> {
  const session = readSession(secretKey(), (await cookies()).get(SESSION_COOKIE)?.value);
  if (!session) return null;
  return db.user.findUnique({ where: { id: session.userId }, select: { id: true, name: true, email: true, isStaff: true } });
}

export async function pageGate(): Promise<{ user: AdminUser; staff: boolean }> {
  const user = await adminUser();
  const access = adminAccess(user);
  if (access === "login" || !user) redirect("/login");
  return { user, staff: access === "ok" };
}

export async function requireStaff(request: Request): Promise<AdminUser> {
  const user = await adminUser();
  const access = adminAccess(user);
  if (access !== "ok") throw new HttpError(accessStatus(access), ADMIN_MESSAGES[access]);
  const refusal = crossSiteRefusal({
    method: request.method,
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
    host: request.headers.get("host"),
    trustedOrigins: [env.APP_URL],
  });
  if (refusal) throw new HttpError(403, refusal);
  return user!;
}
