/**
 * The page demo on a real worker, the real Redis and the run's database (SQLite, or PostgreSQL with
 * CELERIAC_TEST_DB=postgres): each task alone, then seed 002's chain as POST /api/pages sends it, over the
 * app's own sample page (public/sample-page.html, served here by a node:http server: no Next app, no
 * internet). Loopback is allowed, as PAGES_ALLOW_PRIVATE_HOSTS=1 allows it; the guard's refusals are
 * lib/ssrf-guard.test.ts's, lib/page-fetch.test.ts's and app/api/pages/route.int.test.ts's.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("pages");
process.env.PAGES_ALLOW_PRIVATE_HOSTS = "1";
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { secretKey } = await import("@/lib/env");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");
const { ANYONE, userOwner } = await import("@/lib/result-access");
const { fetchPage, parsePage, storePageInfo } = await import("./pages");
const pagesRoute = await import("@/app/api/pages/route");
const taskRoute = await import("@/app/api/tasks/[id]/route");

const SAMPLE = readFileSync(resolve(import.meta.dirname, "../public/sample-page.html"), "utf8");
/** Near the 2 MB limit: the page travels in fetchPage's result and parsePage's message, far over maxPayloadBytes (a dispatch's limit). */
const LARGE = `<title>Large</title>${"<p>word</p>".repeat(180_000)}`;

let server: Server;
let origin: string;
let closedPort: number;
let stop: () => Promise<unknown>;

async function listen(s: Server): Promise<number> {
  await new Promise<void>((done) => s.listen(0, "127.0.0.1", done));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/sample-page.html") return res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(SAMPLE);
    if (req.url === "/large-page.html") return res.writeHead(200, { "content-type": "text/html" }).end(LARGE);
    res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not found</h1>");
  });
  origin = `http://127.0.0.1:${await listen(server)}`;
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((done) => probe.close(done));
  stop = (await celeriac.startWorker({ concurrency: 4 })).stop;
});
afterAll(async () => {
  await stop?.();
  await celeriac.close();
  await deleteKeys(keyPrefix);
  await new Promise((done) => server?.close(done));
});

const sampleSummary = () => ({
  title: "A sample page for the celeriac page demo",
  wordCount: 48,
  linkCount: 4,
  links: [`${origin}/pages`, `${origin}/articles`, "https://docs.celeryq.dev/en/stable/userguide/canvas.html", `${origin}/sample-page.html`],
});

interface Accepted {
  url: string;
  steps: { name: string; taskId: string }[];
}

async function submit(url: string, cookie?: string): Promise<{ status: number; body: Accepted }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...(cookie ? { cookie } : {}) };
  const response = await pagesRoute.POST(new Request("http://test/api/pages", { method: "POST", headers, body: JSON.stringify({ url }) }), {});
  return { status: response.status, body: (await response.json()) as Accepted };
}

/** Each step's row once the chain's last step has finished. */
async function finished(body: Accepted) {
  const last = celeriac.AsyncResult.from(body.steps[2]!.taskId);
  await last.get({ timeout: 20_000 }).catch(() => {});
  return Promise.all(body.steps.map((s) => celeriac.AsyncResult.from(s.taskId).info()));
}

describe("each task alone", () => {
  it("fetchPage gives the page, parsePage its summary, storePageInfo the row's id", async () => {
    const page = await (await fetchPage.delay(`${origin}/sample-page.html`)).get({ timeout: 10_000 });
    expect(page).toEqual({ url: `${origin}/sample-page.html`, finalUrl: `${origin}/sample-page.html`, status: 200, contentType: "text/html; charset=utf-8", text: SAMPLE });
    const info = await (await parsePage.delay(page)).get({ timeout: 10_000 });
    expect(info).toEqual(sampleSummary());
    const id = await (await storePageInfo.delay(info, page.url, null)).get({ timeout: 10_000 });
    expect(await db.pageInfo.findUniqueOrThrow({ where: { id } })).toMatchObject({ url: page.url, userId: null, ...sampleSummary() });
  });
});

describe("the chain, as POST /api/pages sends it", () => {
  it("fetches, parses and stores the sample page; 202 names the three steps in order, each readable by the visitor", async () => {
    const url = `${origin}/sample-page.html`;
    const { status, body } = await submit(url);
    expect({ status, url: body.url }).toEqual({ status: 202, url });
    expect(body.steps.map((s) => s.name)).toEqual(["pages.fetchPage", "pages.parsePage", "pages.storePageInfo"]);

    const [fetched, parsed, stored] = await finished(body);
    expect([fetched!.status, parsed!.status, stored!.status]).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect([fetched!.parentId, parsed!.parentId, stored!.parentId]).toEqual([null, fetched!.id, parsed!.id]);
    expect([fetched!.owner, parsed!.owner, stored!.owner]).toEqual([ANYONE, ANYONE, ANYONE]);
    expect(parsed!.result).toEqual(sampleSummary());
    expect(stored!.args).toEqual([sampleSummary(), url, null]); // the previous result first (Celery's rule), then .s(url, userId)
    expect(await db.pageInfo.findUniqueOrThrow({ where: { id: stored!.result as number } })).toMatchObject({ url, userId: null, ...sampleSummary() });
  });

  it("a page near the 2 MB limit goes through the chain too", async () => {
    const { body } = await submit(`${origin}/large-page.html`);
    const [, parsed, stored] = await finished(body);
    expect(parsed).toMatchObject({ status: "SUCCESS", result: { title: "Large", wordCount: 180_000, linkCount: 0, links: [] } });
    expect(stored!.status).toBe("SUCCESS");
  });

  it("a logged-in user's chain is theirs, and so is the stored row", async () => {
    const user = await db.user.create({ data: { email: `pages-${randomBytes(4).toString("hex")}@example.test`, name: "P", passwordHash: "x" } });
    const { body } = await submit(`${origin}/sample-page.html`, `${SESSION_COOKIE}=${makeSession(secretKey(), user.id)}`);
    const rows = await finished(body);
    expect(rows.map((r) => [r!.status, r!.owner])).toEqual(Array(3).fill(["SUCCESS", userOwner(user.id)]));
    expect(await db.pageInfo.findUniqueOrThrow({ where: { id: rows[2]!.result as number } })).toMatchObject({ userId: user.id });
  });

  it("a 404 ends the chain at once (no retry): FAILURE with 'GET <url> answered 404', the later steps recorded as not run", async () => {
    const url = `${origin}/no-such-page`;
    const { body } = await submit(url);
    const last = celeriac.AsyncResult.from(body.steps[2]!.taskId);
    await expect(last.get({ timeout: 20_000 })).rejects.toThrow(`GET ${url} answered 404`);
    const [fetched, parsed, stored] = await finished(body);
    expect(fetched).toMatchObject({ status: "FAILURE", retries: 0, error: { type: "PageFetchError", message: `GET ${url} answered 404` }, meta: null });
    for (const never of [parsed, stored]) {
      expect(never).toMatchObject({ status: "FAILURE", error: { type: "PageFetchError", message: `GET ${url} answered 404` }, meta: { chainStoppedBy: fetched!.id } });
    }
    expect(await db.pageInfo.count({ where: { url } })).toBe(0);

    // What the page reads of a step that never ran: its error, and which step stopped the chain.
    const response = await taskRoute.GET(new Request(`http://test/api/tasks/${stored!.id}`), { params: Promise.resolve({ id: stored!.id }) });
    expect(await response.json()).toEqual({
      id: stored!.id,
      name: "pages.storePageInfo",
      status: "FAILURE",
      error: { type: "PageFetchError", message: `GET ${url} answered 404` },
      chainStoppedBy: fetched!.id,
    });
  });

  it("a server that does not answer is retried twice, then ends the chain with FAILURE", async () => {
    const url = `http://127.0.0.1:${closedPort}/`;
    const { body } = await submit(url);
    const [fetched, parsed, stored] = await finished(body);
    const error = { type: "PageNetworkError", message: `GET ${url} did not answer: connection refused` };
    expect(fetched).toMatchObject({ status: "FAILURE", retries: 2, error });
    expect(parsed).toMatchObject({ status: "FAILURE", error, meta: { chainStoppedBy: fetched!.id } });
    expect(stored).toMatchObject({ status: "FAILURE", error, meta: { chainStoppedBy: fetched!.id } });
  });
});
