/**
 * The mail tasks against the real app glue, a real worker and a real SMTP server (the dev inbox, in this
 * process, on a free port). This file has a database of its own: notifyAllUsers mails every user, so
 * users made by other test files must not be in it.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { DevInbox } from "@/lib/dev-inbox";
import { createTestDatabase } from "@/test/databases";
import { deleteKeys, uniquePrefix } from "@/test/redis";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const database = await createTestDatabase(inject("databaseUrl").startsWith("file:") ? "sqlite" : "postgres", "emails");
const keyPrefix = uniquePrefix("emails");
const smtpPort = await freePort();
Object.assign(process.env, {
  DATABASE_URL: database.url,
  CELERIAC_KEY_PREFIX: keyPrefix,
  CELERIAC_LOG_LEVEL: "silent",
  EMAIL_URL: `smtp://127.0.0.1:${smtpPort}`,
  // Shorter, predictable backoff: retries after 0.5, 1, 2, 4, 8 s (the tasks' own policy is 1, 2, 4… s with jitter).
  CELERIAC_TASK_ANNOTATIONS: JSON.stringify({ "emails.*": { retryBackoff: 0.5, retryJitter: false } }),
});
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { env, secretKey } = await import("@/lib/env");
const { checkResetToken } = await import("@/lib/reset-token");
const { startDevInbox } = await import("@/lib/dev-inbox");
const emails = await import("./emails");
const { userOwner } = await import("@/lib/result-access");

/** Addresses at these domains are refused for good (550), or once and then accepted (greylisting, 451). */
const seen = new Set<string>();
function refuse(to: string) {
  if (to.endsWith("@rejected.test")) return { responseCode: 550, message: "5.1.1 no such user" };
  if (to.endsWith("@bounced.test")) return { responseCode: 550, message: `5.1.1 <${to}>: Recipient address rejected: User unknown` };
  if (to.endsWith("@greylisted.test") && !seen.has(to)) {
    seen.add(to);
    return { responseCode: 451, message: "4.7.1 greylisted, try again later" };
  }
  return undefined;
}
const openInbox = () => startDevInbox({ port: smtpPort, db, rejectWith: refuse });

let inbox: DevInbox | undefined;
let stopWorker: () => Promise<unknown>;
let n = 0;
const newUser = (domain = "example.test") => {
  n++;
  return db.user.create({ data: { email: `user${n}@${domain}`, name: `User ${n}`, passwordHash: "x" } });
};
const mailTo = (email: string) => db.devMail.findMany({ where: { to: email } });
/** The task's stored row as JSON, to check that no address made it in (result, error, anything). */
const storedRow = async (id: string) => JSON.stringify(await db.taskResult.findUniqueOrThrow({ where: { id } }));

beforeAll(async () => {
  inbox = await openInbox();
  stopWorker = (await celeriac.startWorker({ concurrency: 4 })).stop;
});
afterAll(async () => {
  await stopWorker?.();
  await inbox?.close();
  await celeriac.close();
  await deleteKeys(keyPrefix);
  await db.$disconnect();
  await database.drop();
});

describe("emails.sendWelcome", () => {
  it("mails the user a welcome with a login link; the result counts, names no address, and is the user's", async () => {
    const user = await newUser();
    const handle = await emails.sendWelcomeEmail.delay(user.id);
    const result = await handle.get({ timeout: 10_000 });
    expect(result).toEqual({ messageId: expect.stringMatching(/^<.+>$/), accepted: 1, rejected: 0 });
    expect((await handle.info())!.owner).toBe(userOwner(user.id));
    expect(await storedRow(handle.id)).not.toContain(user.email);

    const [mail, ...more] = await mailTo(user.email);
    expect(more).toEqual([]);
    expect(mail.subject).toBe(`Welcome to the celeriac demo, ${user.name}`);
    expect(mail.messageId).toBe((result as { messageId: string }).messageId);
    expect(mail.from).toContain("no-reply@celeriac.localhost");
    expect(mail.text).toContain(`Hello ${user.name},`);
    expect(mail.text).toContain(`${env.APP_URL}/login`);
    expect(mail.html).toContain(`href="${env.APP_URL}/login"`);
  });

  it("escapes the user's name in the HTML", async () => {
    const user = await db.user.create({ data: { email: "markup@example.test", name: `<b>Bob</b> & "Co"`, passwordHash: "x" } });
    await (await emails.sendWelcomeEmail.delay(user.id)).get({ timeout: 10_000 });
    const [mail] = await mailTo(user.email);
    expect(mail.html).toContain("Hello &lt;b&gt;Bob&lt;/b&gt; &amp; &quot;Co&quot;,");
    expect(mail.text).toContain(`Hello <b>Bob</b> & "Co",`);
  });

  it("sends nothing to a user deleted before the task ran", async () => {
    const user = await newUser();
    await db.user.delete({ where: { id: user.id } });
    expect(await (await emails.sendWelcomeEmail.delay(user.id)).get({ timeout: 10_000 })).toEqual({ skipped: "user deleted" });
    expect(await mailTo(user.email)).toEqual([]);
  });
});

describe("emails.sendPasswordReset", () => {
  it("mails a link whose token checkResetToken accepts; the result is the account's", async () => {
    const user = await newUser();
    const handle = await emails.sendPasswordResetEmail.delay(user.id);
    expect(await handle.get({ timeout: 10_000 })).toEqual({ messageId: expect.any(String), accepted: 1, rejected: 0 });
    expect((await handle.info())!.owner).toBe(userOwner(user.id));
    expect(await storedRow(handle.id)).not.toContain(user.email);
    const [mail] = await mailTo(user.email);
    expect(mail.subject).toBe("Reset your celeriac demo password");

    const link = mail.text!.match(/https?:\/\/\S+\/reset-password\?token=\S+/)?.[0];
    expect(link?.startsWith(`${env.APP_URL}/reset-password?token=`)).toBe(true);
    const token = new URL(link!).searchParams.get("token")!;
    expect(mail.html).toContain(`href="${link}"`);
    expect(checkResetToken(secretKey(), token, user)).toEqual({ ok: true });
    // valid for one hour
    expect(checkResetToken(secretKey(), token, user, Date.now() + 61 * 60 * 1000)).toEqual({ ok: false, reason: "expired" });
  });
});

describe("retry policy", () => {
  it("retries while the SMTP server is down (RETRY), then succeeds and the mail arrives once", async () => {
    const user = await newUser();
    const retries: number[] = [];
    const off = celeriac.signals.on("taskRetry", (p) => retries.push(p.retries));
    await inbox!.close();
    inbox = undefined;
    try {
      const result = await emails.sendWelcomeEmail.delay(user.id);
      const downSince = Date.now();
      while ((await result.status()) !== "RETRY") {
        if (Date.now() - downSince > 10_000) throw new Error("the task never reached RETRY");
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await result.info())?.error).toMatchObject({ type: "MailTransientError" });
      await new Promise((r) => setTimeout(r, Math.max(0, 2500 - (Date.now() - downSince))));
      inbox = await openInbox();

      expect(await result.get({ timeout: 15_000 })).toMatchObject({ accepted: 1 });
      const record = await result.info();
      expect(record).toMatchObject({ status: "SUCCESS", retries: retries.length });
      expect(retries.length).toBeGreaterThanOrEqual(2); // down 2.5 s: tries at 0, 0.5 and 1.5 s fail
      expect(retries.length).toBeLessThanOrEqual(5);
      expect(await mailTo(user.email)).toHaveLength(1);
    } finally {
      off();
      inbox ??= await openInbox();
    }
  });

  it("retries a 4xx reply (greylisting) and succeeds", async () => {
    const user = await newUser("greylisted.test");
    const result = await emails.sendWelcomeEmail.delay(user.id);
    expect(await result.get({ timeout: 10_000 })).toMatchObject({ accepted: 1 });
    expect(await result.info()).toMatchObject({ status: "SUCCESS", retries: 1 });
    expect(await mailTo(user.email)).toHaveLength(1);
  });

  it("fails at once on a 550, with the server's reply and no retry", async () => {
    const user = await newUser("rejected.test");
    const result = await emails.sendPasswordResetEmail.delay(user.id);
    await expect(result.get({ timeout: 10_000 })).rejects.toMatchObject({ name: "TaskFailedError" });
    expect(await result.info()).toMatchObject({
      status: "FAILURE",
      retries: 0,
      error: { type: "MailRejectedError", message: "550 5.1.1 no such user" },
    });
    expect(await mailTo(user.email)).toEqual([]);
  });

  it("keeps the server's reply but not the address it names, in the row and the API's error", async () => {
    const user = await newUser("bounced.test");
    const result = await emails.sendWelcomeEmail.delay(user.id);
    await expect(result.get({ timeout: 10_000 })).rejects.toMatchObject({ name: "TaskFailedError" });
    expect((await result.info())!.error).toMatchObject({ type: "MailRejectedError", message: "550 5.1.1 <address>: Recipient address rejected: User unknown" });
    expect(await storedRow(result.id)).not.toContain(user.email);
  });
});

describe("emails.notifyAllUsers", () => {
  it("fans 120 users out to 3 chunk tasks, and every user gets one mail", async () => {
    await db.user.deleteMany();
    await db.user.createMany({
      data: Array.from({ length: 120 }, (_, i) => ({ email: `fan${i}@example.test`, name: `Fan ${i}`, passwordHash: "x" })),
    });
    const announcement = await db.announcement.create({ data: { subject: "Big news", body: "We moved.\n\nSee you there." } });

    const fanOut = await (await emails.notifyAllUsers.delay(announcement.id)).get({ timeout: 10_000 });
    expect(fanOut.users).toBe(120);
    expect(fanOut.chunks).toHaveLength(3);
    const ids = (await db.user.findMany({ orderBy: { id: "asc" }, select: { id: true } })).map((u) => u.id);
    expect(fanOut.chunks.map((c) => [c.fromId, c.toId])).toEqual([
      [ids[0], ids[49]],
      [ids[50], ids[99]],
      [ids[100], ids[119]],
    ]);

    const chunks = await Promise.all(fanOut.chunks.map((c) => celeriac.AsyncResult.from<typeof emails.sendAnnouncementChunk>(c.taskId).get({ timeout: 20_000 })));
    expect(chunks.map((c) => [c.sent, c.failed, c.deferred])).toEqual([
      [50, 0, 0],
      [50, 0, 0],
      [20, 0, 0],
    ]);
    const mails = await db.devMail.findMany({ where: { subject: "Big news" } });
    expect(mails).toHaveLength(120);
    expect(new Set(mails.map((m) => m.to)).size).toBe(120);
    expect(mails[0].text).toContain("We moved.");
  });

  it("counts refused addresses and hands unreachable ones to a retrying task of their own", async () => {
    const ok = await newUser();
    const refused = await newUser("rejected.test");
    const grey = await newUser("greylisted.test");
    const announcement = await db.announcement.create({ data: { subject: "Small news", body: "Hello." } });

    const chunk = await emails.sendAnnouncementChunk.delay(announcement.id, ok.id, grey.id);
    expect(await chunk.get({ timeout: 10_000 })).toEqual({
      sent: 1,
      failed: 1,
      deferred: 1,
      failures: [{ userId: refused.id, error: "550 5.1.1 no such user" }],
    });
    const handedOver = celeriac.AsyncResult.from<typeof emails.sendAnnouncementEmail>(`${chunk.id}.user-${grey.id}`);
    expect(await handedOver.get({ timeout: 10_000 })).toEqual({ messageId: expect.any(String), accepted: 1, rejected: 0 });
    expect((await handedOver.info())!.owner).toBe(userOwner(grey.id)); // the recipient's, like every single mail
    expect((await chunk.info())!.owner).toBeNull(); // a chunk mails many: staff only
    for (const email of [ok.email, refused.email, grey.email]) {
      expect(await storedRow(chunk.id)).not.toContain(email);
      expect(await storedRow(handedOver.id)).not.toContain(email);
    }
    const mails = await db.devMail.findMany({ where: { subject: "Small news" }, orderBy: { to: "asc" } });
    expect(mails.map((m) => m.to).sort()).toEqual([grey.email, ok.email].sort());
  });
});
