/**
 * Seed 001's exercise 5.2 in the browser: a generated 20 MB CSV is uploaded, the page follows
 * uploads.processUpload's progress live (the bar takes at least two values before the end) and then shows
 * the summary, whose figures the test computed from the rows it generated; a file that is not CSV and one
 * over 50 MB are refused with the server's message on the page.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";

let dir: string;
test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "celeriac-e2e-upload-files-"));
});
test.afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CSV of about `bytes` bytes (every 1,000th row malformed: a field short), and the figures its summary must show. */
function generate(bytes: number) {
  const lines = ["id,amount,active,day,label"];
  let size = lines[0].length + 1;
  let rows = 0;
  let malformed = 0;
  let idSum = 0;
  let amountCents = 0;
  for (let i = 1; size < bytes; i++) {
    const line = i % 1000 === 0 ? `${i},1.00,true` : `${i},${((i % 5000) / 100).toFixed(2)},${i % 2 === 0},2024-${String((i % 12) + 1).padStart(2, "0")}-15,row number ${i}`;
    if (i % 1000 === 0) malformed += 1;
    else {
      rows += 1;
      idSum += i;
      amountCents += i % 5000;
    }
    lines.push(line);
    size += line.length + 1;
  }
  const amountSum = `${Math.floor(amountCents / 100)}${amountCents % 100 ? `.${String(amountCents % 100).padStart(2, "0").replace(/0$/, "")}` : ""}`;
  return { text: `${lines.join("\n")}\n`, rows, malformed, idSum: String(idSum), amountSum };
}

test("a 20 MB CSV: the upload answers at once, the progress bar moves, then the summary is right", async ({ page }) => {
  test.setTimeout(120_000);
  const csv = generate(20 * 1024 * 1024);
  const path = join(dir, "sales.csv");
  await writeFile(path, csv.text);

  await page.goto("/uploads");
  await page.getByLabel("CSV file", { exact: true }).setInputFiles(path);
  await page.getByRole("button", { name: "Upload", exact: true }).click();

  // Every value the bar shows until the summary appears: the task reports the bytes it has read.
  const seen = new Set<string>();
  const bar = page.getByTestId("task-progress").locator("progress");
  const summary = page.getByTestId("summary");
  const deadline = Date.now() + 90_000;
  while (!(await summary.isVisible()) && Date.now() < deadline) {
    const value = await bar.getAttribute("value", { timeout: 50 }).catch(() => null);
    if (value !== null) seen.add(value);
  }
  expect([...seen].length, `progress values seen: ${[...seen].join(", ")}`).toBeGreaterThanOrEqual(2);
  expect(Math.max(...[...seen].map(Number))).toBeLessThanOrEqual(csv.text.length);

  await expect(summary).toBeVisible();
  await expect(page.getByTestId("status")).toHaveText("SUCCESS");
  await expect(page.getByTestId("summary-rows")).toHaveText(String(csv.rows));
  await expect(page.getByTestId("summary-malformed")).toHaveText(String(csv.malformed));
  await expect(page.getByTestId("column-id").locator("td").nth(4)).toHaveText(csv.idSum);
  await expect(page.getByTestId("column-amount").locator("td").nth(0)).toHaveText("number");
  await expect(page.getByTestId("column-amount").locator("td").nth(4)).toHaveText(csv.amountSum);
  await expect(page.getByTestId("column-active").locator("td").nth(0)).toHaveText("boolean");
  await expect(page.getByTestId("column-day").locator("td").nth(0)).toHaveText("date");
  await expect(page.getByTestId("column-label").locator("td").nth(0)).toHaveText("text");
});

test("a file that is not CSV and a file over 50 MB are refused with the server's message", async ({ page }) => {
  test.setTimeout(60_000);
  const image = join(dir, "photo.png");
  await writeFile(image, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  const binaryCsv = join(dir, "archive.csv");
  await writeFile(binaryCsv, Buffer.concat([Buffer.from("PK"), Buffer.alloc(64, 0)]));
  const huge = join(dir, "huge.csv");
  await writeFile(huge, Buffer.alloc(51 * 1024 * 1024, "1,2,3\n"));

  await page.goto("/uploads");
  const error = page.getByTestId("form-error");
  for (const [file, message] of [
    [image, 'not a CSV file: "photo.png" (image/png); upload a .csv file'],
    [binaryCsv, "not a CSV file: it holds binary data (a NUL byte), not text"],
    [huge, "file too large: at most 50 MB (52428800 bytes)"],
  ]) {
    await page.getByLabel("CSV file", { exact: true }).setInputFiles(file);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(error).toHaveText(message, { timeout: 20_000 });
    await expect(page.getByTestId("task-id")).toHaveCount(0);
  }
});
