/** The fuzz corpus: deterministic per seed, the named attacks always present, JSON text as written. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeHead } from "./client";
import {
  FIELD_ATTACKS,
  nodeRefusesHead,
  mustCases,
  NAMED_SEGMENT_ATTACKS,
  PAGE_PATHS,
  pageCases,
  ROUTER_STATE_ATTACKS,
  routeCorpus,
  SMALL_BODY_BYTES,
  UNUSUAL_METHODS,
  type CorpusContext,
  type FuzzCase,
} from "./corpus";
import { RawJson, toJsonText } from "./json-text";
import type { ApiRoute } from "../api-route-files";

const route: ApiRoute = {
  template: "/api/things/[id]",
  segments: [
    { kind: "static", value: "api" },
    { kind: "static", value: "things" },
    { kind: "dynamic", name: "id" },
  ],
  methods: ["GET", "PATCH"],
  file: "app/api/things/[id]/route.ts",
};

const context: CorpusContext = {
  origin: "http://127.0.0.1:4000",
  cookies: { none: undefined, user: "s=user", staff: "s=staff", "staff-leading-zero": "s=0", "staff-wrong-key": "s=k", "staff-expired": "s=e", garbage: "s=%" },
  knownIds: ["1", "2"],
  bearer: "metrics-token-0123456789",
  bodies: { PATCH: { title: "fuzz", meta: { count: 2 } } },
};

describe("toJsonText", () => {
  it("writes NUL and lone surrogates as escapes and raw fragments verbatim", () => {
    expect(toJsonText({ a: "x\u0000\ud800", n: new RawJson("1e400"), d: [NaN, new RawJson("[[[]]]")] })).toBe('{"a":"x\\u0000\\ud800","n":1e400,"d":[NaN,[[[]]]]}');
  });
});

describe("mustCases", () => {
  const cases = mustCases(route, context);
  const paths = (method: string) => cases.filter((c) => c.request.method === method).map((c) => c.request.path);

  it("puts every named segment attack in the dynamic segment, with every method", () => {
    for (const method of route.methods) {
      for (const [, text] of NAMED_SEGMENT_ATTACKS) expect(paths(method)).toContain(`/api/things/${text}`);
    }
  });

  it("sends the unusual methods, the absent standard ones and lower-case ones", () => {
    for (const method of [...UNUSUAL_METHODS, "POST", "PUT", "DELETE", "get", "patch"]) expect(paths(method), method).toContain("/api/things/1");
  });

  it("puts every field attack in every field of the valid body", () => {
    for (const attack of FIELD_ATTACKS) {
      for (const field of ["title", "meta.count"]) expect(cases.some((c) => c.tags.includes(`body:${attack.tags[0]}@${field}`)), `${attack.tags[0]}@${field}`).toBe(true);
    }
    const nul = cases.find((c) => c.tags.includes("body:nul@title"))!;
    expect(nul.request.body!.toString()).toBe('{"title":"a\\u0000b","meta":{"count":2}}');
  });

  it("sends the cross-site text/plain write for every mutating method", () => {
    const attack = cases.filter((c) => c.tags.includes("origin:cross-site") && c.request.headers.some(([n, v]) => n === "content-type" && v === "text/plain"));
    expect(attack.map((c) => `${c.request.method} ${c.session}`)).toEqual(["PATCH staff", "PATCH user"]);
  });

  it("sends every method with the metrics bearer and no session: it must open nothing but the metrics", () => {
    const bearer = cases.filter((c) => c.tags.includes("header:metrics-bearer"));
    expect(bearer.map((c) => `${c.request.method} ${c.session}`)).toEqual(["GET none", "PATCH none"]);
    expect(bearer[0].request.headers).toContainEqual(["authorization", `Bearer ${context.bearer}`]);
  });
});

describe("routeCorpus", () => {
  it("draws the same requests from the same seed", () => {
    const draw = (seed: number) => fc.sample(routeCorpus(route, context), { seed, numRuns: 50 }).map((c) => [c.request.method, c.request.path, c.tags]);
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("never sends a head Node refuses (over its limit, or no Host) with a large body: the reset can beat Node's answer; keeps both attacks", () => {
    const host = new URL(context.origin).host;
    // An id of 17,000 characters puts every path it fills over the limit; the others stay short.
    const longIds = { ...context, knownIds: ["7".repeat(17_000)] };
    const cases = fc.sample(routeCorpus(route, longIds), { seed: 3, numRuns: 600 });
    // Selected by what Node refuses, not by nodeRefusesHead: a head past 15 KiB, no Host, or a NUL or DEL in a value.
    const refused = (c: FuzzCase) => c.request.noHost || c.request.headers.some(([, v]) => /[\x00\x7f]/.test(v)) || encodeHead(c.request, host).length > 15 * 1024;
    const over = [...cases, ...mustCases(route, context)].filter(refused);
    expect(over.length).toBeGreaterThan(200);
    expect(over.some((c) => c.request.noHost)).toBe(true);
    expect(over.filter((c) => (c.request.body?.length ?? 0) > SMALL_BODY_BYTES).map((c) => c.tags)).toEqual([]);
    expect(over.some((c) => (c.request.body?.length ?? 0) > 0)).toBe(true);
    expect(cases.some((c) => (c.request.body?.length ?? 0) > SMALL_BODY_BYTES && encodeHead(c.request, host).length < 4096)).toBe(true);
  });

  it("knows the heads Node refuses before reading a body: past its 16 KiB limit (or near it), HTTP/1.1 without Host, a control character in a value", () => {
    const host = new URL(context.origin).host;
    const request = (path: string, noHost = false, headers: [string, string][] = []) => ({ method: "POST", path, headers, noHost });
    for (const value of ["SUCCESS\x00garbage", ";;;=\x7f", "a\x01b", "a\x1fb"]) expect(nodeRefusesHead(request("/api/things/1", false, [["x-v", value]]), host), JSON.stringify(value)).toBe(true);
    for (const value of ["a\tb", "caf\xe9 \xff\xfe", "%ZZ"]) expect(nodeRefusesHead(request("/api/things/1", false, [["x-v", value]]), host), JSON.stringify(value)).toBe(false);
    expect(nodeRefusesHead(request("/api/things/1"), host)).toBe(false);
    expect(nodeRefusesHead(request("/api/things/1", true), host)).toBe(true);
    expect(nodeRefusesHead(request(`/api/things/${"1".repeat(16 * 1024)}`), host)).toBe(true);
    expect(nodeRefusesHead(request(`/api/things/${"1".repeat(15 * 1024 + 100)}`), host)).toBe(true);
    expect(nodeRefusesHead(request(`/api/things/${"1".repeat(14 * 1024)}`), host)).toBe(false);
  });

  it("covers each part of a request over a few hundred draws", () => {
    const tags = new Set(fc.sample(routeCorpus(route, context), { seed: 1, numRuns: 600 }).flatMap((c) => c.tags.map((t) => t.replace(/@.*/, ""))));
    for (const expected of ["body:nul", "body:lone-surrogate", "body:huge-string", "body:wrong-type", "body:invalid-json", "body:extra-fields", "origin:cross-site", "content-type:text/plain", "method:TRACE", "segment:bad-percent", "session:user"]) {
      expect(tags, expected).toContain(expected);
    }
  });
});

describe("pageCases", () => {
  it("sends every router state attack to every page path on an RSC request, as is and with the _rsc Next expects", async () => {
    const cases = await pageCases(context);
    for (const [tag, headers] of ROUTER_STATE_ATTACKS) {
      for (const path of PAGE_PATHS) {
        const sent = cases.filter((c) => c.tags[0] === tag && c.template === path);
        expect(sent.map((c) => c.request.path.replace(/=[\w-]{16}$/, "=<hash>")), `${tag} ${path}`).toEqual([path, `${path}?_rsc=<hash>`]);
        for (const c of sent) expect(c.request.headers.slice(1)).toEqual(headers);
      }
    }
    const hashes = new Set(cases.map((c) => new URLSearchParams(c.request.path.split("?")[1]).get("_rsc")).filter(Boolean));
    expect(hashes.size).toBe(ROUTER_STATE_ATTACKS.length);
  });
});
