/**
 * Seed 002's article flow in the browser: saving commits the article and dispatches the expansion on
 * commit; the page follows the task and shows the body the task wrote.
 */
import { expect, test } from "@playwright/test";

test("saving an article expands its abbreviations in the background", async ({ page }, testInfo) => {
  await page.goto("/articles");
  await page.getByLabel("Title").fill("Groceries");
  await page.getByLabel("Body").fill("Buy fruit, e.g. apples etc. asap.");
  await page.getByRole("button", { name: "Save article" }).click();

  await expect(page.getByTestId("saved-body")).toHaveText("Buy fruit, e.g. apples etc. asap.");
  await expect(page.getByTestId("status")).toHaveText("SUCCESS", { timeout: 15_000 });
  await expect(page.getByTestId("current-body")).toHaveText("Buy fruit, for example apples and so on as soon as possible.");
  await expect(page.getByTestId("articles")).toContainText("Groceries (expanded)");
  await page.screenshot({ path: testInfo.outputPath("article-expanded.png"), fullPage: true });
});

test("the articles API refuses bad input with a message and keeps an edit made while the task waits", async ({ request }) => {
  const missing = await request.post("/api/articles", { data: { title: "" } });
  expect(missing.status()).toBe(400);
  expect((await missing.json()).error).toMatch(/title: a title is required; body:/);

  const created = await request.post("/api/articles", { data: { title: "t", body: "one, i.e. first" } });
  expect(created.status()).toBe(201);
  const { article, taskId } = await created.json();
  const edited = await request.patch(`/api/articles/${article.id}`, { data: { body: "two, e.g. second" } });
  expect(edited.status()).toBe(200);
  const { taskId: secondTask } = await edited.json();

  for (const id of [taskId, secondTask]) {
    await expect
      .poll(async () => (await (await request.get(`/api/tasks/${id}`)).json()).status, { timeout: 15_000 })
      .toBe("SUCCESS");
  }
  const final = await (await request.get(`/api/articles/${article.id}`)).json();
  expect(final.article.body).toBe("two, for example second");

  expect((await request.get("/api/articles/999999")).status()).toBe(404);
  expect((await request.get("/api/articles/abc")).status()).toBe(400);
});
