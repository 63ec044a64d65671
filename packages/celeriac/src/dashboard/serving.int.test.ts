/**
 * How the dashboard is served, against a real app: the page shell (login redirect, staff only, the CSP
 * nonce), the live feed (server-sent events of real task rows, redacted), Prometheus metrics behind their
 * token, and all of it through nodeHandler() on a real node:http server.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDashboardHarness, eventually, readEvents, type DashboardHarness } from "../../test/dashboard.js";
import { ASSET_VERSION } from "./assets.generated.js";
import { nodeHandler } from "./index.js";
import { REDACTED } from "./presenter.js";

const suffix = randomUUID().slice(0, 8);
const QUEUE = `dash-serve-${suffix}`;
const TOKEN = `metrics-${randomUUID()}`;
const names = { add: `serve.${suffix}.add`, secret: `serve.${suffix}.secret`, fails: `serve.${suffix}.fails` };
let h: DashboardHarness;

beforeAll(async () => {
  h = createDashboardHarness("dashboard-serving", { metricsToken: TOKEN });
  h.app.task({ name: names.add, queue: QUEUE, args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y });
  h.app.task({ name: names.secret, queue: QUEUE, args: z.tuple([z.string()]), redactArgs: true, run: () => "ok" });
  h.app.task({
    name: names.fails,
    queue: QUEUE,
    args: z.tuple([]),
    run: () => {
      throw new Error("always");
    },
  });
  await h.startWorker({ queues: [QUEUE] });
});
afterAll(async () => {
  await h?.close();
});

const send = async (task: string, args: unknown[]) => (await h.call("POST", "tasks/apply", { body: { task, args } })).body.taskId as string;
const finished = (id: string) => eventually(() => h.call("GET", `tasks/${id}`), (a) => a.body.doneAt !== null);

describe("the page shell", () => {
  it("sends an anonymous visitor to the login page with where they were going", async () => {
    const answer = await h.call("GET", "/admin/tasks?status=FAILURE", { role: null });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/admin/tasks?status=FAILURE")}`);
  });

  it("tells a non-staff user it is for staff only (403)", async () => {
    const answer = await h.call("GET", "/admin", { role: "denied" });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/staff only/i);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("serves staff the shell with the nonce of the request's policy, or its own nonce and policy", async () => {
    const proxied = await h.call("GET", "/admin/tasks/abc", { role: "ada", headers: { "content-security-policy": "default-src 'self'; script-src 'self' 'nonce-Zm9vYmFy' 'strict-dynamic'" } });
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get("content-security-policy")).toBeNull();
    expect(proxied.body).toContain(`<script src="/admin/assets/dashboard.${ASSET_VERSION}.js" nonce="Zm9vYmFy" defer></script>`);
    expect(proxied.body).toContain('data-api-path="/api/admin" data-actor="ada@example.com"');

    const own = await h.call("GET", "/admin");
    const nonce = /<script [^>]*nonce="([^"]+)"/.exec(own.body)![1];
    expect(nonce).not.toBe("Zm9vYmFy");
    expect(own.headers.get("content-security-policy")).toContain(`script-src 'nonce-${nonce}' 'strict-dynamic'`);
    expect(own.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(own.body).toContain(`<link rel="stylesheet" href="/admin/assets/dashboard.${ASSET_VERSION}.css" nonce="${nonce}">`);
  });

  it("answers an unknown page 404 (the client says so), a POST 405, and serves the assets to anyone", async () => {
    expect((await h.call("GET", "/admin/nothing")).status).toBe(404);
    expect((await h.call("POST", "/admin", { body: {} })).status).toBe(405);
    const js = await h.call("GET", `/admin/assets/dashboard.${ASSET_VERSION}.js`, { role: null });
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await h.call("GET", "/admin/assets/dashboard.000000000000.js", { role: null })).status).toBe(404);
    expect((await h.call("GET", "/elsewhere")).status).toBe(404);
  });
});

describe("the live feed", () => {
  it("streams task rows as they change (redacted) and the polled areas, and ends when the client goes away", async () => {
    const gone = new AbortController();
    const response = await h.dashboard.handle(h.request("GET", "events", { signal: gone.signal }));
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const body = response.body!;
    const first = await readEvents(body, (e) => e.event === "queues");
    expect(first.map((e) => e.event)).toContain("queues");

    const id = await send(names.secret, ["the-secret"]);
    const events = await readEvents(body, (e) => e.event === "tasks" && e.data.some((row: { id: string; status: string }) => row.id === id && row.status === "SUCCESS"));
    const rows = events.filter((e) => e.event === "tasks").flatMap((e) => e.data).filter((row: { id: string }) => row.id === id);
    expect(rows.every((row: { args: unknown }) => row.args === REDACTED)).toBe(true);
    expect(JSON.stringify(events)).not.toContain("the-secret");

    gone.abort();
    const reader = body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read());
  });
});

describe("metrics", () => {
  const scrape = (authorization?: string) => h.call("GET", "/api/metrics", { headers: authorization === undefined ? {} : { authorization } });

  it("answers only the bearer token: 401 without it or with another, never echoing it", async () => {
    for (const authorization of [undefined, "Bearer wrong", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const answer = await scrape(authorization);
      expect(answer.status, String(authorization)).toBe(401);
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(JSON.stringify(answer.body)).not.toContain(TOKEN);
    }
  });

  it("counts the tasks this process heard end, by task and outcome, with their runtimes; queue depths and workers at scrape", async () => {
    await scrape(`Bearer ${TOKEN}`); // listening from the first request on
    await finished(await send(names.add, [1, 2]));
    await finished(await send(names.add, [3, 4]));
    await finished(await send(names.fails, []));
    const text = await eventually(
      async () => (await scrape(`Bearer ${TOKEN}`)).body as string,
      (body) => body.includes(`celeriac_tasks_total{task="${names.add}",outcome="SUCCESS"} 2`) && body.includes(`celeriac_tasks_total{task="${names.fails}",outcome="FAILURE"} 1`),
    );
    expect(text).toContain(`celeriac_task_runtime_seconds_count{task="${names.add}"} 2`);
    expect(text).toMatch(new RegExp(`celeriac_queue_depth\\{queue="${QUEUE}",state="waiting"\\} 0`));
    expect(text).toMatch(/celeriac_workers_online [1-9]/);
    expect(text).not.toContain("process_cpu"); // its own registry: no default metrics
  });

  it("is a 404 when no token is set", async () => {
    const bare = createDashboardHarness("dashboard-no-metrics");
    try {
      expect((await bare.call("GET", "/api/metrics", { headers: { authorization: "Bearer anything" } })).status).toBe(404);
      expect((await bare.dashboard.metrics(new Request("http://x/anywhere"))).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe("nodeHandler: the same over node:http", () => {
  let server: Server;
  let base: string;
  let passedOn: string[];

  beforeAll(async () => {
    passedOn = [];
    const handler = nodeHandler(h.dashboard);
    server = createServer((req, res) =>
      handler(req, res, () => {
        passedOn.push(req.url ?? "");
        res.writeHead(200, { "content-type": "text/plain" }).end("the app's own route");
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const staff = { "x-test-role": "staff" };

  it("serves pages, the API (reads and writes) and metrics, and passes other paths on", async () => {
    const page = await fetch(`${base}/admin/queues`, { headers: staff });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="celeriac-dashboard"');
    expect((await fetch(`${base}/admin`, { redirect: "manual" })).headers.get("location")).toBe("/login?next=%2Fadmin");

    const sent = await fetch(`${base}/api/admin/tasks/apply`, {
      method: "POST",
      headers: { ...staff, "content-type": "application/json", origin: base, "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ task: names.add, args: [20, 22], requestKey: randomUUID() }),
    });
    expect(sent.status).toBe(200);
    const { taskId } = (await sent.json()) as { taskId: string };
    expect(await eventually(async () => (await (await fetch(`${base}/api/admin/tasks/${taskId}`, { headers: staff })).json()) as { result: unknown }, (t) => t.result === 42)).toMatchObject({ result: 42 });
    expect((await fetch(`${base}/api/admin/tasks/apply`, { method: "POST", headers: { ...staff, "content-type": "application/json", origin: "https://evil.example" }, body: "{}" })).status).toBe(403);
    const big = await fetch(`${base}/api/admin/tasks/apply`, { method: "POST", headers: { ...staff, "content-type": "application/json" }, body: JSON.stringify({ task: names.add, args: ["x".repeat(100_000)] }) });
    expect(big.status).toBe(413);

    expect((await fetch(`${base}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const other = await fetch(`${base}/api/other?x=1`);
    expect(await other.text()).toBe("the app's own route");
    expect(passedOn).toEqual(["/api/other?x=1"]);
  });

  it("streams the live feed event by event, and aborts the request's signal when the client disconnects", async () => {
    const requests: Request[] = [];
    const watched = createServer(nodeHandler({ ...h.dashboard, handle: (request) => (requests.push(request), h.dashboard.handle(request)) }));
    await new Promise<void>((resolve) => watched.listen(0, "127.0.0.1", resolve));
    try {
      const gone = new AbortController();
      const feed = await fetch(`http://127.0.0.1:${(watched.address() as AddressInfo).port}/api/admin/events`, { headers: staff, signal: gone.signal });
      expect(feed.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      const events = await readEvents(feed.body!, (e) => e.event === "workers");
      expect(events.find((e) => e.event === "workers")!.data.some((w: { queues: string[] }) => w.queues.includes(QUEUE))).toBe(true);
      expect(requests[0].signal.aborted).toBe(false);
      gone.abort();
      await eventually(async () => requests[0].signal.aborted, (aborted) => aborted);
    } finally {
      watched.closeAllConnections();
      await new Promise((resolve) => watched.close(resolve));
    }
  });

  it("without next(), answers other paths 404", async () => {
    const alone = createServer(nodeHandler(h.dashboard));
    await new Promise<void>((resolve) => alone.listen(0, "127.0.0.1", resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(alone.address() as AddressInfo).port}/not-the-dashboard`);
      expect(answer.status).toBe(404);
    } finally {
      await new Promise((resolve) => alone.close(resolve));
    }
  });
});
