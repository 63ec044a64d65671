/** POST /api/logout → 200 `{ ok: true }`, and the session cookie is deleted (whether or not there was one). */
import { cookieOptions } from "@/lib/accounts";
import { route } from "@/lib/http";
import { clearedSessionCookie } from "@/lib/session";

export const dynamic = "force-dynamic";

export const POST = route(async () => {
  return Response.json({ ok: true }, { headers: { "set-cookie": clearedSessionCookie(cookieOptions()) } });
});
