/**
 * The development inbox (maildev's idea, built on smtp-server + mailparser): a real SMTP server on loopback
 * that keeps every message it receives as a DevMail row, to be read at /dev/mailbox. `npm run dev` starts it
 * (scripts/mail-sink.ts) on the port of EMAIL_URL, 2525 by default; tests start one in-process.
 *
 * It accepts any sender, any recipient and any login, and has no STARTTLS (the mail transport skips TLS
 * on loopback). `rejectWith` and `delayMs` make it misbehave on purpose, as real servers do.
 */
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { Db } from "./db";

/** How the inbox refuses a recipient: an SMTP reply code (4xx: try later, 5xx: never) and its text. */
export interface Refusal {
  responseCode: number;
  message: string;
}

export interface DevInboxOptions {
  /** The port to listen on; 0 picks a free one (see `DevInbox.port`). */
  port: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** Where messages go: the app's Prisma client, or any with the DevMail model. */
  db: Pick<Db, "devMail">;
  /** Wait this long before answering each message (a slow server). @defaultValue 0 */
  delayMs?: number;
  /** Refuses the recipients it returns a Refusal for, e.g. `() => ({ responseCode: 550, message: "5.1.1 no such user" })`. */
  rejectWith?: (recipient: string) => Refusal | undefined;
}

export interface DevInbox {
  readonly port: number;
  /** The EMAIL_URL that sends here, e.g. `smtp://127.0.0.1:2525`. */
  readonly url: string;
  /** Stops accepting connections and waits for open ones to end. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The port a development inbox should listen on for this EMAIL_URL, or undefined when it names another server. */
export function devInboxPort(emailUrl: string): number | undefined {
  const url = new URL(emailUrl);
  if (url.protocol !== "smtp:" || !LOOPBACK.has(url.hostname)) return undefined;
  return url.port ? Number(url.port) : 587;
}

const smtpError = ({ responseCode, message }: Refusal) => Object.assign(new Error(message), { responseCode });

export async function startDevInbox(options: DevInboxOptions): Promise<DevInbox> {
  const { db, delayMs = 0, rejectWith, host = "127.0.0.1" } = options;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true, // an EMAIL_URL with a user and password works here too
    disabledCommands: ["STARTTLS"],
    disableReverseLookup: true, // loopback only; a DNS lookup per connection would only slow it down
    logger: false,
    size: 25 * 1024 * 1024,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onRcptTo(address, _session, callback) {
      const refusal = rejectWith?.(address.address);
      callback(refusal ? smtpError(refusal) : undefined);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          await db.devMail.create({
            data: {
              messageId: mail.messageId ?? null,
              from: mail.from?.text ?? envelopeFrom,
              // The envelope, not the To header: it is who the mail was delivered to (Bcc included).
              to: session.envelope.rcptTo.map((r) => r.address).join(", "),
              subject: mail.subject ?? "",
              text: mail.text ?? null,
              html: mail.html || null,
            },
          });
        })
        .then(
          () => callback(),
          (error: Error) => callback(Object.assign(new Error(`could not store the message: ${error.message}`), { responseCode: 451 })),
        );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => undefined); // a client's broken connection must not crash the process
  const { port } = server.server.address() as { port: number };
  return {
    port,
    url: `smtp://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
