/**
 * POST /api/password/reset `{ token, password }` → 200 `{ ok: true, message }` once the new password is set.
 * The token comes from the reset mail (lib/reset-token.ts); setting the password changes passwordChangedAt,
 * which invalidates that token and every other one made before.
 *
 *   400  "This link has expired; ask for a new one."               (signature fine, older than an hour)
 *   400  "This link is invalid or has already been used."           (bad signature, unknown user, used)
 *   400  invalid fields: `{ error, fields: { password? } }`
 */
import { z } from "zod";
import { safeText } from "celeriac";
import { MESSAGES, newPasswordField, resetPassword } from "@/lib/accounts";
import { HttpError, parseBody, route } from "@/lib/http";

export const dynamic = "force-dynamic";

const body = z.object({
  token: safeText().max(500, MESSAGES.linkInvalid),
  password: newPasswordField,
});

export const POST = route(async (request) => {
  const { token, password } = await parseBody(request, body);
  const result = await resetPassword(token, password);
  if (!result.ok) throw new HttpError(400, result.message);
  return Response.json({ ok: true, message: MESSAGES.passwordChanged });
});
