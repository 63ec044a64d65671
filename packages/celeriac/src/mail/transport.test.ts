import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { createMailer, describeMailUrl, smtpOptions } from "./transport.js";

describe("describeMailUrl", () => {
  it("hides the password and keeps the rest", () => {
    expect(describeMailUrl("smtps://apikey:s3cr%40t@smtp.example.com:465")).toBe("smtps://apikey:****@smtp.example.com:465");
    expect(describeMailUrl("smtp://127.0.0.1:2525")).toBe("smtp://127.0.0.1:2525");
  });
  it("never echoes a URL it cannot parse", () => {
    expect(describeMailUrl("smtp://user:pass word@")).not.toContain("pass");
  });
  it("is what a Mailer shows", () => {
    expect(createMailer({ url: "smtp://u:hunter2@mail.example:587", from: "a@b.c" }).description).toBe("smtp://u:****@mail.example:587");
  });
});

describe("smtpOptions", () => {
  it("reads smtps with an encoded password", () => {
    expect(smtpOptions("smtps://apikey:s3cr%40t@smtp.example.com")).toMatchObject({
      host: "smtp.example.com",
      port: 465,
      secure: true,
      ignoreTLS: false,
      auth: { user: "apikey", pass: "s3cr@t" },
    });
  });
  it("uses STARTTLS for smtp, except on loopback (the dev inbox)", () => {
    expect(smtpOptions("smtp://mail.example")).toMatchObject({ port: 587, secure: false, ignoreTLS: false, auth: undefined });
    expect(smtpOptions("smtp://127.0.0.1:2525")).toMatchObject({ host: "127.0.0.1", port: 2525, ignoreTLS: true });
    expect(smtpOptions("smtp://localhost:2525")).toMatchObject({ ignoreTLS: true });
    expect(smtpOptions("smtp://[::1]:2525")).toMatchObject({ host: "::1", ignoreTLS: true });
  });
  it("has timeouts of seconds, not minutes", () => {
    expect(smtpOptions("smtp://mail.example")).toMatchObject({ connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 10_000 });
    expect(smtpOptions("smtp://mail.example", { socketTimeoutMs: 500 })).toMatchObject({ socketTimeout: 500 });
  });
  it("refuses other schemes without showing the password", () => {
    expect(() => smtpOptions("http://u:topsecret@mail.example")).toThrow(ConfigError);
    expect(() => smtpOptions("http://u:topsecret@mail.example")).toThrow(/http:\/\/u:\*\*\*\*@mail\.example/);
  });
});

describe("createMailer against a real SMTP server", () => {
  /** A bare smtp-server on a free loopback port; `reply` decides each recipient's fate. */
  async function server(reply: (to: string) => { code: number; text: string } | undefined) {
    const { SMTPServer } = await import("smtp-server");
    const received: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo(address, _session, callback) {
        const r = reply(address.address);
        if (!r) return callback();
        callback(Object.assign(new Error(r.text), { responseCode: r.code }));
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on("end", () => {
          received.push(...session.envelope.rcptTo.map((a) => a.address));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const { port } = smtp.server.address() as { port: number };
    return { url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
  }
  const message = { to: "someone@example.com", subject: "hi", text: "hello" };

  it("sends, and reports what was accepted", async () => {
    const s = await server(() => undefined);
    try {
      const sent = await createMailer({ url: s.url, from: "app@example.com" }).send(message);
      expect(sent).toMatchObject({ accepted: ["someone@example.com"], rejected: [], messageId: expect.stringMatching(/^<.+>$/) });
      expect(s.received).toEqual(["someone@example.com"]);
    } finally {
      await s.close();
    }
  });

  it("rejects with the server's reply on a 5xx, and marks a 4xx transient", async () => {
    const s = await server((to) => (to.startsWith("nobody") ? { code: 550, text: "5.1.1 no such user" } : { code: 451, text: "4.7.1 try later" }));
    const mailer = createMailer({ url: s.url, from: "app@example.com" });
    try {
      await expect(mailer.send({ ...message, to: "nobody@example.com" })).rejects.toMatchObject({
        name: "MailRejectedError",
        message: "550 5.1.1 no such user",
        responseCode: 550,
        transient: false,
      });
      await expect(mailer.send(message)).rejects.toMatchObject({ name: "MailTransientError", responseCode: 451, transient: true });
    } finally {
      await s.close();
    }
  });

  it("marks a server that is not there transient", async () => {
    const s = await server(() => undefined);
    await s.close(); // the port is free now: connection refused
    await expect(createMailer({ url: s.url, from: "app@example.com" }).send(message)).rejects.toMatchObject({
      name: "MailTransientError",
      transient: true,
    });
  });
});
