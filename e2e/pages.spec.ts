/**
 * Seed 002's good example in the browser: a URL goes through the chain fetchPage → parsePage →
 * storePageInfo on the real worker; the page follows each step live and shows the stored result. The URL
 * is this app's own sample page (public/sample-page.html; the worker may fetch loopback because
 * playwright.config.ts sets PAGES_ALLOW_PRIVATE_HOSTS=1); a URL that answers 404 ends the chain with a
 * FAILURE on the page and the later steps not run.
 */
import { expect, test } from "@playwright/test";
import { watchCspViolations } from "./csp";
import { ORIGIN } from "./origin";

const STEPS = ["pages.fetchPage", "pages.parsePage", "pages.storePageInfo"];

test("the sample page: the three steps go to SUCCESS, then its title, words and links are shown and listed", async ({ page }, testInfo) => {
  const violations = watchCspViolations(page);
  await page.goto("/pages");
  const url = page.getByLabel("Page URL");
  await expect(url).toHaveValue(`${ORIGIN}/sample-page.html`);
  await page.getByRole("button", { name: "Process page" }).click();

  for (const name of STEPS) {
    await expect(page.getByTestId(`step-${name}`).getByTestId("step-status")).toHaveText("SUCCESS", { timeout: 15_000 });
  }
  await expect(page.getByTestId("step-pages.fetchPage").getByRole("list", { name: "states seen" })).toContainText("SUCCESS");
  const result = page.getByTestId("page-result");
  await expect(result.getByTestId("page-title")).toHaveText("A sample page for the celeriac page demo");
  await expect(result.getByTestId("page-words")).toHaveText("48");
  await expect(result.getByTestId("page-link-count")).toHaveText("4");
  await expect(result.getByTestId("page-links").getByRole("link")).toHaveText([
    `${ORIGIN}/pages`,
    `${ORIGIN}/articles`,
    "https://docs.celeryq.dev/en/stable/userguide/canvas.html",
    `${ORIGIN}/sample-page.html`,
  ]);
  await expect(page.getByTestId("latest-pages")).toContainText("A sample page for the celeriac page demo · 48 words · 4 links");
  await page.screenshot({ path: testInfo.outputPath("pages-success.png"), fullPage: true });
  expect(violations).toEqual([]);
});

test("a URL that answers 404: FAILURE with the fetch's error, the later steps not run", async ({ page }, testInfo) => {
  const missing = `${ORIGIN}/no-such-page-${Date.now()}`;
  await page.goto("/pages");
  await page.getByLabel("Page URL").fill(missing);
  await page.getByRole("button", { name: "Process page" }).click();

  const failure = page.getByTestId("chain-failure");
  await expect(failure).toHaveText(`FAILURE in pages.fetchPage: PageFetchError: GET ${missing} answered 404 — the steps after it did not run.`, { timeout: 15_000 });
  await expect(page.getByTestId("step-pages.fetchPage").getByTestId("step-status")).toHaveText("FAILURE");
  for (const name of STEPS.slice(1)) await expect(page.getByTestId(`step-${name}`).getByTestId("step-status")).toHaveText("NOT RUN");
  await expect(page.getByTestId("page-result")).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("pages-failure.png"), fullPage: true });
});

test("a URL the route refuses is a message on the page, and nothing runs", async ({ page }) => {
  await page.goto("/pages");
  await page.getByLabel("Page URL").fill("ftp://example.com/file");
  await page.getByRole("button", { name: "Process page" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("invalid request: url: an http:// or https:// URL");
  await expect(page.getByTestId("steps")).toHaveCount(0);
});
