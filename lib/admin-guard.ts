/**
 * The admin's gate, applied (the rules are in lib/admin-auth.ts):
 *
 *   adminUser()      the logged-in user of this request (requestUser in lib/accounts.ts), or null
 *   pageGate()       for /admin pages: redirects to /login when nobody is logged in; a user who is not
 *                    staff gets HTTP 403 (Next's forbidden(): app/admin/forbidden.tsx renders the message);
 *                    otherwise the staff user
 *   requireStaff()   for /api/admin handlers: the staff user, or an HttpError 401/403
 *
 * Cross-site writes never get this far: route() refuses them for every handler (lib/csrf.ts).
 */
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { requestUser, type RequestUser } from "@/lib/accounts";
import { accessStatus, ADMIN_MESSAGES, adminAccess } from "@/lib/admin-auth";
import { HttpError } from "@/lib/http";

export async function adminUser(): Promise<RequestUser | null> {
  return requestUser((await headers()).get("cookie"));
}

export async function pageGate(): Promise<RequestUser> {
  const user = await adminUser();
  const access = adminAccess(user);
  if (access === "login" || !user) redirect("/login");
  if (access === "forbidden") forbidden();
  return user;
}

export async function requireStaff(): Promise<RequestUser> {
  const user = await adminUser();
  const access = adminAccess(user);
  if (access !== "ok") throw new HttpError(accessStatus(access), ADMIN_MESSAGES[access]);
  return user!; // "ok" means there is a user
}
