/**
 * What a failed send means, decided from the error's code and the SMTP reply code (never its message text):
 *
 *   transient   the server could not be reached or asked us to come back later: connection refused or
 *               reset, DNS failure, a timeout (nodemailer's ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, and the
 *               socket errnos behind them), or an SMTP 4xx reply ("421 try again later", "451 greylisted").
 *               Sending again later may work: tasks retry.
 *   permanent   the server refused the message: an SMTP 5xx reply ("550 5.1.1 no such user", "535 bad
 *               credentials"), or anything else we cannot explain. Sending the same mail again will fail the
 *               same way: tasks fail at once and keep the server's reply as the error message (with any
 *               email address in it replaced by "<address>").
 *
 * The errors a Mailer throws (transport.ts), in celeriac's error tree (../errors.ts):
 *
 *   CeleriacError
 *   └─ MailError                 a mail was not sent, for a permanent reason other than a 5xx reply (an
 *      │                         invalid address, no recipients); `transient` says whether a retry may work
 *      ├─ MailTransientError     the server was unreachable or replied 4xx
 *      └─ MailRejectedError      the server replied 5xx: `responseCode`, and its reply as the message
 */
import { CeleriacError } from "../errors.js";

export type MailFailure = "transient" | "permanent";

/** nodemailer's own codes for failures of the connection, not of the message. */
const TRANSIENT_CODES = new Set([
  "ECONNECTION",
  "ETIMEDOUT",
  "ESOCKET",
  "EDNS",
  // errnos of the socket underneath (nodemailer keeps some of them as `code`)
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** The fields nodemailer puts on the errors it raises (see nodemailer's smtp-connection `_formatError`). */
interface SmtpErrorFields {
  code?: unknown;
  errno?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
}

const fields = (error: unknown): SmtpErrorFields => (typeof error === "object" && error !== null ? (error as SmtpErrorFields) : {});

/** Transient or permanent (see the header). */
export function classifyMailError(error: unknown): MailFailure {
  const { code, errno, responseCode } = fields(error);
  if (typeof responseCode === "number") {
    if (responseCode >= 400 && responseCode < 500) return "transient";
    if (responseCode >= 500 && responseCode < 600) return "permanent";
  }
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return "transient";
  if (typeof errno === "string" && TRANSIENT_CODES.has(errno)) return "transient";
  return "permanent";
}

/** The server's reply line(s), e.g. "550 5.1.1 no such user", when the error carries one. */
export function smtpReply(error: unknown): string | undefined {
  const { response } = fields(error);
  return typeof response === "string" && response.trim() !== "" ? response.trim() : undefined;
}

export class MailError extends CeleriacError {
  /** True when sending again later may work (see classifyMailError). */
  readonly transient: boolean = false;
  /** The SMTP reply code, when the server answered (421, 550…). */
  readonly responseCode: number | undefined;
  constructor(message: string, options: ErrorOptions & { responseCode?: number } = {}) {
    super(message, options);
    this.responseCode = options.responseCode;
  }
}

export class MailTransientError extends MailError {
  override readonly transient = true;
}

export class MailRejectedError extends MailError {}

/** An email address in a reply, with its angle brackets when it has them: "<bob@example.com>", "bob@example.com". */
const ADDRESS = /<?[^\s<>@"(),:;]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>?/g;

/**
 * The text with every email address replaced by "<address>": "550 5.1.1 <bob@example.com>: Recipient address
 * rejected" becomes "550 5.1.1 <address>: Recipient address rejected". A mail error's message is stored in
 * the task's result row, logged and shown by the API: it keeps the server's words, not the recipient.
 */
export function withoutAddresses(text: string): string {
  return text.replace(ADDRESS, "<address>");
}

/**
 * A nodemailer error as a MailError: the server's reply as the message when there is one (that is what a
 * person needs to read), else the error's own message, either without the addresses in it; the original
 * error as `cause`.
 */
export function toMailError(error: unknown): MailError {
  if (error instanceof MailError) return error;
  const reply = smtpReply(error);
  const { responseCode } = fields(error);
  const message = withoutAddresses(reply ?? (error instanceof Error ? error.message : String(error)));
  const options = { cause: error, responseCode: typeof responseCode === "number" ? responseCode : undefined };
  if (classifyMailError(error) === "transient") return new MailTransientError(message, options);
  return options.responseCode !== undefined && options.responseCode >= 500 ? new MailRejectedError(message, options) : new MailError(message, options);
}
