/**
 * POST /api/account/digest `{ dailyDigest: boolean }` → 200 `{ ok: true, dailyDigest }`: turns the logged-in
 * user's daily digest on or off (User.dailyDigest; emails.sendDailyDigest mails those who have it on, at 08:00).
 * 401 when nobody is logged in, 400 when `dailyDigest` is not a boolean. A JSON POST like every other write,
 * so route()'s cross-site and content-type checks keep another site from changing it.
 */
import { z } from "zod";
import { MESSAGES, requestUser } from "@/lib/accounts";
import { db } from "@/lib/db";
import { HttpError, parseBody, route } from "@/lib/http";

export const dynamic = "force-dynamic";

const body = z.object({ dailyDigest: z.boolean({ error: "Send true or false." }) });

export const POST = route(async (request) => {
  const user = await requestUser(request.headers.get("cookie"));
  if (!user) throw new HttpError(401, MESSAGES.loginNeeded);
  const { dailyDigest } = await parseBody(request, body);
  // updateMany: an account deleted since its session was read is logged out, as requestUser() would say (not a 500).
  const { count } = await db.user.updateMany({ where: { id: user.id }, data: { dailyDigest } });
  if (count === 0) throw new HttpError(401, MESSAGES.loginNeeded);
  return Response.json({ ok: true, dailyDigest });
});
