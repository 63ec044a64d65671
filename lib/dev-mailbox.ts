/**
 * What the /dev/mailbox pages read: the mail the development inbox (lib/dev-inbox.ts) stored, newest first.
 * The pages exist in development only, or in production mode when CELERIAC_DEV_INBOX=1 (the e2e tests run
 * `next start` and read the reset link there).
 */
import type { Db } from "./db";
import { env } from "./env";

type MailStore = Pick<Db, "devMail">;

/** Whether /dev/mailbox answers: outside production, or when CELERIAC_DEV_INBOX is set. */
export function devInboxEnabled(e: { NODE_ENV: string; CELERIAC_DEV_INBOX: boolean } = env): boolean {
  return e.NODE_ENV !== "production" || e.CELERIAC_DEV_INBOX;
}

/** The newest `limit` messages, without their bodies. */
export function listDevMail(db: MailStore, limit = 100) {
  return db.devMail.findMany({
    orderBy: { id: "desc" }, // ids follow arrival; receivedAt can tie within a millisecond
    take: limit,
    select: { id: true, from: true, to: true, subject: true, receivedAt: true },
  });
}

/** One message, or null. */
export function getDevMail(db: MailStore, id: number) {
  return db.devMail.findUnique({ where: { id } });
}
