/**
 * What the fuzz suite fails on, judged per request (pure: the outcome and the request are all it reads):
 *
 *   transport          refused, reset before a complete answer, or no answer within the timeout
 *   5xx                any status from 500 up
 *   leak               a stack frame, an internal path (the project's directory, node_modules, .next/server…)
 *                      or a database error's text (Prisma's, SQLite's, PostgreSQL's) in a body
 *   not-json           a body that is not JSON (with a JSON content type) from an /api route; empty bodies,
 *                      redirects, HEAD answers, event streams, Prometheus' text format (/api/metrics) and 5xx
 *                      (already a finding) excepted
 *   cross-site-write   a POST/PUT/PATCH/DELETE answered 2xx although a browser could have sent it from another
 *                      site: a foreign Origin, Sec-Fetch-Site cross-site or same-site, or (a POST) no Origin at
 *                      all with a content type a form can send (text/plain, urlencoded, multipart)
 *   admin-open         /api/admin answered 2xx to a request without a valid staff session (none, an ordinary
 *                      user's, or a forged or expired cookie)
 *   bad-text-accepted  a body with NUL or a lone surrogate in one of the route's own text fields answered 2xx
 *                      (such text is refused with a 400 naming the field: PostgreSQL cannot store NUL, and
 *                      neither database a lone surrogate)
 *   405-without-allow  a 405 with no Allow header
 *
 * `reportFindings()` groups them for a reader: per rule, method, route and status, with the first requests as
 * curl commands.
 */
import { escapeRegExp as escape } from "@/test/regexp";
import type { Outcome, RawRequest } from "./client";
import type { FuzzCase } from "./corpus";

export type Rule = "transport" | "5xx" | "leak" | "not-json" | "cross-site-write" | "admin-open" | "bad-text-accepted" | "405-without-allow";

export interface Finding {
  rule: Rule;
  detail: string;
  fuzzCase: FuzzCase;
  /** "500 application/json {"error":"internal error"}", or the transport error. */
  answer: string;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** The corpus's tags for NUL or a lone surrogate put in a field of the route's valid body. */
const BAD_TEXT_TAG = /^body:(?:duplicate-key-)?(?:nul|lone-surrogate)@/;
/** NUL or a lone surrogate as JSON.stringify writes them into the text (a valid pair is written as is). */
const BAD_TEXT_ESCAPE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const FORM_TYPES = /^\s*(text\/plain|application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
/** Prometheus' exposition formats, which a metrics route answers instead of JSON. */
const METRICS_TYPES = /^\s*(text\/plain;\s*version=0\.0\.4|application\/openmetrics-text)\b/i;

/** What no answer may contain, each with the name the report gives it. */
export function leakPatterns(root: string): [string, RegExp][] {
  return [
    ["a stack frame", /\n\s*at \S[^\n]*:\d+:\d+|\bat (?:async )?[\w$.<>[\] ]+ \([^)\n]*:\d+:\d+\)/],
    ["the project's directory", new RegExp(escape(root))],
    ["an internal path", /\/work\/|node_modules\/|\.next\/server|webpack-internal:|turbopack:\/\/|\[project\]\/|file:\/\/\//],
    ["Prisma's error text", /Invalid `[\w.]+\(\)` invocation|PrismaClient\w*Error|prisma\.\w+\.\w+\(|QueryEngine|ConnectorError/],
    ["a database error", /SqliteError|SQLITE_[A-Z]+|violates (?:unique|foreign key|not-null|check) constraint|duplicate key value|invalid byte sequence for encoding|unsupported Unicode escape sequence|relation "\w+" does not exist/],
  ];
}

function header(request: RawRequest, name: string): string | undefined {
  return request.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** Whether a browser could have sent `request` from another site (see the module comment). */
export function looksCrossSite(request: RawRequest, ownOrigin: string): boolean {
  const origin = header(request, "origin");
  const site = header(request, "sec-fetch-site")?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") return true;
  if (origin !== undefined) return origin !== ownOrigin;
  if (site === "same-origin" || site === "none") return false;
  // Neither header: only a form can still be a browser's (a cross-site PUT/PATCH/DELETE is preflighted and carries Origin).
  return request.method === "POST" && FORM_TYPES.test(header(request, "content-type") ?? "");
}

function describeAnswer(outcome: Outcome): string {
  if (outcome.kind === "transport") return outcome.error;
  const type = outcome.headers.get("content-type")?.[0] ?? "(no content-type)";
  const text = outcome.body.toString("utf8");
  return `${outcome.status} ${type} ${text.length > 160 ? `${text.slice(0, 160)}… (${outcome.body.length} bytes)` : text}`.trim();
}

export interface JudgeContext {
  /** The project's absolute directory (a leak if an answer names it). */
  root: string;
  /** The server's own origin. */
  origin: string;
}

/** Everything wrong with how the server answered `fuzzCase`. */
export function judge(fuzzCase: FuzzCase, outcome: Outcome, context: JudgeContext): Finding[] {
  const findings: Finding[] = [];
  const answer = describeAnswer(outcome);
  const add = (rule: Rule, detail: string) => findings.push({ rule, detail, fuzzCase, answer });
  if (outcome.kind === "transport") {
    add("transport", outcome.error);
    return findings;
  }
  const { request } = fuzzCase;
  const method = request.method.toUpperCase();
  const text = outcome.body.toString("utf8");
  if (outcome.status >= 500) add("5xx", `status ${outcome.status}`);
  for (const [name, pattern] of leakPatterns(context.root)) {
    const match = pattern.exec(text);
    if (match) add("leak", `${name}: …${text.slice(Math.max(0, match.index - 40), match.index + 80)}…`);
  }
  const isRedirect = outcome.status >= 300 && outcome.status < 400;
  if (fuzzCase.onRoute && outcome.status < 500 && !outcome.stream && !isRedirect && method !== "HEAD" && outcome.body.length > 0) {
    const type = outcome.headers.get("content-type")?.[0] ?? "";
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    if ((!parses || !/^application\/(?:[\w.+-]*\+)?json\b/i.test(type)) && !METRICS_TYPES.test(type)) add("not-json", `a ${type || "typeless"} body${parses ? "" : " that does not parse as JSON"}`);
  }
  const accepted = outcome.status >= 200 && outcome.status < 300;
  // A forged Host or X-Forwarded-Host is not something a victim's browser sends: no CSRF to judge there.
  const hostForged = header(request, "host") !== undefined || header(request, "x-forwarded-host") !== undefined;
  if (accepted && MUTATING.has(request.method) && !hostForged && looksCrossSite(request, context.origin)) {
    add("cross-site-write", `a cross-site ${request.method} was accepted`);
  }
  if (accepted && fuzzCase.template.startsWith("/api/admin") && fuzzCase.session !== "staff" && method !== "OPTIONS") {
    add("admin-open", `answered ${outcome.status} to session "${fuzzCase.session}"`);
  }
  // Judged where the JSON text itself carries the escape (a form encoding turns a lone surrogate into U+FFFD).
  const badText = fuzzCase.tags.find((tag) => BAD_TEXT_TAG.test(tag));
  if (accepted && badText && BODY_METHODS.has(method) && BAD_TEXT_ESCAPE.test(request.body?.toString("latin1") ?? "")) {
    add("bad-text-accepted", `${badText.replace(/^body:/, "")} was accepted`);
  }
  if (outcome.status === 405 && !outcome.headers.has("allow")) add("405-without-allow", "405 without an Allow header");
  return findings;
}

// ── reporting ────────────────────────────────────────────────────────────────────────────────────────────────

const BODY_SHOWN = 240;

/** `value` as one shell word: '…' when it is printable ASCII, $'…' with escapes otherwise. */
function shellWord(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  const escaped = [...value]
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (c === "'" || c === "\\") return `\\${c}`;
      if (code >= 0x20 && code < 0x7f) return c;
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : [...Buffer.from(c)].map((b) => `\\x${b.toString(16)}`).join("");
    })
    .join("");
  return `$'${escaped}'`;
}

function shortened(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…(${value.length} chars)` : value;
}

/** The request as a curl command line (a long body or header value is cut, with its length). */
export function curlCommand(request: RawRequest, origin: string): string {
  const parts = ["curl -sS -i --max-time 20 --path-as-is", "-X", shellWord(request.method), shellWord(shortened(`${origin}${request.path}`, 300))];
  for (const [name, value] of request.headers) parts.push("-H", shellWord(`${name}: ${shortened(value, 200)}`));
  if (request.noHost) parts.push("-H", "'Host:'");
  if (request.chunked) parts.push("-H", "'transfer-encoding: chunked'");
  if (!request.headers.some(([name]) => name.toLowerCase() === "content-type") && request.body?.length) parts.push("-H", "'content-type:'");
  if (request.body?.length) {
    const text = request.body.toString("latin1");
    parts.push("--data-binary", shellWord(text.length > BODY_SHOWN ? text.slice(0, BODY_SHOWN) : text));
    if (text.length > BODY_SHOWN) parts.push(`# body cut: ${request.body.length} bytes in all`);
  }
  return parts.join(" ");
}

/** What tells one failure apart from another for grouping: the rule, the route, and how it answered. */
function groupKey(finding: Finding): string {
  const [status, type] = finding.answer.split(" ");
  // A refusal's or a failure's text says what went wrong; an acceptance's is its data (ids), not a kind.
  const answer = /^[23]\d\d$/.test(status) ? `${status} ${type}` : finding.answer.slice(0, 70);
  return `[${finding.rule}] ${finding.fuzzCase.template} → ${answer}`;
}

function counted(values: string[], max: number): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([value, n]) => `${value} ×${n}`)
    .join(", ");
}

/**
 * Findings grouped by rule, route and answer, one paragraph each: how many, by which methods, the tags they
 * share most, and up to `examples` requests as curl commands (chosen to differ in method and first tag).
 */
export function reportFindings(findings: Finding[], origin: string, examples = 3): string {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) groups.set(groupKey(finding), [...(groups.get(groupKey(finding)) ?? []), finding]);
  return [...groups.entries()]
    .map(([key, group]) => {
      const methods = counted(group.map((f) => f.fuzzCase.request.method), 8);
      const tags = counted(group.flatMap((f) => (f.fuzzCase.tags.length ? f.fuzzCase.tags : ["(an otherwise valid request)"])), 6);
      const shown: Finding[] = [];
      const seen = new Set<string>();
      for (const f of group) {
        const kind = `${f.fuzzCase.request.method} ${f.fuzzCase.tags[0]}`;
        if (shown.length < examples && !seen.has(kind)) shown.push(f);
        seen.add(kind);
      }
      const lines = shown.map((f) => `    ${f.detail} [${f.fuzzCase.tags.join(" ")}]\n      ${curlCommand(f.fuzzCase.request, origin)}`);
      return `${key}\n  ${group.length} request(s); methods: ${methods}; tags: ${tags}\n${lines.join("\n")}`;
    })
    .join("\n\n");
}
