/**
 * Who may use the admin (/admin, /api/admin): the rules, pure (lib/admin-guard.ts applies them to a request).
 *
 *   adminAccess(user)   logged in and isStaff → "ok"; not logged in → "login"; logged in, not staff → "forbidden".
 *                       Pages redirect "login" to /login and answer HTTP 403 with "staff only" for
 *                       "forbidden" (Next's forbidden(), app/admin/forbidden.tsx); the API answers 401 and 403 JSON.
 *
 * Cross-site writes are refused for every route, the admin's API included, by route() (lib/csrf.ts).
 */

export type AdminAccess = "ok" | "login" | "forbidden";

export const ADMIN_MESSAGES = {
  login: "log in first: the admin is for staff only",
  forbidden: "staff only: your account may not open the admin (npm run celeriac -- staff <email>)",
} as const;

export function adminAccess(user: { isStaff: boolean } | null | undefined): AdminAccess {
  if (!user) return "login";
  return user.isStaff ? "ok" : "forbidden";
}

/** The HTTP status the API answers for an access that is not "ok". */
export function accessStatus(access: Exclude<AdminAccess, "ok">): 401 | 403 {
  return access === "login" ? 401 : 403;
}
