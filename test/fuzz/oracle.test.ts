/** The fuzz suite's verdicts and its report, on hand-made outcomes. */
import { describe, expect, it } from "vitest";
import type { Answer, Outcome, RawRequest } from "./client";
import type { FuzzCase } from "./corpus";
import { curlCommand, judge, looksCrossSite, reportFindings } from "./oracle";

const ORIGIN = "http://127.0.0.1:4000";
const ROOT = "/srv/app";

function fuzzCase(request: Partial<RawRequest>, more: Partial<FuzzCase> = {}): FuzzCase {
  return { request: { method: "POST", path: "/api/things", headers: [], ...request }, template: "/api/things", session: "staff", onRoute: true, tags: [], ...more };
}

function answer(status: number, body: string, type: string | undefined = "application/json", more: Partial<Answer> = {}): Outcome {
  const headers = new Map<string, string[]>(type ? [["content-type", [type]]] : []);
  return { kind: "answer", status, headers, body: Buffer.from(body), stream: false, ms: 1, ...more };
}

const rules = (c: FuzzCase, o: Outcome) => judge(c, o, { root: ROOT, origin: ORIGIN }).map((f) => f.rule);

describe("judge", () => {
  it("passes a JSON refusal or success", () => {
    expect(rules(fuzzCase({}), answer(400, '{"error":"bad"}'))).toEqual([]);
    expect(rules(fuzzCase({}), answer(201, '{"ok":true}', "application/json; charset=utf-8"))).toEqual([]);
  });

  it("fails any 5xx and any transport failure", () => {
    expect(rules(fuzzCase({}), answer(500, '{"error":"internal error"}'))).toEqual(["5xx"]);
    expect(rules(fuzzCase({}), answer(503, '{"error":"later"}'))).toEqual(["5xx"]);
    expect(rules(fuzzCase({}), { kind: "transport", error: "ECONNRESET before any answer", ms: 1 })).toEqual(["transport"]);
  });

  it("fails stack frames, internal paths and database error text in a body", () => {
    const leaks = [
      '{"error":"boom\\n    at handler (/x/route.js:3:14)"}',
      '{"error":"x\\n    at async Proxy._transactionWithCallback (client.js:90:8120)"}',
      `{"error":"cannot open ${ROOT}/dev.db"}`,
      '{"error":"see node_modules/@prisma/client"}',
      "{\"error\":\"Invalid `prisma.article.create()` invocation\"}",
      '{"error":"invalid byte sequence for encoding \\"UTF8\\": 0x00"}',
      '{"error":"SQLITE_BUSY: database is locked"}',
    ];
    for (const body of leaks) expect(rules(fuzzCase({}), answer(400, body)), body).toEqual(["leak"]);
    expect(rules(fuzzCase({}), answer(400, '{"error":"at least one field, at 3 places"}'))).toEqual([]);
  });

  it("fails a non-JSON body from a route, but not an empty one, a redirect, a HEAD answer, a stream, or a path off the route", () => {
    expect(rules(fuzzCase({}), answer(404, "<html>not found</html>", "text/html"))).toEqual(["not-json"]);
    expect(rules(fuzzCase({}), answer(400, '{"json":"but typed as text"}', "text/plain"))).toEqual(["not-json"]);
    expect(rules(fuzzCase({}), answer(405, "", undefined, { headers: new Map([["allow", ["GET"]]]) }))).toEqual([]);
    expect(rules(fuzzCase({}), answer(308, "/api/things", "text/plain"))).toEqual([]);
    expect(rules(fuzzCase({ method: "HEAD" }), answer(200, ""))).toEqual([]);
    expect(rules(fuzzCase({ method: "GET" }), answer(200, "event: state\n\n", "text/event-stream", { stream: true }))).toEqual([]);
    expect(rules(fuzzCase({ method: "GET" }), answer(200, "# HELP x_total x\n", "text/plain; version=0.0.4; charset=utf-8"))).toEqual([]);
    expect(rules(fuzzCase({}, { onRoute: false }), answer(404, "<html>not found</html>", "text/html"))).toEqual([]);
  });

  it("fails a 405 without an Allow header", () => {
    expect(rules(fuzzCase({ method: "PUT" }), answer(405, ""))).toEqual(["405-without-allow"]);
  });

  it("fails a write a browser could have sent from another site, when it is accepted", () => {
    const evil: [string, string][] = [["origin", "http://evil.example"]];
    expect(rules(fuzzCase({ headers: evil }), answer(200, "{}"))).toEqual(["cross-site-write"]);
    expect(rules(fuzzCase({ headers: evil }), answer(403, '{"error":"cross-site"}'))).toEqual([]);
    expect(rules(fuzzCase({ method: "GET", headers: evil }), answer(200, "{}"))).toEqual([]);
    expect(rules(fuzzCase({ headers: [...evil, ["host", "evil.example"]] }), answer(200, "{}"))).toEqual([]);
  });

  it("fails an admin API answer to anyone but staff", () => {
    const admin = (session: FuzzCase["session"], method = "GET") => fuzzCase({ method }, { template: "/api/admin/things", session });
    expect(rules(admin("user"), answer(200, "{}"))).toEqual(["admin-open"]);
    expect(rules(admin("staff-leading-zero"), answer(200, "{}"))).toEqual(["admin-open"]);
    expect(rules(admin("none"), answer(401, '{"error":"log in"}'))).toEqual([]);
    expect(rules(admin("staff"), answer(200, "{}"))).toEqual([]);
    expect(rules(admin("none", "OPTIONS"), answer(204, ""))).toEqual([]);
  });

  it("fails NUL or a lone surrogate accepted in a field, where the JSON text carries it", () => {
    const nul = fuzzCase({ headers: [["content-type", "application/json"]], body: Buffer.from('{"title":"a\\u0000b"}') }, { tags: ["body:nul@title"] });
    expect(rules(nul, answer(201, "{}"))).toEqual(["bad-text-accepted"]);
    expect(rules(nul, answer(400, '{"error":"title: no NUL"}'))).toEqual([]);
    const surrogate = fuzzCase({ body: Buffer.from('{"name":"\\ud800x"}') }, { tags: ["body:lone-surrogate@name"] });
    expect(rules(surrogate, answer(201, "{}"))).toEqual(["bad-text-accepted"]);
    const formEncoded = fuzzCase({ body: Buffer.from("name=%EF%BF%BDx") }, { tags: ["body:lone-surrogate@name"] });
    expect(rules(formEncoded, answer(201, "{}"))).toEqual([]);
    expect(rules({ ...nul, request: { ...nul.request, method: "GET" } }, answer(200, "{}"))).toEqual([]);
  });
});

describe("looksCrossSite", () => {
  const req = (method: string, headers: [string, string][]): RawRequest => ({ method, path: "/", headers });
  it("reads Origin and Sec-Fetch-Site, and a form content type on a POST without either", () => {
    expect(looksCrossSite(req("POST", [["origin", ORIGIN], ["sec-fetch-site", "same-origin"]]), ORIGIN)).toBe(false);
    expect(looksCrossSite(req("POST", [["origin", ORIGIN], ["sec-fetch-site", "cross-site"]]), ORIGIN)).toBe(true);
    expect(looksCrossSite(req("POST", [["sec-fetch-site", "same-site"]]), ORIGIN)).toBe(true);
    expect(looksCrossSite(req("POST", [["origin", "null"]]), ORIGIN)).toBe(true);
    expect(looksCrossSite(req("POST", [["content-type", "application/json"]]), ORIGIN)).toBe(false);
    expect(looksCrossSite(req("POST", [["content-type", "text/plain;charset=UTF-8"]]), ORIGIN)).toBe(true);
    expect(looksCrossSite(req("POST", [["content-type", "multipart/form-data; boundary=x"]]), ORIGIN)).toBe(true);
    expect(looksCrossSite(req("DELETE", [["content-type", "text/plain"]]), ORIGIN)).toBe(false);
  });
});

describe("the report", () => {
  it("writes a request as a curl command: raw path, every header, the body (cut when long)", () => {
    const request: RawRequest = { method: "get", path: "/api/x/%ZZ", headers: [["origin", "it's"], ["x-odd", "caf\xe9"]], body: Buffer.from("y".repeat(300)) };
    const command = curlCommand(request, ORIGIN);
    expect(command).toContain("--path-as-is -X 'get' 'http://127.0.0.1:4000/api/x/%ZZ'");
    expect(command).toContain(`-H 'origin: it'\\''s'`);
    expect(command).toContain("-H $'x-odd: caf\\xe9'");
    expect(command).toContain(`--data-binary '${"y".repeat(240)}' # body cut: 300 bytes in all`);
  });

  it("groups findings by rule, route and answer, with counts, methods and tags", () => {
    const cases = [fuzzCase({ method: "TRACE" }, { tags: ["method:TRACE"] }), fuzzCase({ method: "TRACE" }, { tags: ["method:TRACE"] }), fuzzCase({}, { tags: ["body:nul@x"] })];
    const findings = [
      ...judge(cases[0], answer(500, "Internal Server Error", "text/plain"), { root: ROOT, origin: ORIGIN }),
      ...judge(cases[1], answer(500, "Internal Server Error", "text/plain"), { root: ROOT, origin: ORIGIN }),
      ...judge(cases[2], answer(500, '{"error":"internal error"}'), { root: ROOT, origin: ORIGIN }),
    ];
    const report = reportFindings(findings, ORIGIN);
    expect(report.split("\n\n")).toHaveLength(2);
    expect(report).toContain("[5xx] /api/things → 500 text/plain Internal Server Error\n  2 request(s); methods: TRACE ×2; tags: method:TRACE ×2");
    expect(report).toContain('[5xx] /api/things → 500 application/json {"error":"internal error"}\n  1 request(s); methods: POST ×1; tags: body:nul@x ×1');
  });
});
