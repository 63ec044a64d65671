/** The TRACE answer on a real HTTP server: given before the server's own handler, which never sees the request. */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refuseFetchForbiddenMethods } from "./server-boot";

let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  refuseFetchForbiddenMethods();
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end("handled");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("refuseFetchForbiddenMethods", () => {
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
