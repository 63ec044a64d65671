/** fetchPageText against a real HTTP server on loopback (allowed here as PAGES_ALLOW_PRIVATE_HOSTS allows it). */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchPageText, PAGE_LIMITS, PageFetchError, PageNetworkError } from "./page-fetch";
import { BlockedAddressError } from "./ssrf-guard";

const routes: Record<string, (res: ServerResponse) => void> = {
  "/page": (res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<title>Hi</title>"),
  "/latin1": (res) => res.writeHead(200, { "content-type": "text/plain; charset=iso-8859-1" }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9])),
  "/gzip": (res) => res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" }).end(gzipSync("<p>zipped</p>")),
  "/bomb": (res) => res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" }).end(gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20))),
  "/big-declared": (res) => res.writeHead(200, { "content-type": "text/html", "content-length": String(PAGE_LIMITS.maxBytes + 1) }).end(),
  "/big-chunked": (res) => {
    res.writeHead(200, { "content-type": "text/html" });
    for (let i = 0; i < 3; i++) res.write(Buffer.alloc(1024 * 1024, 0x61));
    res.end();
  },
  "/image": (res) => res.writeHead(200, { "content-type": "image/png" }).end("PNG"),
  "/missing": (res) => res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not found</h1>"),
  "/hop1": (res) => res.writeHead(302, { location: "/hop2" }).end(),
  "/hop2": (res) => res.writeHead(301, { location: "page" }).end(),
  "/to-file": (res) => res.writeHead(302, { location: "file:///etc/passwd" }).end(),
  "/to-credentials": (res) => res.writeHead(307, { location: "http://admin:admin@127.0.0.1/" }).end(),
  "/silent": () => {}, // never answers
  "/cut": (res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.write("<p>half a page", () => res.socket?.destroy());
  },
};
for (let i = 0; i <= 6; i++) routes[`/loop${i}`] = (res) => res.writeHead(302, { location: `/loop${i + 1}` }).end();
routes["/loop7"] = routes["/page"]!;

let server: Server;
let base: string;
let closedPort: number;

beforeAll(async () => {
  server = createServer((req, res) => (routes[req.url ?? ""] ?? routes["/missing"]!)(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const fetchAllowed = (path: string, options: Parameters<typeof fetchPageText>[1] = {}) => fetchPageText(`${base}${path}`, { allowPrivate: true, ...options });

describe("fetchPageText", () => {
  it("returns the page's text with the URL that answered", async () => {
    expect(await fetchAllowed("/page")).toEqual({
      url: `${base}/page`,
      finalUrl: `${base}/page`,
      status: 200,
      contentType: "text/html; charset=utf-8",
      text: "<title>Hi</title>",
    });
  });

  it("decodes the charset the answer names, and a gzip body", async () => {
    expect((await fetchAllowed("/latin1")).text).toBe("café");
    expect((await fetchAllowed("/gzip")).text).toBe("<p>zipped</p>");
  });

  it("follows relative redirects; finalUrl is where the page was", async () => {
    expect(await fetchAllowed("/hop1")).toMatchObject({ url: `${base}/hop1`, finalUrl: `${base}/page`, text: "<title>Hi</title>" });
  });

  it("follows at most 5 redirects", async () => {
    expect((await fetchAllowed("/loop2")).finalUrl).toBe(`${base}/loop7`);
    await expect(fetchAllowed("/loop0")).rejects.toThrow(new PageFetchError(`GET ${base}/loop0: more than 5 redirects`));
  });

  it("checks every redirect's target with the guard", async () => {
    await expect(fetchAllowed("/to-file")).rejects.toThrow(new BlockedAddressError(`GET ${base}/to-file redirected to file:///etc/passwd, refused: only http and https URLs are fetched, not file`));
    await expect(fetchAllowed("/to-credentials")).rejects.toThrow(/redirected to http:\/\/admin:admin@127\.0\.0\.1\/, refused: a URL with a user name or password/);
  });

  it("refuses loopback unless private hosts are allowed: a literal address before connecting, a name once resolved", async () => {
    await expect(fetchPageText(`${base}/page`)).rejects.toThrow(new BlockedAddressError(`GET ${base}/page refused: 127.0.0.1 is a loopback address`));
    const byName = base.replace("127.0.0.1", "localhost");
    await expect(fetchPageText(`${byName}/page`)).rejects.toThrow(/^GET http:\/\/localhost:\d+\/page refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
  });

  it("fails with the status of a non-2xx answer, for good", async () => {
    const error = await fetchAllowed("/missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageFetchError);
    expect((error as Error).message).toBe(`GET ${base}/missing answered 404`);
  });

  it("fails on what is not a page, and on more than the size limit, declared, streamed or decompressed", async () => {
    await expect(fetchAllowed("/image")).rejects.toThrow(new PageFetchError(`GET ${base}/image answered image/png, not a web page`));
    for (const path of ["/big-declared", "/big-chunked", "/bomb"]) {
      await expect(fetchAllowed(path)).rejects.toThrow(new PageFetchError(`GET ${base}${path}: the page is larger than 2 MB`));
    }
  });

  it("a server that does not answer is a network error (retried by the task): refused, or silent past the time limit", async () => {
    const refused = await fetchPageText(`http://127.0.0.1:${closedPort}/`, { allowPrivate: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PageNetworkError);
    expect((refused as Error).message).toBe(`GET http://127.0.0.1:${closedPort}/ did not answer: connection refused`);
    const started = Date.now();
    await expect(fetchAllowed("/silent", { limits: { ...PAGE_LIMITS, timeoutMs: 300 } })).rejects.toThrow(new PageNetworkError(`GET ${base}/silent did not answer within 0.3 s`));
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("a connection cut mid-body is a network error too", async () => {
    await expect(fetchAllowed("/cut")).rejects.toThrow(new PageNetworkError(`GET ${base}/cut did not answer: ECONNRESET`));
  });

  it("a host that does not exist fails for good", async () => {
    await expect(fetchPageText("http://no-such-host.invalid/")).rejects.toThrow(new PageFetchError("GET http://no-such-host.invalid/: the host no-such-host.invalid was not found (DNS)"));
  });

  it("ends with the task's own reason when its signal aborts", async () => {
    const reason = new Error("soft time limit");
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    await expect(fetchAllowed("/silent", { signal: controller.signal })).rejects.toBe(reason);
  });
});
