/**
 * POST /api/login `{ email, password }` → 200 `{ ok: true, name }` and a session cookie (lib/session.ts:
 * signed user id, expiry and the password it was checked against; HttpOnly, SameSite=Lax). A wrong
 * password and an unknown address both answer 401 "Wrong email or password." after the same amount of
 * hashing work.
 *
 * Login attempts are limited (lib/login-limit.ts): failed logins per email address, attempts per client IP,
 * in Redis. Past either limit the answer is 429 with Retry-After and a message saying which limit and when to
 * try again, before any password is hashed, the same for an address with an account and one without.
 */
import { z } from "zod";
import { safeText } from "celeriac";
import { authenticate, cookieOptions, emailField, MESSAGES } from "@/lib/accounts";
import { clientAddress } from "@/lib/client-address";
import { env, secretKey } from "@/lib/env";
import { HttpError, parseBody, route } from "@/lib/http";
import { loginLimiter } from "@/lib/login-limit";
import { makeSession, sessionCookie } from "@/lib/session";

export const dynamic = "force-dynamic";

const body = z.object({
  email: emailField,
  password: safeText().min(1, "Enter your password.").max(200, MESSAGES.wrongLogin),
});

export const POST = route(async (request) => {
  const { email, password } = await parseBody(request, body);
  const limits = loginLimiter();
  const refusal = await limits.attempt(email, clientAddress(request, env.TRUST_PROXY));
  if (refusal) throw new HttpError(429, refusal.message, { "Retry-After": String(refusal.retryAfterSeconds) });
  const user = await authenticate(email, password);
  if (!user) throw new HttpError(401, MESSAGES.wrongLogin);
  await limits.succeeded(email);
  const cookie = sessionCookie(makeSession(secretKey(), user), cookieOptions());
  return Response.json({ ok: true, name: user.name }, { headers: { "set-cookie": cookie } });
});
