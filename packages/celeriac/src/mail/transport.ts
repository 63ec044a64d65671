/**
 * Outgoing mail over SMTP: a Mailer built from one URL (Django's EMAIL_HOST/PORT/USER/PASSWORD in one
 * setting). The only module that imports nodemailer.
 *
 *   smtp://user:pass@host:587    plain connection, upgraded with STARTTLS when the server offers it
 *   smtps://user:pass@host:465   TLS from the first byte
 *   smtp://127.0.0.1:2525        loopback: STARTTLS is never tried (the development inbox has none)
 *
 * User name and password are URL-encoded (`p%40ss` for `p@ss`). Connection, greeting and socket timeouts are
 * 10 s, not nodemailer's minutes, so a dead server fails a task quickly and the retry policy takes over.
 * Every failure is thrown as a MailError (errors.ts) that says whether trying later may work. The URL's
 * password never leaves this module: logs and task results get describeMailUrl() instead.
 */
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { ConfigError } from "../errors.js";
import { redactUrl } from "../url.js";
import { toMailError } from "./errors.js";

export interface MailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` (see the module header). */
  url: string;
  /** The From of every message that names none, e.g. `"Example <no-reply@example.com>"`. */
  from: string;
  /** How long to wait for the TCP (and TLS) connection, in ms. @defaultValue 10000 */
  connectionTimeoutMs?: number;
  /** How long to wait for the server's greeting once connected, in ms. @defaultValue 10000 */
  greetingTimeoutMs?: number;
  /** How long the connection may stay silent, in ms. @defaultValue 10000 */
  socketTimeoutMs?: number;
}

export interface MailMessage {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  /** @defaultValue the Mailer's `from` */
  from?: string;
  replyTo?: string;
  headers?: Record<string, string>;
}

/** What the server accepted; JSON, so a task can return it as its result. */
export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

export interface Mailer {
  /** Where mail goes, password hidden: for banners and logs. */
  readonly description: string;
  /** Sends one message; rejects with a MailError (MailTransientError, MailRejectedError…). */
  send(message: MailMessage): Promise<SentMail>;
  /** Connects, greets and logs in without sending anything; rejects with a MailError. */
  verify(): Promise<void>;
  /** Closes pooled connections, if any. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The mail URL fit for logs and results: the password is replaced by stars. */
export function describeMailUrl(url: string): string {
  try {
    new URL(url);
  } catch {
    return "(a mail URL that does not parse)"; // never echo it: it may hold a password
  }
  return redactUrl(url);
}

/** nodemailer's SMTP options for a mail URL (see the module header). */
export function smtpOptions(url: string, options: Omit<MailerOptions, "url" | "from"> = {}): SMTPTransport.Options {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`the mail URL ${describeMailUrl(url)} is not a URL; use smtp://user:pass@host:port or smtps://…`);
  }
  if (u.protocol !== "smtp:" && u.protocol !== "smtps:") {
    throw new ConfigError(`the mail URL ${describeMailUrl(url)} must start with smtp:// or smtps://`);
  }
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ignoreTLS: !secure && LOOPBACK.has(u.hostname),
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    greetingTimeout: options.greetingTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    socketTimeout: options.socketTimeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

const address = (a: string | { address: string }) => (typeof a === "string" ? a : a.address);

/** A Mailer for `options.url`. Opens no connection until the first send. */
export function createMailer(options: MailerOptions): Mailer {
  const transport = nodemailer.createTransport(smtpOptions(options.url, options), { from: options.from });
  return {
    description: describeMailUrl(options.url),
    async send(message) {
      try {
        const info = await transport.sendMail(message);
        return { messageId: info.messageId, accepted: info.accepted.map(address), rejected: info.rejected.map(address) };
      } catch (error) {
        throw toMailError(error);
      }
    },
    async verify() {
      try {
        await transport.verify();
      } catch (error) {
        throw toMailError(error);
      }
    },
    close: () => transport.close(),
  };
}
