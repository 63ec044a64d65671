/** The answers given before Next on a real HTTP server (TRACE, an unreadable router state): the server's own handler never sees those requests. */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOAD_REQUEST_MAX_BYTES, UPLOAD_TOO_LARGE_MESSAGE } from "./request-limits";
import { refuseWhatNextCannotTake } from "./server-boot";

let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  refuseWhatNextCannotTake();
  // Heads up to 64 KiB (Node's default is 16), as a server started with --max-http-header-size would take.
  server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end("handled");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(method: string, path: string, headers: [string, string][] = []): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    // Raw header lines, so that one repeated goes out twice (an array of them gets no Host of its own).
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: [["host", `127.0.0.1:${port}`], ...headers].flat() }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("refuseWhatNextCannotTake: TRACE", () => {
  it("answers TRACE with 405, the route's Allow and the security headers, before the server's handler", async () => {
    const api = await send("TRACE", "/api/articles?x=1");
    expect(api.status).toBe(405);
    expect(api.headers).toMatchObject({ allow: "GET, HEAD, OPTIONS, POST", "x-content-type-options": "nosniff", "content-security-policy": expect.stringContaining("default-src 'none'") });
    expect(JSON.parse(api.body)).toEqual({ error: "TRACE is not supported: /api/articles answers GET, HEAD, OPTIONS, POST" });
    expect((await send("TRACE", "/articles")).headers.allow).toBe("GET, HEAD");
    expect(seen).toEqual([]);
  });

  it("passes every other method on", async () => {
    for (const method of ["GET", "POST", "PROPFIND"]) expect((await send(method, "/x")).body).toBe("handled");
    expect(seen).toEqual(["GET /x", "POST /x", "PROPFIND /x"]);
  });
});

describe("refuseWhatNextCannotTake: the router state of an RSC request (Next parses it while rendering, and answers 500 when it cannot)", () => {
  const tree = (state: unknown) => encodeURIComponent(JSON.stringify(state));
  // What the client router sends on a navigation: the tree it holds, as Next gave it.
  const READABLE = tree(["", { children: ["articles", { children: ["__PAGE__", {}, null, null] }, null, null] }, null, null, 0]);

  it.each([
    ["percent-encoding it cannot decode", [["next-router-state-tree", "%ZZ[garbage"]]],
    ["text that is not JSON", [["next-router-state-tree", "[garbage"]]],
    ["JSON of the wrong shape", [["next-router-state-tree", tree({ children: 1 })]]],
    ["a segment of the wrong type", [["next-router-state-tree", tree([1, {}])]]],
    ["more than Next's 40,000 characters", [["next-router-state-tree", tree(["", { children: ["x".repeat(40_000), {}] }])]]],
    ["two headers (Node joins them with a comma)", [["next-router-state-tree", READABLE], ["next-router-state-tree", READABLE]]],
  ] as [string, [string, string][]][])("is a 400 for %s: plain text on a page, JSON under /api", async (_what, headers) => {
    seen.length = 0;
    for (const path of ["/no-such-page", "/articles?_rsc=abc"]) {
      const page = await send("GET", path, [["rsc", "1"], ...headers]);
      expect(page.status, path).toBe(400);
      expect(page.headers).toMatchObject({ "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
      expect(page.body).toBe("malformed next-router-state-tree header\n");
    }
    const api = await send("GET", "/api/articles", [["rsc", "1"], ...headers]);
    expect([api.status, JSON.parse(api.body)]).toEqual([400, { error: "malformed next-router-state-tree header" }]);
    expect(seen).toEqual([]);
  });

  it("passes on a tree Next can read, an RSC request without one, and any header where Next reads none (no RSC: 1)", async () => {
    seen.length = 0;
    expect((await send("GET", "/articles", [["rsc", "1"], ["next-router-state-tree", READABLE]])).body).toBe("handled");
    expect((await send("GET", "/no-such-page", [["rsc", "1"]])).body).toBe("handled");
    for (const rsc of [[], [["rsc", "0"]], [["rsc", "1"], ["rsc", "1"]]] as [string, string][][]) {
      expect((await send("GET", "/no-such-page", [...rsc, ["next-router-state-tree", "%ZZ[garbage"]])).body).toBe("handled");
    }
    expect(seen).toHaveLength(5);
  });
});

describe("refuseWhatNextCannotTake: a body its route streams (POST /api/uploads)", () => {
  it("hands the request on before its body has arrived", async () => {
    seen.length = 0;
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/api/uploads", headers: { "content-length": "100000" } }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => {
          req.destroy(); // the rest is never sent
          resolve(body);
        });
      });
      req.on("error", () => {}); // the server may close the unfinished request once answered
      req.write("only the first bytes", (error) => error && reject(error));
    });
    expect(answer).toBe("handled");
    expect(seen).toEqual(["POST /api/uploads"]);
  });

  it("refuses a declared length over the upload limit with the upload's own 413, unread", async () => {
    seen.length = 0;
    const refused = await send("POST", "/api/uploads", [["content-length", String(UPLOAD_REQUEST_MAX_BYTES + 1)]]);
    expect([refused.status, JSON.parse(refused.body)]).toEqual([413, { error: UPLOAD_TOO_LARGE_MESSAGE }]);
    expect(seen).toEqual([]);
  });

  it("answers a method the route does not export with 405 and Allow (proxy.ts never sees the route)", async () => {
    seen.length = 0;
    const put = await send("PUT", "/api/uploads");
    expect([put.status, put.headers.allow, JSON.parse(put.body)]).toEqual([405, "OPTIONS, POST", { error: "PUT is not supported: /api/uploads answers OPTIONS, POST" }]);
    expect(seen).toEqual([]);
  });
});
