/**
 * The daily digest end to end: beat's scheduler (the one `npm run beat` runs, on the app's settings, with a
 * clock of the test's) sends emails.sendDailyDigest at 08:00 in the app's time zone, a worker in this
 * process runs it and its group of emails.sendDigestTo, and the mails land in a real SMTP server (the dev
 * inbox, on a free port). A database of its own: the digest mails every opted-in user, and beat reads the
 * whole PeriodicTask table.
 *
 * Only beat's clock is the test's: the worker runs on the real one, and the digest's window is the 24 h
 * before its run, so the articles are dated relative to now.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { BeatSend } from "celeriac";
import type { DevInbox } from "@/lib/dev-inbox";
import { LeaderLease } from "@/packages/celeriac/src/beat/leader";
import { Scheduler, type SchedulerDeps } from "@/packages/celeriac/src/beat/scheduler";
import { freePort } from "@/test/chaos/helpers";
import { createTestDatabase } from "@/test/databases";
import { deleteKeys, uniquePrefix } from "@/test/redis";

const database = await createTestDatabase(inject("databaseUrl").startsWith("file:") ? "sqlite" : "postgres", "digest");
const keyPrefix = uniquePrefix("digest");
const smtpPort = await freePort();
// A zone other than UTC, so "08:00" is the app's 08:00 and not the server's: Taipei is UTC+8 all year.
const TIMEZONE = "Asia/Taipei";
const UTC_OFFSET_MS = 8 * 3_600_000;
Object.assign(process.env, {
  DATABASE_URL: database.url,
  CELERIAC_KEY_PREFIX: keyPrefix,
  CELERIAC_LOG_LEVEL: "silent",
  CELERIAC_TIMEZONE: TIMEZONE,
  EMAIL_URL: `smtp://127.0.0.1:${smtpPort}`,
});
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { startDevInbox } = await import("@/lib/dev-inbox");
const emails = await import("./emails");

const HOUR = 3_600_000;
const ENTRY = "send-daily-email";

let inbox: DevInbox;
let stopWorker: () => Promise<unknown>;

beforeAll(async () => {
  inbox = await startDevInbox({ port: smtpPort, db });
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
beforeEach(async () => {
  await Promise.all([db.user.deleteMany(), db.article.deleteMany(), db.devMail.deleteMany()]);
});

let n = 0;
const newUser = (dailyDigest: boolean) => {
  n++;
  return db.user.create({ data: { email: `reader${n}@example.test`, name: `Reader ${n}`, passwordHash: "x", dailyDigest } });
};
const articleAgo = (title: string, ms: number) => db.article.create({ data: { title, body: "…", createdAt: new Date(Date.now() - ms) } });
const mailTo = (email: string) => db.devMail.findMany({ where: { to: email } });

/**
 * Beat's scheduler on the app's own settings and stores (what app.startBeat() builds), holding the lease,
 * its sends recorded; `tick(at)` is one of its turns at that instant.
 */
async function beatOnTestClock() {
  const lease = new LeaderLease(celeriac.broker, "digest-test-beat", 60_000);
  expect(await lease.renew()).not.toBeNull();
  const sends: BeatSend[] = [];
  const deps: SchedulerDeps = {
    config: celeriac.config,
    broker: celeriac.broker,
    outbox: celeriac.outbox,
    store: celeriac.periodicTasks,
    registry: celeriac.registry,
    lease,
    transaction: celeriac.transaction as SchedulerDeps["transaction"],
    onCommit: celeriac.onCommit,
    log: celeriac.log,
    backend: celeriac.backend,
  };
  const scheduler = new Scheduler(deps, (send) => sends.push(send));
  await scheduler.sync();
  return { sends, tick: (at: number) => scheduler.tick(new Date(at)), release: () => lease.release() };
}

describe("the daily digest through beat", () => {
  it("at 08:00 in the app's zone beat sends one digest; each opted-in user gets the day's articles, nobody else a mail", async () => {
    const [alice, bob, carol] = [await newUser(true), await newUser(false), await newUser(true)];
    await articleAgo("Celery canvas explained", 2 * HOUR);
    await articleAgo("Beat at eight", 20 * HOUR);
    await articleAgo("Old news", 30 * HOUR); // before the digest's 24 h

    const beat = await beatOnTestClock();
    try {
      // The entry comes from lib/celery.ts's beatSchedule, crontab(hour=8, minute=0).
      const entry = await db.periodicTask.findUniqueOrThrow({ where: { name: ENTRY } });
      expect(entry.task).toBe("emails.sendDailyDigest");
      // A past day's 08:00 in Taipei (00:00 UTC), so beat sends at once instead of waiting for the instant;
      // the digest of the day before went out as scheduled.
      const today = new Date();
      const eightAm = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 2) + 8 * HOUR - UTC_OFFSET_MS;
      await db.periodicTask.update({ where: { name: ENTRY }, data: { lastRunAt: new Date(eightAm - 24 * HOUR) } });

      await beat.tick(eightAm - 60_000); // 07:59
      await beat.tick(eightAm - 1000); // 07:59:59, within beat's lookahead of half a second: not yet
      expect(beat.sends).toEqual([]);
      await beat.tick(eightAm + 1);
      await beat.tick(eightAm + 60_000); // the 08:00 slot is taken: not sent again
      expect(beat.sends).toEqual([expect.objectContaining({ periodicTask: ENTRY, task: "emails.sendDailyDigest", slotAt: new Date(eightAm) })]);
      expect(await db.periodicTask.findUniqueOrThrow({ where: { name: ENTRY } })).toMatchObject({ lastRunAt: new Date(eightAm), totalRunCount: 1 });

      const digest = await celeriac.AsyncResult.from<typeof emails.sendDailyDigest>(beat.sends[0].taskId).get({ timeout: 10_000 });
      expect(digest).toMatchObject({ articles: 2, users: 2, groupId: expect.any(String) });
      const group = (await celeriac.groupResult(digest.groupId!))!;
      const mailed = await group.get({ timeout: 10_000 });
      expect(mailed).toEqual([
        { messageId: expect.any(String), accepted: 1, rejected: 0 },
        { messageId: expect.any(String), accepted: 1, rejected: 0 },
      ]);
    } finally {
      await beat.release();
    }

    expect(await mailTo(bob.email)).toEqual([]);
    for (const user of [alice, carol]) {
      const [mail, ...more] = await mailTo(user.email);
      expect(more).toEqual([]);
      expect(mail.subject).toBe("Your celeriac demo digest: 2 new articles");
      expect(mail.text).toContain(`Hello ${user.name},`);
      // Oldest first; yesterday's article was in yesterday's digest.
      expect(mail.text).toMatch(/- Beat at eight\n- Celery canvas explained\n/);
      expect(mail.text).not.toContain("Old news");
      expect(mail.html).toContain("<li>Beat at eight</li><li>Celery canvas explained</li>");
    }
    expect(await db.devMail.count()).toBe(2);
  });
});

describe("emails.sendDailyDigest with nothing to send", () => {
  it("sends no group when no article is new, and says so", async () => {
    const reader = await newUser(true);
    await articleAgo("Last week's", 7 * 24 * HOUR);
    const digest = await (await emails.sendDailyDigest.delay()).get({ timeout: 10_000 });
    expect(digest).toMatchObject({ articles: 0, users: 0, groupId: null, nothingToSend: "no new articles" });
    expect(Date.parse(digest.until) - Date.parse(digest.since)).toBe(24 * HOUR);
    expect(await mailTo(reader.email)).toEqual([]);
  });

  it("sends no group when nobody turned the digest on, and says so", async () => {
    const reader = await newUser(false);
    await articleAgo("Fresh", HOUR);
    const digest = await (await emails.sendDailyDigest.delay()).get({ timeout: 10_000 });
    expect(digest).toMatchObject({ articles: 1, users: 0, groupId: null, nothingToSend: "nobody asked for the digest" });
    expect(await mailTo(reader.email)).toEqual([]);
  });
});

describe("emails.sendDigestTo", () => {
  it("mails nothing to a user who turned the digest off after it was sent, or who was deleted", async () => {
    const [off, gone] = [await newUser(false), await newUser(true)];
    await db.user.delete({ where: { id: gone.id } });
    await articleAgo("Fresh", HOUR);
    const since = new Date(Date.now() - 24 * HOUR).toISOString();
    const until = new Date().toISOString();
    expect(await (await emails.sendDigestTo.delay(off.id, since, until)).get({ timeout: 10_000 })).toEqual({ skipped: "digest turned off" });
    expect(await (await emails.sendDigestTo.delay(gone.id, since, until)).get({ timeout: 10_000 })).toEqual({ skipped: "user deleted" });
    expect(await db.devMail.count()).toBe(0);
  });

  it("lists the first DIGEST_MAX_ARTICLES titles and counts the rest", async () => {
    const reader = await newUser(true);
    const total = emails.DIGEST_MAX_ARTICLES + 3;
    for (let i = 0; i < total; i++) await articleAgo(`Article ${i}`, HOUR + (total - i) * 1000);
    const since = new Date(Date.now() - 24 * HOUR).toISOString();
    await (await emails.sendDigestTo.delay(reader.id, since, new Date().toISOString())).get({ timeout: 10_000 });
    const [mail] = await mailTo(reader.email);
    expect(mail.subject).toBe(`Your celeriac demo digest: ${total} new articles`);
    expect(mail.text).toContain(`- Article ${emails.DIGEST_MAX_ARTICLES - 1}\n`);
    expect(mail.text).not.toContain(`- Article ${emails.DIGEST_MAX_ARTICLES}\n`);
    expect(mail.text).toContain("…and 3 more.");
  });
});
