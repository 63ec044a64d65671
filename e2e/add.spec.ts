/**
 * The first demo end to end: the page enqueues demo.add, the worker (a separate process) runs it, and
 * the page polls until it shows the result. Needs a build (`next build`) and Redis; see playwright.config.ts.
 */
import { expect, test } from "@playwright/test";

test("adds 2 + 3 in the background and shows each state, then the result", async ({ page }, testInfo) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "add x + y in the background" })).toBeVisible();
  await page.getByLabel("x", { exact: true }).fill("2");
  await page.getByLabel("y", { exact: true }).fill("3");
  await page.getByRole("button", { name: "Add in the background" }).click();

  await expect(page.getByTestId("task-id")).toHaveText(/^[0-9a-f-]{36}$/);
  // The task sleeps 2 s in the worker, so the page sees it unfinished first.
  await expect(page.getByTestId("status")).toHaveText(/^(PENDING|STARTED)$/);
  await expect(page.getByTestId("status")).toHaveText("SUCCESS", { timeout: 15_000 });
  await expect(page.getByTestId("result")).toHaveText("result: 5");

  const seen = await page.getByTestId("states").getByRole("listitem").allTextContents();
  expect(seen[0]).toBe("PENDING");
  expect(seen.at(-1)).toBe("SUCCESS");
  expect(seen.length).toBeGreaterThanOrEqual(2);
  expect(page.getByTestId("form-error")).toHaveCount(0);

  await page.screenshot({ path: testInfo.outputPath("success.png"), fullPage: true });
});

test("an empty number is refused with the server's 400 message, shown inline", async ({ page }, testInfo) => {
  await page.goto("/");
  await page.getByLabel("x", { exact: true }).fill("");
  await page.getByLabel("y", { exact: true }).fill("3");
  await page.getByRole("button", { name: "Add in the background" }).click();

  const error = page.getByTestId("form-error");
  await expect(error).toBeVisible();
  await expect(error).toContainText("x:");
  await expect(error).toContainText("expected number");
  await expect(page.getByTestId("task-id")).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("bad-input.png"), fullPage: true });
});

test("the API answers 400 to bad input and PENDING to an unknown id", async ({ request }) => {
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

  const unknown = await request.get("/api/tasks/nonexistent-id");
  expect(unknown.status()).toBe(200);
  expect(await unknown.json()).toEqual({ id: "nonexistent-id", name: null, status: "PENDING" });

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
