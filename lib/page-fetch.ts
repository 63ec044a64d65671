/**
 * GET a web page for the page demo (tasks/pages.ts fetchPage), within limits, through the SSRF guard
 * (lib/ssrf-guard.ts) at every hop: the URL checked before each request, the host's addresses checked
 * when the socket resolves it and connected to as checked, each redirect's target checked again.
 *
 *   at most PAGE_LIMITS.maxBytes of body (decompressed), PAGE_LIMITS.timeoutMs for the whole fetch
 *   (redirects included), PAGE_LIMITS.maxRedirects redirects; text/*, XHTML or XML only
 *
 * Failures are of two kinds, by what trying again could change:
 *
 *   PageNetworkError    the server did not answer: connection refused or reset, unreachable, a temporary
 *                       DNS failure, the time limit. The task retries these (autoretryFor).
 *   PageFetchError      the answer is final: a non-2xx status ("GET <url> answered 404"), a host that does
 *                       not exist, a TLS failure, too large, not a page, too many redirects.
 *   BlockedAddressError the guard refused the URL or an address (lib/ssrf-guard.ts): final too.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { BlockedAddressError, guardedLookup, urlProblem } from "@/lib/ssrf-guard";

export const PAGE_LIMITS = { maxBytes: 2 * 1024 * 1024, timeoutMs: 10_000, maxRedirects: 5 } as const;
export type PageLimits = { maxBytes: number; timeoutMs: number; maxRedirects: number };

/** What fetchPage gives parsePage: JSON, as a task result must be. */
export interface FetchedPage {
  /** The URL asked for. */
  url: string;
  /** The URL that answered, after redirects: relative links resolve against it. */
  finalUrl: string;
  status: number;
  contentType: string | null;
  /** The body as text, decoded by the charset the answer names (UTF-8 when none or unknown). */
  text: string;
}

/** The server did not answer (worth another try later). */
export class PageNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PageNetworkError";
  }
}

/** The server's answer, or the lack of a server, is final. */
export class PageFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PageFetchError";
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
const PAGE_TYPES = /^(text\/[\w.+-]+|application\/(xhtml\+)?xml)$/i;

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/** The error a failed request or body read stands for, named by what went wrong. */
function failureOf(url: URL, error: unknown, timedOut: boolean, timeoutMs: number): Error {
  if (timedOut) return new PageNetworkError(`GET ${url.href} did not answer within ${timeoutMs / 1000} s`);
  if (error instanceof BlockedAddressError) return new BlockedAddressError(`GET ${url.href} refused: ${error.message}`);
  if (error instanceof PageFetchError || error instanceof PageNetworkError) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === "ENOTFOUND") return new PageFetchError(`GET ${url.href}: the host ${url.hostname} was not found (DNS)`);
  if (code === "ECONNREFUSED") return new PageNetworkError(`GET ${url.href} did not answer: connection refused`);
  if (code && RETRYABLE_CODES.has(code)) return new PageNetworkError(`GET ${url.href} did not answer: ${code}`);
  if (code && /CERT|TLS|SSL/.test(code)) return new PageFetchError(`GET ${url.href}: TLS failed (${code}: ${message})`);
  return new PageFetchError(`GET ${url.href} failed: ${message}`);
}

function request(url: URL, signal: AbortSignal, allowPrivate: boolean): Promise<IncomingMessage> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      signal,
      lookup: guardedLookup({ allowPrivate }),
      // A socket of its own: a pooled one might have been connected by a request that was not guarded.
      agent: false,
      headers: {
        accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
        "accept-encoding": "gzip, deflate, br",
        "user-agent": "celeriac-demo-page-fetcher",
      },
    });
    req.once("response", resolve);
    req.on("error", reject); // also after the answer (an abort mid-body): a settled promise ignores it
  });
}

function decoded(response: IncomingMessage): Readable {
  switch (response.headers["content-encoding"]?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return response.pipe(createGunzip());
    case "deflate":
      return response.pipe(createInflate());
    case "br":
      return response.pipe(createBrotliDecompress());
    default:
      return response;
  }
}

function charsetOf(contentType: string | null): TextDecoder {
  const label = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1];
  try {
    return new TextDecoder(label ?? "utf-8");
  } catch {
    return new TextDecoder("utf-8");
  }
}

/** The body as text, refused once it passes maxBytes (counted after decompression: a zip bomb stops there too). */
async function readText(url: URL, response: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(response.headers["content-length"]);
  const tooLarge = () => new PageFetchError(`GET ${url.href}: the page is larger than ${mb(maxBytes)}`);
  if (declared > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const body = decoded(response);
  response.on("error", (error) => body.destroy(error)); // a reset mid-body reaches the decompressor's reader
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.destroy();
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return charsetOf(response.headers["content-type"] ?? null).decode(Buffer.concat(chunks));
}

/**
 * GETs `url` and returns its page, following up to limits.maxRedirects redirects. `signal` is the task's
 * (ctx.signal): its abort ends the fetch with its own reason. Throws the errors described above.
 */
export async function fetchPageText(
  url: string,
  { signal, allowPrivate = false, limits = PAGE_LIMITS }: { signal?: AbortSignal; allowPrivate?: boolean; limits?: PageLimits } = {},
): Promise<FetchedPage> {
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let current = new URL(url);
  for (let redirects = 0; ; redirects++) {
    const problem = urlProblem(current, { allowPrivate });
    if (problem) throw new BlockedAddressError(`GET ${redirects ? `${url} redirected to ${current.href}, ` : `${current.href} `}refused: ${problem}`);
    let response: IncomingMessage;
    try {
      response = await request(current, abort, allowPrivate);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location) {
        response.destroy();
        if (redirects === limits.maxRedirects) throw new PageFetchError(`GET ${url}: more than ${limits.maxRedirects} redirects`);
        current = redirectTarget(current, location);
        continue;
      }
      if (status < 200 || status > 299) {
        response.destroy();
        throw new PageFetchError(`GET ${current.href} answered ${status}`);
      }
      const contentType = response.headers["content-type"] ?? null;
      const mediaType = contentType?.split(";")[0]!.trim();
      if (mediaType && !PAGE_TYPES.test(mediaType)) {
        response.destroy();
        throw new PageFetchError(`GET ${current.href} answered ${mediaType}, not a web page`);
      }
      const text = await readText(current, response, limits.maxBytes);
      return { url, finalUrl: current.href, status, contentType, text };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw failureOf(current, error, deadline.aborted, limits.timeoutMs);
    }
  }
}

function redirectTarget(from: URL, location: string): URL {
  try {
    return new URL(location, from);
  } catch {
    throw new PageFetchError(`GET ${from.href} redirected to ${JSON.stringify(location)}, which is not a URL`);
  }
}
