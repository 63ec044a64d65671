/**
 * Email in the background (seed 003): the welcome mail after sign-up, the password-reset link, and an
 * announcement to every user, fanned out in chunks.
 *
 * Every task receives ids and loads the rows when it runs: a user deleted meanwhile gets nothing, and a
 * reset link is signed with the user's current password state. Sending goes through the app's mailer
 * (lib/celery.ts, EMAIL_URL) and one policy:
 * - transient failures (server unreachable, timeouts, SMTP 4xx) retry the task with exponential backoff
 *   and full jitter (about 1, 2, 4, 8, 16 s), at most 5 times;
 * - permanent failures (SMTP 5xx) fail it at once, the server's reply ("550 5.1.1 no such user") as the
 *   error message; sending the same mail again would only be refused again.
 * Delivery is at least once: a worker lost after the server accepted a mail but before the task finished
 * sends it again.
 *
 * Results and errors name no address: a single mail's result is counts ({ messageId, accepted, rejected }),
 * a refusal's message has the address taken out of the server's reply (lib/celeriac/mail/errors.ts), and the
 * recipient is in the arguments as a user id already. A single mail's result belongs to its recipient
 * (owner "user:<id>", lib/result-access.ts), whoever sent it: the new user for the welcome mail, the
 * account for a reset link (never the anonymous visitor who asked for it, who is not told the task id);
 * a daily digest's is staff's (see emails.sendDigestTo).
 *
 * The daily digest (seed 001, exercise 5.1): beat sends emails.sendDailyDigest at 08:00 (lib/celery.ts's
 * beatSchedule), which mails the day's articles to every user who turned it on, one emails.sendDigestTo
 * task per user, as a group.
 */
import { z } from "zod";
import { deliverMail, group, MailError, type MailMessage, type TaskContext } from "celeriac";
import { mailer, task } from "@/lib/celery";
import { db } from "@/lib/db";
import { env, secretKey } from "@/lib/env";
import { makeResetToken } from "@/lib/reset-token";
import { userOwner } from "@/lib/result-access";

/** The retry policy of every single-mail task (see the module header). */
const RETRY = { retryBackoff: true, maxRetries: 5 } as const;

/** Users per sendAnnouncementChunk task. */
export const CHUNK_SIZE = 50;

const id = z.number().int().positive();

// ── rendering ────────────────────────────────────────────────────────────────────────────────────────────

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

interface Recipient {
  name: string;
  email: string;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** An absolute link into the app (APP_URL may carry a path prefix). */
export const appLink = (path: string) => `${env.APP_URL.replace(/\/+$/, "")}${path}`;

/** A paragraph of a mail, or a bulleted list (its items). */
type Block = string | string[];

const blockHtml = (block: Block) =>
  typeof block === "string" ? `<p>${escapeHtml(block)}</p>` : `<ul>${block.map((item) => `<li>${escapeHtml(item)}</li>`).join("")}</ul>`;

/** A small HTML mail: paragraphs of text (and lists), then one button-like link. Every value is escaped. */
function html(blocks: Block[], link: { href: string; label: string }): string {
  const body = blocks.map(blockHtml).join("\n    ");
  return `<!doctype html>
<html>
  <body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1d2433">
    ${body}
    <p><a href="${escapeHtml(link.href)}" style="color: #2f6f4f">${escapeHtml(link.label)}</a></p>
  </body>
</html>
`;
}

export function welcomeEmail(user: Recipient): Rendered {
  const login = appLink("/login");
  const hello = `Hello ${user.name},`;
  const body = `Welcome to the celeriac demo. Your account for ${user.email} is ready.`;
  return {
    subject: `Welcome to the celeriac demo, ${user.name}`,
    text: `${hello}\n\n${body}\n\nLog in: ${login}\n`,
    html: html([hello, body], { href: login, label: "Log in" }),
  };
}

export function passwordResetEmail(user: Recipient, link: string): Rendered {
  const hello = `Hello ${user.name},`;
  const body = "Someone asked to reset the password of your celeriac demo account. The link below is valid for one hour and works once.";
  const ignore = "If it was not you, ignore this mail: your password stays as it is.";
  return {
    subject: "Reset your celeriac demo password",
    text: `${hello}\n\n${body}\n\n${link}\n\n${ignore}\n`,
    html: html([hello, body, ignore], { href: link, label: "Choose a new password" }),
  };
}

export function announcementEmail(user: Recipient, announcement: { subject: string; body: string }): Rendered {
  const hello = `Hello ${user.name},`;
  return {
    subject: announcement.subject,
    text: `${hello}\n\n${announcement.body}\n\n${appLink("/")}\n`,
    html: html([hello, ...announcement.body.split(/\n{2,}/)], { href: appLink("/"), label: "Open the celeriac demo" }),
  };
}

/** Titles a digest lists at most; the rest are counted ("and 3 more"). */
export const DIGEST_MAX_ARTICLES = 20;

export function dailyDigestEmail(user: Recipient, articles: { title: string }[]): Rendered {
  const hello = `Hello ${user.name},`;
  const count = articles.length === 1 ? "One article was" : `${articles.length} articles were`;
  const intro = `${count} published on the celeriac demo in the last 24 hours:`;
  const titles = articles.slice(0, DIGEST_MAX_ARTICLES).map((a) => a.title);
  const more = articles.length - titles.length;
  const after = [...(more > 0 ? [`…and ${more} more.`] : []), "You get this mail because you asked for the daily digest; turn it off on the log-in page."];
  const articlesLink = appLink("/articles");
  return {
    subject: `Your celeriac demo digest: ${articles.length} new article${articles.length === 1 ? "" : "s"}`,
    text: `${hello}\n\n${intro}\n\n${titles.map((t) => `- ${t}`).join("\n")}\n\n${after.join("\n\n")}\n\nRead them: ${articlesLink}\n`,
    html: html([hello, intro, titles, ...after], { href: articlesLink, label: "Read them" }),
  };
}

// ── sending ──────────────────────────────────────────────────────────────────────────────────────────────

const message = (user: Recipient, rendered: Rendered): MailMessage => ({ to: user.email, ...rendered });

/**
 * What a single-mail task returns: how many recipients the server accepted and refused (never who), or
 * why nothing was sent.
 */
export type MailTaskResult =
  | { messageId: string; accepted: number; rejected: number }
  | { skipped: "user deleted" | "announcement deleted" | "digest turned off" | "articles deleted" };

/**
 * Sends one mail from a single-mail task: a transient failure retries the task (its backoff), a permanent
 * one fails it with the server's reply. The task's result counts what the server accepted.
 */
export async function sendEmail(ctx: TaskContext, to: Recipient, rendered: Rendered): Promise<MailTaskResult> {
  const { messageId, accepted, rejected } = await deliverMail(ctx, mailer, message(to, rendered));
  ctx.log.info({ messageId }, "mail sent");
  return { messageId, accepted: accepted.length, rejected: rejected.length };
}

const loadUser = (userId: number) =>
  db.user.findUnique({ where: { id: userId }, select: { id: true, name: true, email: true, passwordChangedAt: true } });

export const sendWelcomeEmail = task({
  name: "emails.sendWelcome",
  args: z.tuple([id]),
  owner: userOwner,
  ...RETRY,
  async run(ctx, userId): Promise<MailTaskResult> {
    const user = await loadUser(userId);
    if (!user) return { skipped: "user deleted" };
    return sendEmail(ctx, user, welcomeEmail(user));
  },
});

export const sendPasswordResetEmail = task({
  name: "emails.sendPasswordReset",
  args: z.tuple([id]),
  owner: userOwner,
  redactArgs: true, // shown as "••••" in the dashboard: which account asked for a reset link is not for every staff member to read
  ...RETRY,
  async run(ctx, userId): Promise<MailTaskResult> {
    const user = await loadUser(userId);
    if (!user) return { skipped: "user deleted" };
    // Signed when the mail is sent, so a retry an hour later still sends a link valid for an hour.
    const link = appLink(`/reset-password?token=${encodeURIComponent(makeResetToken(secretKey(), user))}`);
    return sendEmail(ctx, user, passwordResetEmail(user, link));
  },
});

/** One user's copy of an announcement, on its own: what a chunk hands over when the server was unreachable. */
export const sendAnnouncementEmail = task({
  name: "emails.sendAnnouncement",
  args: z.tuple([id, id]),
  owner: (_announcementId, userId) => userOwner(userId),
  ...RETRY,
  async run(ctx, announcementId, userId): Promise<MailTaskResult> {
    const [announcement, user] = await Promise.all([db.announcement.findUnique({ where: { id: announcementId } }), loadUser(userId)]);
    if (!announcement) return { skipped: "announcement deleted" };
    if (!user) return { skipped: "user deleted" };
    return sendEmail(ctx, user, announcementEmail(user, announcement));
  },
});

// ── bulk: fan-out in chunks ──────────────────────────────────────────────────────────────────────────────

export interface ChunkResult {
  sent: number;
  /** Refused for good (5xx): these users get nothing. */
  failed: number;
  /** The server was unreachable for these: each was handed to its own emails.sendAnnouncement task, which retries. */
  deferred: number;
  failures: { userId: number; error: string }[];
}

/** Mails a chunk sends at once (each on its own SMTP connection). */
const SENDS_AT_ONCE = 5;

/**
 * The users with ids fromId..toId (inclusive), one mail each, SENDS_AT_ONCE at a time. A refusal is
 * counted and the chunk goes on; a transient failure hands that user to a retrying task of its own, so
 * neither holds up the rest of the chunk and the users already served are not mailed twice by a chunk retry.
 */
export const sendAnnouncementChunk = task({
  name: "emails.sendAnnouncementChunk",
  args: z.tuple([id, id, id]),
  async run(ctx, announcementId, fromId, toId): Promise<ChunkResult> {
    const result: ChunkResult = { sent: 0, failed: 0, deferred: 0, failures: [] };
    const announcement = await db.announcement.findUnique({ where: { id: announcementId } });
    if (!announcement) return result;
    const users = await db.user.findMany({
      where: { id: { gte: fromId, lte: toId } },
      orderBy: { id: "asc" },
      select: { id: true, name: true, email: true },
    });
    const sendOne = async (user: (typeof users)[number]) => {
      try {
        await mailer.send(message(user, announcementEmail(user, announcement)));
        result.sent++;
      } catch (error) {
        if (!(error instanceof MailError)) throw error;
        if (error.transient) {
          await sendAnnouncementEmail.applyAsync([announcementId, user.id], { taskId: `${ctx.id}.user-${user.id}` });
          result.deferred++;
        } else {
          result.failed++;
          result.failures.push({ userId: user.id, error: error.message });
        }
      }
    };
    let next = 0;
    const sender = async () => {
      while (next < users.length) await sendOne(users[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(SENDS_AT_ONCE, users.length) }, sender));
    result.failures.sort((a, b) => a.userId - b.userId);
    ctx.log.info({ announcementId, fromId, toId, sent: result.sent, failed: result.failed, deferred: result.deferred }, "announcement chunk done");
    return result;
  },
});

export interface FanOutResult {
  users: number;
  chunks: { fromId: number; toId: number; taskId: string }[];
}

/**
 * Mails an announcement to every user: one emails.sendAnnouncementChunk task per CHUNK_SIZE users (by id
 * range), so the chunks run in parallel on every worker and one slow address holds up only its own chunk.
 * Chunk task ids derive from this task's id, so a second run of this task (a redelivery) does not queue
 * another copy of a chunk still waiting or running (BullMQ ignores a job id it holds; finished jobs are gone).
 */
export const notifyAllUsers = task({
  name: "emails.notifyAllUsers",
  args: z.tuple([id]),
  async run(ctx, announcementId): Promise<FanOutResult> {
    const fanOut: FanOutResult = { users: 0, chunks: [] };
    if (!(await db.announcement.findUnique({ where: { id: announcementId }, select: { id: true } }))) return fanOut;
    for (let after = 0; ; ) {
      const ids = await db.user.findMany({ where: { id: { gt: after } }, orderBy: { id: "asc" }, take: CHUNK_SIZE, select: { id: true } });
      if (ids.length === 0) break;
      const fromId = ids[0].id;
      const toId = ids[ids.length - 1].id;
      const chunk = await sendAnnouncementChunk.applyAsync([announcementId, fromId, toId], { taskId: `${ctx.id}.users-${fromId}-${toId}` });
      fanOut.users += ids.length;
      fanOut.chunks.push({ fromId, toId, taskId: chunk.id });
      after = toId;
    }
    ctx.log.info({ announcementId, users: fanOut.users, chunks: fanOut.chunks.length }, "announcement fanned out");
    return fanOut;
  },
});

// ── the daily digest (seed 001, exercise 5.1: beat sends emails.sendDailyDigest at 08:00) ────────────────

/** How far back a digest looks: the day before the digest's run. */
export const DIGEST_PERIOD_MS = 24 * 60 * 60 * 1000;

const instant = z.iso.datetime().transform((s) => new Date(s));

/** The articles created in [since, until), oldest first: what one digest lists. */
const digestArticles = (since: Date, until: Date) =>
  db.article.findMany({ where: { createdAt: { gte: since, lt: until } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { title: true } });

/**
 * One user's digest of the articles created in [since, until). The window is the sending task's, so every
 * user's mail (and every retry of it) lists the same articles. A user who turned the digest off or was
 * deleted after the send gets nothing.
 *
 * No owner, unlike the other single mails: it runs as a member of the digest's group, and a group's
 * members all take one owner (the first member's), which would hand every user's result to the first
 * user. Owner-less results are staff's, like the rest of what beat starts.
 */
export const sendDigestTo = task({
  name: "emails.sendDigestTo",
  args: z.tuple([id, instant, instant]),
  ...RETRY,
  async run(ctx, userId, since, until): Promise<MailTaskResult> {
    const user = await db.user.findUnique({ where: { id: userId }, select: { name: true, email: true, dailyDigest: true } });
    if (!user) return { skipped: "user deleted" };
    if (!user.dailyDigest) return { skipped: "digest turned off" };
    const articles = await digestArticles(since, until);
    if (articles.length === 0) return { skipped: "articles deleted" };
    return sendEmail(ctx, user, dailyDigestEmail(user, articles));
  },
});

export interface DailyDigestResult {
  /** The window the digest covers: [since, until), ISO instants. */
  since: string;
  until: string;
  articles: number;
  /** Users mailed (one emails.sendDigestTo each), 0 when there was nothing to send. */
  users: number;
  /** The group of emails.sendDigestTo tasks (app.groupResult(id)), or null when nothing was sent, and why. */
  groupId: string | null;
  nothingToSend?: "no new articles" | "nobody asked for the digest";
}

/**
 * The daily digest: the articles created in the 24 hours before this run, one mail to each user who turned
 * the digest on, as a group of emails.sendDigestTo tasks (ids and the window only: each loads its user
 * and the articles when it runs). No articles, or nobody opted in: no group, and the result says which.
 *
 * The window ends when this task runs, not at the schedule's 08:00: beat sends it on the instant, so a
 * worker that runs it at once covers each day once; one that runs it late (a backlog, a worker down)
 * leaves that much of a gap or an overlap with the day before. A redelivered run sends its group again
 * (delivery is at least once, as for every mail here).
 */
export const sendDailyDigest = task({
  name: "emails.sendDailyDigest",
  args: z.tuple([]),
  async run(ctx): Promise<DailyDigestResult> {
    const until = new Date();
    const since = new Date(until.getTime() - DIGEST_PERIOD_MS);
    const window = { since: since.toISOString(), until: until.toISOString() };
    const articles = await db.article.count({ where: { createdAt: { gte: since, lt: until } } });
    if (articles === 0) return { ...window, articles, users: 0, groupId: null, nothingToSend: "no new articles" };
    const users = await db.user.findMany({ where: { dailyDigest: true }, orderBy: { id: "asc" }, select: { id: true } });
    if (users.length === 0) return { ...window, articles, users: 0, groupId: null, nothingToSend: "nobody asked for the digest" };
    const sent = await group(...users.map((user) => sendDigestTo.s(user.id, window.since, window.until))).delay();
    ctx.log.info({ articles, users: users.length, groupId: sent.id }, "daily digest sent");
    return { ...window, articles, users: users.length, groupId: sent.id };
  },
});
