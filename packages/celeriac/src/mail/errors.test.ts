import { describe, expect, it } from "vitest";
import { classifyMailError, MailError, MailRejectedError, MailTransientError, toMailError, withoutAddresses } from "./errors.js";

/** An error shaped like nodemailer's (smtp-connection `_formatError`). */
function smtpError(message: string, fields: { code?: string; response?: string; responseCode?: number; errno?: string }) {
  return Object.assign(new Error(message), fields);
}

describe("classifyMailError", () => {
  it.each([
    ["connection refused", smtpError("connect ECONNREFUSED 127.0.0.1:2525", { code: "ESOCKET", errno: "ECONNREFUSED" })],
    ["connection failed", smtpError("Connection closed unexpectedly", { code: "ECONNECTION" })],
    ["timeout", smtpError("Greeting never received", { code: "ETIMEDOUT" })],
    ["DNS", smtpError("getaddrinfo ENOTFOUND smtp.example", { code: "EDNS" })],
    ["reset (bare errno as code)", smtpError("read ECONNRESET", { code: "ECONNRESET" })],
    ["421 service not available", smtpError("x", { code: "EENVELOPE", response: "421 4.3.2 try again later", responseCode: 421 })],
    ["451 greylisted", smtpError("x", { code: "EMESSAGE", response: "451 4.7.1 greylisted", responseCode: 451 })],
  ])("%s is transient", (_, error) => {
    expect(classifyMailError(error)).toBe("transient");
  });

  it.each([
    ["550 no such user", smtpError("x", { code: "EENVELOPE", response: "550 5.1.1 no such user", responseCode: 550 })],
    ["535 bad credentials", smtpError("Invalid login", { code: "EAUTH", response: "535 5.7.8 bad credentials", responseCode: 535 })],
    ["552 too big", smtpError("x", { code: "EMESSAGE", response: "552 message too large", responseCode: 552 })],
    ["an unknown error", new Error("something odd")],
    ["not an error at all", "a string"],
  ])("%s is permanent", (_, error) => {
    expect(classifyMailError(error)).toBe("permanent");
  });

  it("trusts the reply code over the connection code", () => {
    expect(classifyMailError(smtpError("x", { code: "ECONNECTION", response: "554 go away", responseCode: 554 }))).toBe("permanent");
  });
});

describe("toMailError", () => {
  it("keeps the server's reply as the message of a 5xx rejection", () => {
    const original = smtpError("Can't send mail - all recipients were rejected: 550 5.1.1 no such user", {
      code: "EENVELOPE",
      response: "550 5.1.1 no such user",
      responseCode: 550,
    });
    const error = toMailError(original);
    expect(error).toBeInstanceOf(MailRejectedError);
    expect(error).toMatchObject({ name: "MailRejectedError", message: "550 5.1.1 no such user", responseCode: 550, transient: false });
    expect(error.cause).toBe(original);
  });

  it("marks unreachable servers transient", () => {
    const error = toMailError(smtpError("connect ECONNREFUSED 127.0.0.1:1", { code: "ESOCKET" }));
    expect(error).toBeInstanceOf(MailTransientError);
    expect(error).toMatchObject({ name: "MailTransientError", message: "connect ECONNREFUSED 127.0.0.1:1", transient: true });
  });

  it("takes the recipient's address out of the reply, from the message and so from the stack", () => {
    const reply = "550 5.1.1 <bob.smith+news@mail.example.com>: Recipient address rejected: User unknown in virtual mailbox table";
    const error = toMailError(smtpError(`Can't send mail - all recipients were rejected: ${reply}`, { code: "EENVELOPE", response: reply, responseCode: 550 }));
    expect(error.message).toBe("550 5.1.1 <address>: Recipient address rejected: User unknown in virtual mailbox table");
    expect(error.stack).not.toContain("bob");
    const plain = toMailError(smtpError("Invalid recipient ada@example.org, rejected", { code: "EENVELOPE" }));
    expect(plain.message).toBe("Invalid recipient <address>, rejected");
  });

  it("keeps other permanent failures as plain MailErrors", () => {
    const error = toMailError(smtpError("No recipients defined", { code: "EENVELOPE" }));
    expect(error.constructor).toBe(MailError);
    expect(error.transient).toBe(false);
  });
});

describe("withoutAddresses", () => {
  it.each([
    ["550 5.1.1 <a@b.example>: unknown", "550 5.1.1 <address>: unknown"],
    ["to a@b.example and c.d@e-f.example.org.", "to <address> and <address>."],
    ["550 5.1.1 no such user", "550 5.1.1 no such user"],
    ["connect ECONNREFUSED 127.0.0.1:2525", "connect ECONNREFUSED 127.0.0.1:2525"],
    ["(x@y.example)", "(<address>)"],
  ])("%s", (text, expected) => {
    expect(withoutAddresses(text)).toBe(expected);
  });
});
