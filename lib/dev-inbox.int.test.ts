/**
 * The development inbox: a real SMTP server whose mail lands in DevMail rows, read back through the
 * functions the /dev/mailbox pages use.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createMailer, MailRejectedError } from "celeriac";
import { createDb } from "@/lib/db";
import { devInboxPort, startDevInbox, type DevInbox } from "./dev-inbox";
import { devInboxEnabled, getDevMail, listDevMail } from "./dev-mailbox";

const db = createDb(inject("databaseUrl"));
const run = `inbox-${process.pid}-${Date.now()}`; // this file's addresses, apart from other files' mail
let inbox: DevInbox;

beforeAll(async () => {
  inbox = await startDevInbox({
    port: 0,
    db,
    rejectWith: (to) => (to.startsWith("nobody@") ? { responseCode: 550, message: "5.1.1 no such user" } : undefined),
  });
});
afterAll(async () => {
  await inbox.close();
  await db.$disconnect();
});

describe("startDevInbox", () => {
  it("stores what it receives, and the mailbox lists it newest first", async () => {
    const mailer = createMailer({ url: inbox.url, from: "Demo <no-reply@demo.test>" });
    const first = await mailer.send({ to: `a-${run}@demo.test`, subject: "first", text: "one", html: "<p>one</p>" });
    await mailer.send({ to: [`b-${run}@demo.test`, `c-${run}@demo.test`], subject: "second", text: "two" });

    const mine = (await listDevMail(db)).filter((m) => m.to.includes(run));
    expect(mine.map((m) => [m.to, m.subject])).toEqual([
      [`b-${run}@demo.test, c-${run}@demo.test`, "second"],
      [`a-${run}@demo.test`, "first"],
    ]);
    expect(mine[0].receivedAt).toBeInstanceOf(Date);

    const stored = await getDevMail(db, mine[1].id);
    expect(stored).toMatchObject({
      from: `"Demo" <no-reply@demo.test>`,
      subject: "first",
      text: "one",
      html: "<p>one</p>",
      messageId: first.messageId,
    });
    expect(await getDevMail(db, 2_000_000_000)).toBeNull();
  });

  it("refuses recipients on request, with the reply it was given", async () => {
    const mailer = createMailer({ url: inbox.url, from: "no-reply@demo.test" });
    const refused = mailer.send({ to: "nobody@demo.test", subject: `refused ${run}`, text: "x" });
    await expect(refused).rejects.toBeInstanceOf(MailRejectedError);
    await expect(refused).rejects.toMatchObject({ message: "550 5.1.1 no such user" });
    expect(await db.devMail.count({ where: { subject: `refused ${run}` } })).toBe(0);
  });

  it("accepts a login (an EMAIL_URL with a password works against it)", async () => {
    const url = inbox.url.replace("smtp://", "smtp://demo:secret@");
    await createMailer({ url, from: "no-reply@demo.test" }).send({ to: `login-${run}@demo.test`, subject: "with login", text: "x" });
    expect(await db.devMail.count({ where: { to: `login-${run}@demo.test` } })).toBe(1);
  });

  it("waits delayMs before answering", async () => {
    const slow = await startDevInbox({ port: 0, db, delayMs: 300 });
    try {
      const started = Date.now();
      await createMailer({ url: slow.url, from: "no-reply@demo.test" }).send({ to: `slow-${run}@demo.test`, subject: "slow", text: "x" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await slow.close();
    }
  });
});

describe("devInboxPort", () => {
  it("is the port of a plain smtp URL on loopback, else undefined", () => {
    expect(devInboxPort("smtp://127.0.0.1:2525")).toBe(2525);
    expect(devInboxPort("smtp://localhost:1025")).toBe(1025);
    expect(devInboxPort("smtps://127.0.0.1:465")).toBeUndefined();
    expect(devInboxPort("smtp://smtp.example.com:587")).toBeUndefined();
  });
});

describe("devInboxEnabled", () => {
  it("is on outside production, and in production only with CELERIAC_DEV_INBOX", () => {
    expect(devInboxEnabled({ NODE_ENV: "development", CELERIAC_DEV_INBOX: false })).toBe(true);
    expect(devInboxEnabled({ NODE_ENV: "test", CELERIAC_DEV_INBOX: false })).toBe(true);
    expect(devInboxEnabled({ NODE_ENV: "production", CELERIAC_DEV_INBOX: false })).toBe(false);
    expect(devInboxEnabled({ NODE_ENV: "production", CELERIAC_DEV_INBOX: true })).toBe(true);
  });
});
