/**
 * Sending mail from a task, with Celery's usual policy for it: a transient failure (server unreachable,
 * 4xx) retries the task through ctx.retry(), so the task's own retryBackoff / maxRetries apply; a
 * permanent one (5xx) fails the task at once, with the server's reply as its error message.
 */
import type { TaskContext } from "../task/context.js";
import { MailError } from "./errors.js";
import type { MailMessage, Mailer, SentMail } from "./transport.js";

/** Sends `message` through `mailer` from inside a task (see the module header); resolves what was accepted. */
export async function deliverMail(ctx: TaskContext, mailer: Mailer, message: MailMessage): Promise<SentMail> {
  try {
    return await mailer.send(message);
  } catch (error) {
    if (error instanceof MailError && error.transient) return ctx.retry({ error });
    throw error;
  }
}
