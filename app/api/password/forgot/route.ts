/**
 * POST /api/password/forgot `{ email }` → always 200 `{ ok: true, message }`, the same answer whether or not
 * the address has an account (no account enumeration).
 *
 * The lookup and the dispatch of `emails.sendPasswordReset` run after the response is sent (Next's
 * `after()`), so its timing cannot tell the two cases apart either: the only difference between them is
 * whether a task is dispatched, and that happens once the client already has its answer. A failure there
 * is logged (the client was told nothing that could change).
 */
import { after } from "next/server";
import { z } from "zod";
import { emailField, MESSAGES } from "@/lib/accounts";
import { celeriac, transaction } from "@/lib/celery";
import { parseBody, route } from "@/lib/http";
import { sendPasswordResetEmail } from "@/tasks/emails";

export const dynamic = "force-dynamic";

const body = z.object({ email: emailField });

/** Dispatches the reset mail (on commit) if the address has an account; does nothing otherwise. */
async function requestReset(email: string): Promise<void> {
  await transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email }, select: { id: true } });
    if (user) sendPasswordResetEmail.delayOnCommit(user.id);
  });
}

export const POST = route(async (request) => {
  const { email } = await parseBody(request, body);
  after(() =>
    requestReset(email).catch((error: unknown) => celeriac.log.error({ err: error }, "password reset request failed")),
  );
  return Response.json({ ok: true, message: MESSAGES.resetSent });
});
