/**
 * The first demo end to end: the page enqueues demo.add, the worker (a separate process) runs it, and
 * the page follows its events (GET /api/tasks/[id]/events) until it shows the result, or polls
 * GET /api/tasks/[id] if the event stream breaks. Needs a build (`next build`) and Redis; see playwright.config.ts.
 */
import { expect, test } from "@playwright/test";
import { submitAdd } from "./pages";

test("adds 2 + 3 in the background and shows each state, then the result", async ({ page }, testInfo) => {
  const taskRequests: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/tasks/")) taskRequests.push(new URL(request.url()).pathname);
  });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "add x + y in the background" })).toBeVisible();
  await submitAdd(page, "2", "3");

  await expect(page.getByTestId("task-id")).toHaveText(/^[0-9a-f-]{36}$/);
  const id = await page.getByTestId("task-id").textContent();
  // The task sleeps 2 s in the worker: STARTED shows while it runs, so each event arrives as it happens.
  await expect(page.getByTestId("status")).toHaveText("STARTED", { timeout: 10_000 });
  await expect(page.getByTestId("status")).toHaveText("SUCCESS", { timeout: 15_000 });
  await expect(page.getByTestId("result")).toHaveText("result: 5");

  await expect(page.getByTestId("states").getByRole("listitem")).toHaveText(["PENDING", "STARTED", "SUCCESS"]);
  expect(page.getByTestId("form-error")).toHaveCount(0);
  expect(page.getByTestId("follow-error")).toHaveCount(0);
  // One event stream, closed after SUCCESS: no polling, no reconnection.
  expect(taskRequests).toEqual([`/api/tasks/${id}/events`]);

  await page.screenshot({ path: testInfo.outputPath("success.png"), fullPage: true });
});

test("falls back to polling when the event stream fails (e.g. a proxy that breaks SSE), states still in order", async ({ page }) => {
  await page.route("**/api/tasks/*/events", (route) => route.abort());
  const polls: string[] = [];
  page.on("request", (request) => {
    if (/\/api\/tasks\/[^/]+$/.test(new URL(request.url()).pathname)) polls.push(request.url());
  });
  await page.goto("/");
  await submitAdd(page, "4", "5");

  await expect(page.getByTestId("status")).toHaveText("SUCCESS", { timeout: 15_000 });
  await expect(page.getByTestId("result")).toHaveText("result: 9");
  await expect(page.getByTestId("states").getByRole("listitem")).toHaveText(["PENDING", "STARTED", "SUCCESS"]);
  expect(polls.length).toBeGreaterThanOrEqual(2);
  // Polling worked, so the broken stream is not worth an error line.
  expect(page.getByTestId("follow-error")).toHaveCount(0);
});

test("the events endpoint streams a real task's states in order, then ends; a reconnection after the end gets 204", async ({ request }) => {
  const accepted = await request.post("/api/add", { data: { x: 20, y: 22 } });
  expect(accepted.status()).toBe(202);
  const { id } = await accepted.json();

  // The whole stream, read until the server closes it after the finished state.
  const response = await request.get(`/api/tasks/${id}/events`, { timeout: 15_000 });
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toMatch(/^text\/event-stream/);
  expect(response.headers()["cache-control"]).toBe("no-cache, no-transform");
  expect(response.headers()["content-encoding"]).toBeUndefined(); // next start does not gzip (buffer) it
  const events = (await response.text())
    .split("\n\n")
    .filter((block) => block.trim() && !block.startsWith(":"))
    .map((block) => Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)])));
  const states = events.filter((event) => event.event === "state");
  // The stream starts with the state at connection time: PENDING, or STARTED if the worker was quicker.
  expect(["PENDING,STARTED,SUCCESS", "STARTED,SUCCESS"]).toContain(states.map((event) => event.id).join(","));
  expect(JSON.parse(states.at(-1)!.data)).toEqual({ id, name: "demo.add", status: "SUCCESS", result: 42 });
  expect(events.at(-1)).toEqual({ event: "end", data: JSON.stringify({ id, status: "SUCCESS" }) });

  const again = await request.get(`/api/tasks/${id}/events`, { headers: { "last-event-id": "SUCCESS" } });
  expect(again.status()).toBe(204);

  // A bad id is a 400 JSON answer, never a stream; so is malformed percent-encoding (proxy.ts: Next alone answers 500).
  for (const [path, error] of [
    ["/api/tasks/bad%20id/events", /invalid task id/],
    ["/api/tasks/%ZZ/events", /malformed percent-encoding/],
    ["/api/tasks/%ZZ", /malformed percent-encoding/],
  ] as const) {
    const badId = await request.get(path);
    expect(badId.status(), path).toBe(400);
    expect((await badId.json()).error, path).toMatch(error);
  }
});

test("an empty number is refused with the server's 400 message, shown inline", async ({ page }, testInfo) => {
  await page.goto("/");
  await submitAdd(page, "", "3");

  const error = page.getByTestId("form-error");
  await expect(error).toBeVisible();
  await expect(error).toContainText("x:");
  await expect(error).toContainText("expected number");
  await expect(page.getByTestId("task-id")).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("bad-input.png"), fullPage: true });
});

test("the API answers 400 to bad input and 404 to an unknown id", async ({ request }) => {
  const wrongType = await request.post("/api/add", { data: { x: "a" } });
  expect(wrongType.status()).toBe(400);
  const wrongTypeBody = await wrongType.json();
  expect(wrongTypeBody.error).toContain("x:");
  expect(wrongTypeBody.error).toContain("y:");

  const malformed = await request.post("/api/add", {
    headers: { "content-type": "application/json" },
    data: Buffer.from("{not json"), // a Buffer is sent as is; a string would be JSON-encoded
  });
  expect(malformed.status()).toBe(400);
  expect(await malformed.json()).toEqual({ error: "request body must be JSON" });

  // Also what someone else's task answers: the answer never tells whether an id exists.
  const unknown = await request.get("/api/tasks/nonexistent-id");
  expect(unknown.status()).toBe(404);
  expect(await unknown.json()).toEqual({ error: "task not found" });

  const badId = await request.get("/api/tasks/bad%20id");
  expect(badId.status()).toBe(400);
  expect((await badId.json()).error).toMatch(/invalid task id/);

  const accepted = await request.post("/api/add", { data: { x: 1, y: 2 } });
  expect(accepted.status()).toBe(202);
  const { id, name, status } = await accepted.json();
  expect({ name, status }).toEqual({ name: "demo.add", status: "PENDING" });
  await expect
    .poll(async () => (await request.get(`/api/tasks/${id}`)).json(), { timeout: 15_000, intervals: [300] })
    .toEqual({ id, name: "demo.add", status: "SUCCESS", result: 3 });
});
