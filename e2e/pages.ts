/** What several specs do on the demo's pages: send the add form, open a mail in the dev mailbox. */
import { expect, type Page } from "@playwright/test";

/** Fills the add form on the current page with x and y (as typed: "" leaves a field empty) and sends it. */
export async function submitAdd(page: Page, x: string, y: string): Promise<void> {
  await page.getByLabel("x", { exact: true }).fill(x);
  await page.getByLabel("y", { exact: true }).fill(y);
  await page.getByRole("button", { name: "Add in the background" }).click();
}

/** Opens the newest mail to `to` (whose row also matches `subject`, when given), reloading /dev/mailbox until the worker has sent it. */
export async function openMail(page: Page, to: string, subject?: RegExp): Promise<void> {
  let entry = page.getByRole("row").filter({ hasText: to });
  if (subject) entry = entry.filter({ hasText: subject });
  await expect(async () => {
    await page.goto("/dev/mailbox");
    await expect(entry.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000, intervals: [500] });
  await entry.first().getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dev\/mailbox\/\d+$/);
}
