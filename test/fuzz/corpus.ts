/**
 * The fuzz suite's malformed requests, as fast-check arbitraries over one discovered route. A request is
 * built from independent parts, each tagged with what it did ("body:nul@title", "content-type:text/plain",
 * "origin:cross-site"), so a failure report says which part broke the server:
 *
 *   method        mostly the route's own methods; also TRACE, PROPFIND, OPTIONS, HEAD, lower-case, absent ones
 *   path          dynamic segments filled with ids that exist, or with bad percent-encoding (%ZZ, %, %C0%AF),
 *                 traversal (..%2f.., %2e%2e), NUL, very long values; odd queries, extra or traversing segments
 *   session       none, an ordinary user's, a staff user's, and forged ones (leading-zero id, wrong key, expired)
 *   origin        none (a script), same-origin browser, cross-site Origin / Sec-Fetch-Site, Origin: null
 *   content type  application/json and its variants, text/plain, form, multipart, none, duplicated
 *   body          the route's valid body, or it with one field replaced (NUL, lone surrogates, 1–5 MB strings,
 *                 wrong types, huge/negative/fractional numbers, NaN, deep nesting), fields missing, extra
 *                 fields (__proto__…), duplicate keys; or invalid JSON, a top-level non-object, nothing
 *   odd headers   duplicate cookies, a foreign Host or X-Forwarded-Host, 6 KB and latin1 values, Next's
 *                 internal headers (x-middleware-subrequest, next-action, rsc), chunked transfer…
 *
 * `mustCases()` lists, besides, the named attacks every route gets at least once, whatever the seed, and
 * `pageCases()` the named attacks on pages (Next's own request headers, which it reads while rendering one).
 */
import fc from "fast-check";
import { computeCacheBustingSearchParam } from "next/dist/shared/lib/router/utils/cache-busting-search-param";
import { encodeHead, type RawRequest } from "./client";
import { isObject, leafAt, leafPaths, RawJson, toJsonText, withLeaf, type BodyObject, type BodyValue } from "./json-text";
import type { ApiRoute, Segment } from "../api-route-files";

/** Who the request claims to be: a real session, or a cookie that must count as none. */
export const SESSION_KINDS = ["none", "user", "staff", "staff-leading-zero", "staff-wrong-key", "staff-expired", "garbage"] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export interface CorpusContext {
  /** The server's own origin, for same-origin requests: "http://127.0.0.1:41234". */
  origin: string;
  /** The `celeriac_session=…` cookie of each session kind (undefined: none). */
  cookies: Record<SessionKind, string | undefined>;
  /** Values of dynamic segments that name existing rows or tasks ("1", a task id…). */
  knownIds: string[];
  /** The bearer token /api/metrics answers (METRICS_TOKEN): sent to every route, it must open no other. */
  bearer: string;
  /** A valid body per method of this route (learned from the route, or a seed), if it takes one. */
  bodies: Partial<Record<string, BodyObject>>;
}

export interface FuzzCase {
  request: RawRequest;
  /** The discovered route the request was made for. */
  template: string;
  session: SessionKind;
  /** The path is the route's template with only segment values varied: the answer is the route's own. */
  onRoute: boolean;
  /** What each part of the request did, for the report. */
  tags: string[];
}

interface Part<T = string> {
  value: T;
  tags: string[];
}

const part = <T>(value: T, ...tags: string[]): Part<T> => ({ value, tags });
const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

// ── path ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** The attacks on a dynamic segment that every route gets (mustCases), and the random corpus draws from. */
export const NAMED_SEGMENT_ATTACKS: [string, string][] = [
  ["bad-percent", "%ZZ"],
  ["lone-percent", "%"],
  ["overlong-utf8", "%C0%AF"],
  ["encoded-traversal", "..%2f.."],
  ["encoded-dots", "%2e%2e"],
  ["long", "1".repeat(4000)],
];

const MORE_SEGMENT_ATTACKS: [string, string][] = [
  ["deep-traversal", "..%2F..%2F..%2F..%2Fetc%2Fpasswd"],
  ["backslash-traversal", "..%5c..%5cwindows"],
  ["nul", "%00"],
  ["nul-suffix", "1%00"],
  ["invalid-utf8", "%FF%FE"],
  ["encoded-slash", "1%2F2"],
  ["truncated-percent", "1%2"],
  ["double-encoded", "%252e%252e"],
  ["number-like", "-1"],
  ["number-like", "0"],
  ["number-like", "1.5"],
  ["number-like", "1e3"],
  ["number-like", "99999999999999999999999"],
  ["number-like", "0x10"],
  ["number-like", "%201"],
  ["too-long", "1".repeat(20_000)],
];

/**
 * Segment attacks after which the path no longer names the route: the URL standard reads `%2e%2e` as "..",
 * so Next answers for the parent path (a redirect, or its own 404 page).
 */
const LEAVES_ROUTE = new Set(["segment:encoded-dots"]);

function segmentValue(knownIds: string[]): fc.Arbitrary<Part> {
  return fc.oneof(
    weighted(6, fc.constantFrom(...knownIds).map((id) => part(id))),
    weighted(3, fc.constantFrom(...NAMED_SEGMENT_ATTACKS, ...MORE_SEGMENT_ATTACKS).map(([tag, text]) => part(text, `segment:${tag}`))),
    weighted(1, fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).map((s) => part(encodeURIComponent(/^\.+$/.test(s) ? `x${s}` : s), "segment:unicode"))),
    weighted(1, fc.integer({ min: 2_000, max: 12_000 }).map((n) => part("9".repeat(n), "segment:long"))),
  );
}

function segmentsPart(segment: Segment, knownIds: string[]): fc.Arbitrary<Part> {
  if (segment.kind === "static") return fc.constant(part(segment.value));
  if (segment.kind === "dynamic") return segmentValue(knownIds);
  return fc
    .array(segmentValue(knownIds), { minLength: segment.optional ? 0 : 1, maxLength: 3 })
    .map((parts) => part(parts.map((p) => p.value).join("/"), ...parts.flatMap((p) => p.tags)));
}

interface PathPart {
  path: string;
  onRoute: boolean;
  tags: string[];
}

interface PathEdit {
  edit: (path: string) => string;
  /** Whether the edited path still names the route (else Next's own 404 page may answer). */
  onRoute: boolean;
  tags: string[];
}

const PATH_EDITS: fc.Arbitrary<PathEdit> = fc.oneof(
  weighted(40, fc.constant<PathEdit>({ edit: (p) => p, onRoute: true, tags: [] })),
  ...(
    [
      ["query:bad-percent", (p: string) => `${p}?x=%ZZ&%=1`, true],
      ["query:prototype", (p: string) => `${p}?__proto__[isStaff]=1&constructor[prototype][isStaff]=1`, true],
      ["query:long", (p: string) => `${p}?${"q=1&".repeat(1500)}`, true],
      ["path:trailing-slash", (p: string) => `${p}/`, true],
      ["path:double-slash", (p: string) => `/${p}`, true],
      ["path:extra-bad-segment", (p: string) => `${p}/%ZZ`, false],
      ["path:literal-traversal", (p: string) => `${p}/../../../etc/passwd`, false],
      ["path:matrix-param", (p: string) => `${p};jsessionid=1`, false],
      ["path:encoded-nul-suffix", (p: string) => `${p}%00`, false],
    ] as [string, (p: string) => string, boolean][]
  ).map(([tag, edit, onRoute]) => weighted(1, fc.constant<PathEdit>({ edit, onRoute, tags: [tag] }))),
);

function pathPart(route: ApiRoute, knownIds: string[]): fc.Arbitrary<PathPart> {
  return fc.tuple(fc.tuple(...route.segments.map((s) => segmentsPart(s, knownIds))), PATH_EDITS).map(([parts, edit]) => ({
    path: edit.edit(`/${parts.map((p) => p.value).filter((v) => v !== "").join("/")}`),
    onRoute: edit.onRoute && !parts.some((p) => p.tags.some((t) => LEAVES_ROUTE.has(t))),
    tags: [...parts.flatMap((p) => p.tags), ...edit.tags],
  }));
}

/** The route's path with each dynamic segment set to `fill` (or the first known id). */
export function pathOf(route: ApiRoute, fill: (segment: Segment) => string): string {
  return `/${route.segments.map((s) => (s.kind === "static" ? s.value : fill(s))).join("/")}`;
}

// ── method, session, origin ──────────────────────────────────────────────────────────────────────────────────

export const UNUSUAL_METHODS = ["TRACE", "OPTIONS", "PROPFIND", "HEAD", "MKCOL", "PURGE", "SEARCH", "FOO", "get", "post", "Patch"];

/**
 * Methods Node's HTTP parser refuses at the request line (it knows upper-case names only, and not FOO): it
 * answers 400 and closes, so a body still being sent resets the connection before the 400 is read. Such a
 * request is sent without a body: its method is the test.
 */
const PARSER_REFUSED = (method: string) => method !== method.toUpperCase() || method === "FOO";

/**
 * Heads Node's HTTP server refuses before Next or the app run, answering and closing the socket at once:
 * one over its limit (the request line and headers: --max-http-header-size, 16 KiB) is a 431; an HTTP/1.1
 * request without a Host header (requireHostHeader), or with a control character other than a tab in a
 * header value (NUL, DEL: its parser's rule), a 400. With a large body still being sent, the client can see
 * the reset (ECONNRESET, EPIPE) before it reads that answer: a 20,000-character path with a 2 MB body was
 * reset 34 times in 40 here, with 1 MB or less never; no Host with a 1.8 MB body 12 times in 240, with 64 KiB
 * never. So such a head goes with a small body: each attack keeps its own dimension (very long paths and
 * headers, no Host, control characters, with small bodies; large bodies with normal heads), and a reset
 * connection stays a failure for everything else.
 */
const NODE_HEAD_LIMIT_BYTES = 16 * 1024;
/** "Near": a head this close to the limit counts as over it (the parser's own count may differ by a little). */
const HEAD_LIMIT_MARGIN_BYTES = 1024;
/** A body that always fits in the socket buffers before the server closes (far under the 1 MB that did). */
export const SMALL_BODY_BYTES = 64 * 1024;

/** The bytes Node's parser refuses in a header value: the control characters but the tab. */
const REFUSED_IN_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Whether Node refuses `request`'s head as it is (431, or 400), without reading the body. */
export function nodeRefusesHead(request: RawRequest, host: string): boolean {
  if (request.noHost || request.headers.some(([, value]) => REFUSED_IN_HEADER_VALUE.test(value))) return true;
  return encodeHead(request, host).length > NODE_HEAD_LIMIT_BYTES - HEAD_LIMIT_MARGIN_BYTES;
}

const STANDARD_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function methodPart(route: ApiRoute): fc.Arbitrary<Part> {
  const absent = STANDARD_METHODS.filter((m) => !(route.methods as string[]).includes(m));
  return fc.oneof(
    weighted(12, fc.constantFrom(...route.methods).map((m) => part<string>(m))),
    weighted(2, fc.constantFrom(...UNUSUAL_METHODS, ...absent).map((m) => part(m, `method:${m}`))),
  );
}

const sessionPart: fc.Arbitrary<SessionKind> = fc.oneof(
  weighted(5, fc.constant("staff" as const)),
  weighted(2, fc.constant("user" as const)),
  weighted(2, fc.constant("none" as const)),
  weighted(1, fc.constantFrom("staff-leading-zero" as const, "staff-wrong-key" as const, "staff-expired" as const, "garbage" as const)),
);

export const EVIL_ORIGIN = "http://evil.example";

/** Mostly a request the CSRF rule lets through (a script's, or a same-origin page's), so the rest gets tested. */
function originPart(origin: string): fc.Arbitrary<Part<[string, string][]>> {
  const attacks = (
    [

        ["origin:cross-site", [["origin", EVIL_ORIGIN], ["sec-fetch-site", "cross-site"]]],
        ["origin:evil-origin-only", [["origin", EVIL_ORIGIN]]],
        ["origin:cross-site-fetch-only", [["sec-fetch-site", "cross-site"]]],
        ["origin:same-site", [["origin", "http://sub.127.0.0.1.nip.example"], ["sec-fetch-site", "same-site"]]],
        ["origin:null", [["origin", "null"]]],
        ["origin:malformed", [["origin", "http://"]]],
        ["origin:own-origin-but-cross-site", [["origin", origin], ["sec-fetch-site", "cross-site"]]],
        ["origin:evil-referer-only", [["referer", `${EVIL_ORIGIN}/attack.html`]]],
        ["origin:evil-with-port", [["origin", `${origin.replace("127.0.0.1", "127.0.0.1.evil.example")}`]]],
    ] as [string, [string, string][]][]
  ).map(([tag, headers]) => part(headers, tag));
  return fc.oneof(
    weighted(4, fc.constant(part<[string, string][]>([]))),
    weighted(4, fc.constant(part<[string, string][]>([["origin", origin], ["sec-fetch-site", "same-origin"]]))),
    weighted(2, fc.constantFrom(...attacks)),
  );
}

// ── odd headers ──────────────────────────────────────────────────────────────────────────────────────────────

interface OddHeader {
  tag: string;
  headers: [string, string][];
  chunked?: boolean;
  noHost?: boolean;
}

function oddHeaders({ cookies, bearer }: CorpusContext): OddHeader[] {
  return [
    { tag: "header:metrics-bearer", headers: [["authorization", `Bearer ${bearer}`]] },
    { tag: "header:wrong-bearer", headers: [["authorization", `Bearer ${bearer.slice(0, -1)}x`], ["authorization", "Basic Zm9vOmJhcg=="]] },
    // No valid session in them, so the request's own session stays the only one (the admin-open rule reads it).
    { tag: "header:duplicate-cookie", headers: [["cookie", `${cookies.garbage}`], ["cookie", `${cookies["staff-leading-zero"]}`]] },
    { tag: "header:foreign-host", headers: [["host", "evil.example"]] },
    { tag: "header:x-forwarded-host", headers: [["x-forwarded-host", "evil.example"], ["x-forwarded-proto", "gopher"]] },
    { tag: "header:x-forwarded-for", headers: [["x-forwarded-for", "1.2.3.4, ::1, not-an-ip"]] },
    { tag: "header:no-host", headers: [], noHost: true },
    { tag: "header:long-value", headers: [["x-long", "v".repeat(6_000)]] },
    { tag: "header:latin1-value", headers: [["x-odd", "caf\xe9 \xff\xfe"]] },
    { tag: "header:accept-event-stream", headers: [["accept", "text/event-stream"]] },
    { tag: "header:last-event-id", headers: [["last-event-id", "SUCCESS\x00garbage"]] },
    { tag: "header:accept-encoding", headers: [["accept-encoding", "gzip, deflate, br"]] },
    { tag: "header:content-encoding-lie", headers: [["content-encoding", "gzip"]] },
    { tag: "header:range", headers: [["range", "bytes=0-0,-1"]] },
    { tag: "header:method-override", headers: [["x-http-method-override", "DELETE"], ["x-method-override", "PUT"]] },
    { tag: "header:middleware-subrequest", headers: [["x-middleware-subrequest", "proxy:proxy:proxy:proxy:proxy"]] },
    { tag: "header:next-action", headers: [["next-action", "0000000000000000000000000000000000000000"]] },
    { tag: "header:rsc", headers: [["rsc", "1"], ["next-router-state-tree", "%ZZ[garbage"]] },
    { tag: "header:next-url", headers: [["next-url", "/../../etc/passwd"], ["x-nextjs-data", "1"]] },
    { tag: "header:if-none-match", headers: [["if-none-match", "*"], ["if-modified-since", "not a date"]] },
    { tag: "header:expect-continue", headers: [["expect", "100-continue"]] },
    { tag: "header:chunked", headers: [], chunked: true },
    { tag: "header:many", headers: Array.from({ length: 80 }, (_, i) => [`x-h${i}`, String(i)] as [string, string]) },
  ];
}

// ── content type and body ────────────────────────────────────────────────────────────────────────────────────

type Encoder = (value: BodyValue | undefined, text: string | undefined) => Buffer | undefined;

const asJson: Encoder = (value, text) => (text !== undefined ? Buffer.from(text) : value === undefined ? undefined : Buffer.from(toJsonText(value)));

const leafText = (v: BodyValue) => (typeof v === "string" ? v : toJsonText(v));

const asForm: Encoder = (value, text) => {
  if (!isObject(value)) return asJson(value, text);
  const form = new URLSearchParams();
  for (const path of leafPaths(value as BodyObject)) form.append(path.join("."), leafText(leafAt(value, path)!));
  return Buffer.from(form.toString());
};

const BOUNDARY = "----fuzzboundary7MA4YWxkTrZu0gW";
const asMultipart: Encoder = (value, text) => {
  if (!isObject(value)) return asJson(value, text);
  const fields = leafPaths(value as BodyObject).map(
    (path) => `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${path.join(".")}"\r\n\r\n${leafText(leafAt(value, path)!)}\r\n`,
  );
  return Buffer.from(`${fields.join("")}--${BOUNDARY}--\r\n`);
};

interface ContentType {
  tag?: string;
  headers: [string, string][];
  encode: Encoder;
}

const CONTENT_TYPES: [number, ContentType][] = [
  [14, { headers: [["content-type", "application/json"]], encode: asJson }],
  [1, { tag: "content-type:json-charset", headers: [["content-type", "application/json; charset=utf-8"]], encode: asJson }],
  [1, { tag: "content-type:json-upper-case", headers: [["content-type", "APPLICATION/JSON"]], encode: asJson }],
  [1, { tag: "content-type:json-latin1", headers: [["content-type", "application/json; charset=latin1"]], encode: asJson }],
  [2, { tag: "content-type:text/plain", headers: [["content-type", "text/plain"]], encode: asJson }],
  [1, { tag: "content-type:text/plain-charset", headers: [["content-type", "text/plain;charset=UTF-8"]], encode: asJson }],
  [1, { tag: "content-type:form", headers: [["content-type", "application/x-www-form-urlencoded"]], encode: asForm }],
  [1, { tag: "content-type:form-with-json", headers: [["content-type", "application/x-www-form-urlencoded"]], encode: asJson }],
  [1, { tag: "content-type:multipart", headers: [["content-type", `multipart/form-data; boundary=${BOUNDARY}`]], encode: asMultipart }],
  [1, { tag: "content-type:multipart-no-boundary", headers: [["content-type", "multipart/form-data"]], encode: asJson }],
  [2, { tag: "content-type:none", headers: [], encode: asJson }],
  [1, { tag: "content-type:xml", headers: [["content-type", "application/xml"]], encode: asJson }],
  [1, { tag: "content-type:garbage", headers: [["content-type", ";;;=\x7f"]], encode: asJson }],
  [1, { tag: "content-type:duplicate", headers: [["content-type", "text/plain"], ["content-type", "application/json"]], encode: asJson }],
];

/** application/json mostly (anything else is refused before the body is read, so the body goes untested). */
const contentTypePart: fc.Arbitrary<ContentType> = fc.oneof(
  weighted(3, fc.constant(CONTENT_TYPES[0][1])),
  weighted(1, fc.oneof(...CONTENT_TYPES.map(([weight, ct]) => weighted(weight, fc.constant(ct))))),
);

/** A body: a value to encode, or a ready text (invalid JSON), or nothing. */
interface Body {
  value?: BodyValue;
  text?: string;
  tags: string[];
}

const MB = 1024 * 1024;

/** Field values no route should take, each named; all small (see hostileValue for 1–5 MB strings). */
const smallHostileValue: fc.Arbitrary<Part<BodyValue>> = fc.oneof(
  weighted(4, fc.string({ maxLength: 12 }).map((s) => part<BodyValue>(`${s}\u0000${s}`, "nul"))),
  weighted(4, fc.constantFrom("\ud800", "\udfff", "x\ud800", "\udc00\ud800", "a\ud83d").map((s) => part<BodyValue>(`${s}x`, "lone-surrogate"))),
  weighted(2, fc.string({ unit: "binary", maxLength: 60 }).map((s) => part<BodyValue>(s, "unicode-string"))),
  weighted(1, fc.string({ unit: "binary-ascii", maxLength: 60 }).map((s) => part<BodyValue>(s, "control-chars"))),
  weighted(1, fc.constantFrom("", " ", "\t\n", "\u200b", "\ufeff").map((s) => part<BodyValue>(s, "blank-string"))),
  weighted(3, fc.constantFrom("1e400", "-1e400", "1e-400", "-0", "9007199254740993", "123456789012345678901234567890", "-2147483649", "4.9e-324", "1.7976931348623157e308").map((t) => part<BodyValue>(new RawJson(t), "huge-number"))),
  weighted(2, fc.constantFrom("NaN", "Infinity", "-Infinity", "0x10", "01", "1.", ".5", "+1", "1e", "-").map((t) => part<BodyValue>(new RawJson(t), "nan-like"))),
  weighted(2, fc.oneof(fc.integer({ min: -(2 ** 31), max: -1 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-1), fc.constant(0), fc.constant(0.5)).map((n) => part<BodyValue>(n, "odd-number"))),
  weighted(3, fc.constantFrom<BodyValue>(null, true, false, [], {}, [1, 2], { a: 1 }, "1", 1, [[["x"]]], ["a", null]).map((v) => part(v, "wrong-type"))),
  weighted(1, fc.integer({ min: 1_000, max: 100_000 }).map((n) => part<BodyValue>(new RawJson(`${"[".repeat(n)}${"]".repeat(n)}`), "deep-array"))),
  weighted(1, fc.integer({ min: 1_000, max: 50_000 }).map((n) => part<BodyValue>(new RawJson(`${'{"a":'.repeat(n)}1${"}".repeat(n)}`), "deep-object"))),
  weighted(2, fc.jsonValue({ maxDepth: 3 }).map((v) => part<BodyValue>(v as BodyValue, "random-json"))),
);

/** A string of 1 to 5 MB in its JSON text (x, é, or NUL written as \u0000). */
const hugeString: fc.Arbitrary<Part<BodyValue>> = fc
  .tuple(fc.integer({ min: MB, max: 5 * MB }), fc.constantFrom("x", "é", "\u0000"))
  .map(([bytes, c]) => part<BodyValue>(c.repeat(Math.floor(bytes / Buffer.byteLength(JSON.stringify(c).slice(1, -1)))), "huge-string"));

const hostileValue: fc.Arbitrary<Part<BodyValue>> = fc.oneof(weighted(14, smallHostileValue), weighted(1, hugeString));

/** The field values every field of every valid body gets (mustCases). */
export const FIELD_ATTACKS: Part<BodyValue>[] = [
  part("a\u0000b", "nul"),
  part("\ud800x", "lone-surrogate"),
  // In a key: PostgreSQL's jsonb refuses these in keys as in values (task arguments in the periodic-task admin).
  part({ "a\u0000": 1 }, "nul-key"),
  part({ "\ud800": 1 }, "lone-surrogate-key"),
  part("x".repeat(MB), "huge-string"),
  part(new RawJson("1e400"), "huge-number"),
  part(-1.5, "odd-number"),
  part(["x"], "wrong-type"),
  part(new RawJson(`${"[".repeat(10_000)}${"]".repeat(10_000)}`), "deep-array"),
];

/** Plausible variants of a valid body: fresh values where a route needs them to be new (email, name). */
function validVariant(base: BodyObject): fc.Arbitrary<BodyObject> {
  return fc.tuple(fc.nat({ max: 1_000_000 }), fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), maxLength: 8 })).map(([n, suffix]) => {
    let body = base;
    for (const path of leafPaths(base)) {
      const leaf = leafAt(base, path);
      if (typeof leaf !== "string") continue;
      const name = path[path.length - 1].toLowerCase();
      if (name.includes("email")) body = withLeaf(body, path, `fuzz-${n}-${suffix}@example.com`);
      else if (name === "name") body = withLeaf(body, path, `${leaf}-${n}${suffix}`);
      // An idempotency key (the dashboard's): a fresh one, or every variant would replay the first answer.
      else if (name === "requestkey") body = withLeaf(body, path, `fuzz-key-${n}-${suffix}`);
    }
    return body;
  });
}

const EXTRA_KEYS = fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "isStaff", "id", "ownerId", "", " ", "a".repeat(5_000)), fc.string({ maxLength: 10 }));

const INVALID_JSON = [
  "{",
  "[",
  '{"x":}',
  "{'x': 1}",
  "{x: 1}",
  '{"x": 1,}',
  "undefined",
  "NaN",
  '"\\ud800"',
  '"\\u00zz"',
  '{"x":"\\',
  "\u0000",
  "\ufeff{}",
  "{}garbage",
  "{}{}",
  "[] []",
  '{"a":1}\u0000',
  "\xff\xfe{}",
];

function bodyPart(base: BodyObject | undefined): fc.Arbitrary<Body> {
  const valid = base ?? {};
  const paths = leafPaths(valid);
  const strategies: { weight: number; arbitrary: fc.Arbitrary<Body> }[] = [
    weighted(3, validVariant(valid).map((value) => ({ value, tags: ["body:valid"] }))),
    weighted(1, fc.constant({ tags: ["body:none"] })),
    weighted(
      2,
      fc.tuple(validVariant(valid), fc.dictionary(EXTRA_KEYS, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 })).map(([value, extra]) => ({
        // Written into the text, so "__proto__" arrives as a key (an object literal would set a prototype).
        text: toJsonText(value).replace(/}$/, `${Object.keys(value).length ? "," : ""}${Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`),
        tags: ["body:extra-fields"],
      })),
    ),
    weighted(1, fc.jsonValue({ maxDepth: 2 }).filter((v) => !isObject(v)).map((v) => ({ value: v as BodyValue, tags: ["body:top-level-non-object"] }))),
    weighted(1, fc.integer({ min: 1_000, max: 100_000 }).map((n) => ({ text: `${"[".repeat(n)}${"]".repeat(n)}`, tags: ["body:deep-array"] }))),
    weighted(1, fc.integer({ min: 10_000, max: 120_000 }).map((n) => ({ text: `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`, tags: ["body:many-keys"] }))),
    weighted(2, fc.oneof(fc.constantFrom(...INVALID_JSON), fc.string({ unit: "binary", maxLength: 80 })).map((text) => ({ text, tags: ["body:invalid-json"] }))),
    weighted(1, fc.nat().map((n) => ({ text: toJsonText(valid).slice(0, Math.max(1, n % Math.max(1, toJsonText(valid).length))), tags: ["body:truncated-json"] }))),
  ];
  if (paths.length > 0) {
    strategies.push(
      weighted(
        8,
        fc.tuple(validVariant(valid), fc.constantFrom(...paths), hostileValue).map(([value, path, hostile]) => ({
          value: withLeaf(value, path, hostile.value),
          tags: hostile.tags.map((t) => `body:${t}@${path.join(".")}`),
        })),
      ),
      weighted(
        2,
        fc.tuple(validVariant(valid), smallHostileValue).map(([value, hostile]) => {
          const strings = paths.filter((path) => typeof leafAt(value, path) === "string");
          return {
            value: strings.reduce((body, path) => withLeaf(body, path, hostile.value), value),
            tags: strings.length ? hostile.tags.map((t) => `body:${t}@every-string`) : ["body:valid"],
          };
        }),
      ),
      weighted(
        2,
        fc.tuple(validVariant(valid), fc.subarray(paths, { minLength: 1 })).map(([value, gone]) => ({
          value: gone.reduce((body, path) => withLeaf(body, path, undefined), value),
          tags: [`body:missing@${gone.map((p) => p.join(".")).join(",")}`],
        })),
      ),
      weighted(
        1,
        fc.tuple(validVariant(valid), fc.constantFrom(...paths), hostileValue).map(([value, path, hostile]) => ({
          // JSON.parse keeps the last of two equal keys: a validator and a reader that disagree would show here.
          text: toJsonText(value).replace(/}$/, `,${JSON.stringify(path[0])}:${toJsonText(hostile.value)}}`),
          tags: hostile.tags.map((t) => `body:duplicate-key-${t}@${path[0]}`),
        })),
      ),
    );
  }
  return fc.oneof(...strategies);
}

// ── whole requests ───────────────────────────────────────────────────────────────────────────────────────────

function assemble(
  template: string,
  method: Part,
  path: PathPart,
  session: SessionKind,
  origin: Part<[string, string][]>,
  contentType: ContentType,
  body: Body,
  odd: OddHeader[],
  cookies: CorpusContext["cookies"],
): FuzzCase {
  const cookie = cookies[session];
  const headers: [string, string][] = [...(cookie ? ([["cookie", cookie]] as [string, string][]) : []), ...origin.value, ...contentType.headers, ...odd.flatMap((o) => o.headers)];
  const bodyBytes = contentType.encode(body.value, body.text);
  return {
    request: { method: method.value, path: path.path, headers, body: bodyBytes, chunked: odd.some((o) => o.chunked), noHost: odd.some((o) => o.noHost) },
    template,
    session,
    onRoute: path.onRoute,
    tags: [...method.tags, ...path.tags, ...(session === "staff" ? [] : [`session:${session}`]), ...origin.tags, ...(contentType.tag ? [contentType.tag] : []), ...(bodyBytes ? body.tags : []), ...odd.map((o) => o.tag)],
  };
}

/** Random malformed requests for `route`. */
export function routeCorpus(route: ApiRoute, context: CorpusContext): fc.Arbitrary<FuzzCase> {
  const odd = oddHeaders(context);
  const host = new URL(context.origin).host;
  return fc
    .record({
      method: methodPart(route),
      path: pathPart(route, context.knownIds),
      session: sessionPart,
      origin: originPart(context.origin),
      contentType: contentTypePart,
      odd: fc.oneof(weighted(4, fc.constant<OddHeader[]>([])), weighted(1, fc.subarray(odd, { minLength: 1, maxLength: 2 }))),
    })
    .chain((r) => {
      // The body follows the method: the route's valid body for it, or the first one it has; a method that
      // takes no body is mostly sent none. With a head Node refuses, a large body is drawn again (nodeRefusesHead).
      const body = bodyPart(context.bodies[r.method.value] ?? Object.values(context.bodies)[0]);
      const bodyless = !["POST", "PUT", "PATCH"].includes(r.method.value);
      const none = fc.constant<Body>({ tags: [] });
      return (PARSER_REFUSED(r.method.value) ? none : bodyless ? fc.oneof(weighted(3, none), weighted(1, body)) : body)
        .map((b) => assemble(route.template, r.method, r.path, r.session, r.origin, r.contentType, b, r.odd, context.cookies))
        .filter((c) => (c.request.body?.length ?? 0) <= SMALL_BODY_BYTES || !nodeRefusesHead(c.request, host));
    });
}

/**
 * The attacks every route gets whatever the seed, each on a request that is otherwise valid (staff session,
 * same-origin, JSON, the route's valid body): the named segment attacks in every dynamic segment with
 * every method; the unusual methods; FIELD_ATTACKS in every field of every valid body; for every
 * mutating method, the cross-site text/plain post; and every method with the metrics bearer and no session.
 */
export function mustCases(route: ApiRoute, context: CorpusContext): FuzzCase[] {
  const json = CONTENT_TYPES[0][1];
  const sameOrigin = part<[string, string][]>([["origin", context.origin], ["sec-fetch-site", "same-origin"]]);
  const onRoute = (path: string, ...tags: string[]): PathPart => ({ path, onRoute: !tags.some((t) => LEAVES_ROUTE.has(t)), tags });
  const validPath = onRoute(pathOf(route, () => context.knownIds[0]));
  const validBody = (method: string): Body => ({ value: context.bodies[method], tags: [] });
  const valid = (method: Part, path: PathPart, body: Body, session: SessionKind = "staff", origin = sameOrigin, contentType = json) =>
    assemble(route.template, method, path, session, origin, contentType, body, [], context.cookies);
  const cases: FuzzCase[] = [];

  for (const method of route.methods) {
    for (const target of route.segments.filter((s) => s.kind !== "static")) {
      for (const [tag, text] of NAMED_SEGMENT_ATTACKS) {
        const path = pathOf(route, (s) => (s === target ? text : context.knownIds[0]));
        cases.push(valid(part(method), onRoute(path, `segment:${tag}`), validBody(method)));
      }
    }
  }
  const absent = STANDARD_METHODS.filter((m) => !(route.methods as string[]).includes(m));
  const lowerCase = route.methods.map((m) => m.toLowerCase());
  for (const method of new Set([...UNUSUAL_METHODS, ...absent, ...lowerCase])) {
    cases.push(valid(part(method, `method:${method}`), validPath, PARSER_REFUSED(method) ? { tags: [] } : validBody(route.methods[0])));
  }
  for (const [method, body] of Object.entries(context.bodies)) {
    for (const path of leafPaths(body!)) {
      for (const attack of FIELD_ATTACKS) {
        cases.push(valid(part(method), validPath, { value: withLeaf(body!, path, attack.value), tags: attack.tags.map((t) => `body:${t}@${path.join(".")}`) }));
      }
    }
  }
  const textPlain = CONTENT_TYPES.find(([, ct]) => ct.tag === "content-type:text/plain")![1];
  const crossSite = part<[string, string][]>([["origin", EVIL_ORIGIN], ["sec-fetch-site", "cross-site"]], "origin:cross-site");
  for (const method of route.methods.filter((m) => m !== "GET" && STANDARD_METHODS.includes(m))) {
    for (const session of ["staff", "user"] as const) cases.push(valid(part(method), validPath, validBody(method), session, crossSite, textPlain));
  }
  const bearer = oddHeaders(context).find((o) => o.tag === "header:metrics-bearer")!;
  for (const method of route.methods) {
    cases.push(assemble(route.template, part(method), validPath, "none", sameOrigin, json, validBody(method), [bearer], context.cookies));
  }
  return cases;
}

// ── pages ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Where the page attacks go: a path that renders not-found, and pages of each kind (public, a form, staff's, dynamic). */
export const PAGE_PATHS = ["/no-such-page", "/", "/articles", "/login", "/admin", "/admin/tasks/1", "/admin/periodic-tasks/1", "/dev/mailbox/1"];

const tree = (state: unknown) => encodeURIComponent(JSON.stringify(state));
/** A router state Next accepts, as the client router sends it on a navigation. */
const READABLE_TREE = tree(["", { children: ["__PAGE__", {}, null, null] }, null, null, 0]);

/**
 * Malformed `Next-Router-State-Tree` headers on an RSC request (`RSC: 1`): Next parses the header while it
 * renders a page, and answered a plain 500 when it could not (proxy.ts now answers 400). Next's 40,000-character
 * limit is not among them: Node refuses a head that large (431) before Next reads it.
 */
export const ROUTER_STATE_ATTACKS: [string, [string, string][]][] = [
  ["router-state:bad-percent", [["rsc", "1"], ["next-router-state-tree", "%ZZ[garbage"]]],
  ["router-state:not-json", [["rsc", "1"], ["next-router-state-tree", "[garbage"]]],
  ["router-state:wrong-shape", [["rsc", "1"], ["next-router-state-tree", tree({ children: 1 })]]],
  ["router-state:wrong-segment", [["rsc", "1"], ["next-router-state-tree", tree([1, {}])]]],
  ["router-state:duplicate", [["rsc", "1"], ["next-router-state-tree", READABLE_TREE], ["next-router-state-tree", READABLE_TREE]]],
  ["router-state:prefetch", [["rsc", "1"], ["next-router-prefetch", "1"], ["next-router-state-tree", "%ZZ[garbage"]]],
];

/**
 * The page attacks every run sends: each of ROUTER_STATE_ATTACKS on every page path, with staff's session (so
 * the admin's pages render too), as it is and with the `_rsc` parameter Next expects for those headers (without
 * it, Next redirects an RSC request for a page there before rendering; a not-found path it renders at once).
 */
export async function pageCases(context: CorpusContext): Promise<FuzzCase[]> {
  const cases: FuzzCase[] = [];
  for (const [tag, headers] of ROUTER_STATE_ATTACKS) {
    // Next hashes the headers as Node hands them over: repeated lines joined with ", ".
    const value = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v).join(", ") || undefined;
    const rsc = await computeCacheBustingSearchParam(value("next-router-prefetch") as "1" | undefined, undefined, value("next-router-state-tree"), undefined);
    for (const path of PAGE_PATHS) {
      for (const [target, tags] of [[path, [tag]], [`${path}?_rsc=${rsc}`, [tag, "query:rsc-hash"]]] as const) {
        cases.push({
          request: { method: "GET", path: target, headers: [["cookie", context.cookies.staff!], ...headers] },
          template: path,
          session: "staff",
          onRoute: false,
          tags: [...tags],
        });
      }
    }
  }
  return cases;
}
