/**
 * POST /api/signup `{ name, email, password }` → 201 `{ ok: true, taskId }` (seed 004).
 * The user is created in a transaction and `emails.sendWelcome` is dispatched on commit with the user's id,
 * so the mail never goes out for an account that was rolled back, and the answer does not wait for SMTP.
 *
 *   400  invalid fields: `{ error, fields: { name?, email?, password? } }` (route() maps the ZodError)
 *   409  the email already has an account: `{ error, fields: { email } }`
 */
import { z } from "zod";
import { safeText } from "celeriac";
import { emailField, MESSAGES, newPasswordField } from "@/lib/accounts";
import { transaction } from "@/lib/celery";
import { parseBody, route } from "@/lib/http";
import { hashPassword } from "@/lib/password";
import { sendWelcomeEmail } from "@/tasks/emails";

export const dynamic = "force-dynamic";

const body = z.object({
  name: safeText().trim().min(1, "Enter your name.").max(100, "Use at most 100 characters."),
  email: emailField,
  password: newPasswordField,
});

/** Prisma's unique-constraint violation (P2002), from either generated client (so not by class). */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

export const POST = route(async (request) => {
  const { name, email, password } = await parseBody(request, body);
  // Hashed before the transaction opens: SQLite has one writer, and scrypt takes tens of milliseconds.
  const passwordHash = await hashPassword(password);
  try {
    const taskId = await transaction(async (tx) => {
      const user = await tx.user.create({ data: { name, email, passwordHash }, select: { id: true } });
      return sendWelcomeEmail.delayOnCommit(user.id);
    });
    return Response.json({ ok: true, taskId }, { status: 201 });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return Response.json({ error: MESSAGES.emailTaken, fields: { email: MESSAGES.emailTaken } }, { status: 409 });
  }
});
