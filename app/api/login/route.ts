/**
 * POST /api/login `{ email, password }` → 200 `{ ok: true, name }` and a session cookie (lib/session.ts:
 * signed user id, expiry and the password it was checked against; HttpOnly, SameSite=Lax). A wrong
 * password and an unknown address both answer 401 "Wrong email or password." after the same amount of
 * hashing work.
 */
import { z } from "zod";
import { safeText } from "celeriac";
import { authenticate, cookieOptions, emailField, MESSAGES } from "@/lib/accounts";
import { secretKey } from "@/lib/env";
import { HttpError, parseBody, route } from "@/lib/http";
import { makeSession, sessionCookie } from "@/lib/session";

export const dynamic = "force-dynamic";

const body = z.object({
  email: emailField,
  password: safeText().min(1, "Enter your password.").max(200, MESSAGES.wrongLogin),
});

export const POST = route(async (request) => {
  const { email, password } = await parseBody(request, body);
  const user = await authenticate(email, password);
  if (!user) throw new HttpError(401, MESSAGES.wrongLogin);
  const cookie = sessionCookie(makeSession(secretKey(), user), cookieOptions());
  return Response.json({ ok: true, name: user.name }, { headers: { "set-cookie": cookie } });
});
