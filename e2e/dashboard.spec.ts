/**
 * The operations dashboard (issue 13: Flower and the django-celery-results admin, at /admin) in Chromium,
 * against `next start`, the config's real worker and the run's e2e.db:
 * - who may see it: nobody logged in is sent to /login?next=… and comes back there after logging in (the
 *   API answers 401); a user who is not staff gets 403 "staff only" on a page and from the API;
 * - a failing task (articles.proofread, which fails while its article has a TODO): sent from one tab, it
 *   appears in another tab's Tasks list live and turns FAILURE there; its page shows the stack; the
 *   article is fixed; Retry sends a new task that goes SUCCESS, linked back, and the original links forward;
 * - a chain (the page demo's, POST /api/pages) seen from its last step: the workflow tree, nested, every
 *   step's state, this step marked, links to the others; a failed chain's later steps "not run";
 * - bulk retry of the 3 failures a filter matches, the count stated before confirming;
 * - revoke a countdown task sent with the Send form; pause the default queue (a task sent meanwhile waits:
 *   PENDING, the queue shows waiting 1), resume it (the task runs);
 * - a second worker started here (`node --import tsx worker.ts -n …`, as the config starts the first)
 *   shows online, is SIGKILLed, shows offline within 10 s and stays listed;
 * - a 2 s periodic task made in the form runs under a real beat started here (`beat.ts`, as
 *   e2e/admin.spec.ts starts one), its runs counted live; disabled, it stops;
 * - a periodic task with an unknown task is refused at save with the reason (the API; and the form, for a
 *   row whose task was renamed in the database behind the dashboard's back);
 * - screenshots of every page (test artifacts, full page; and docs/screenshots/*.png, the README's, at
 *   1280×800 and one at 390 px); at 1280 and at 390 px no page scrolls sideways and no table is wider
 *   than its box (where it would scroll sideways itself, its last columns out of sight).
 * Live means without a reload: the page's window keeps a mark (markDocument) that a reload would lose.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { expect, test, type APIRequestContext, type Locator, type Page, type TestInfo } from "@playwright/test";
import { watchCspViolations } from "./csp";
import { ORIGIN } from "./origin";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCREENSHOTS = `${ROOT}docs/screenshots`;
const PASSWORD = "dashboard-password-1";
const API = "/api/admin";
/** Live updates on a 2-core machine that runs other tests too: generous, never a measurement. */
const LIVE = { timeout: 15_000 };
const TASK_PAGE = /\/admin\/tasks\/([0-9a-f-]{36})$/;

const hex = () => randomBytes(3).toString("hex");
const uniqueEmail = (name: string) => `${name}-${randomBytes(4).toString("hex")}@example.com`;

let staffEmail: string;

async function signUp(request: APIRequestContext, name: string, email: string): Promise<void> {
  const response = await request.post("/api/signup", { data: { name, email, password: PASSWORD } });
  expect(response.status(), await response.text()).toBe(201);
}

/** `npm run celeriac -- staff <email>`, on the servers' database (process.env from the config). */
async function makeStaff(email: string): Promise<void> {
  const { stdout } = await promisify(execFile)(`${ROOT}node_modules/.bin/tsx`, ["celeriac.ts", "staff", email], { cwd: ROOT, env: process.env });
  expect(stdout).toContain(`${email} is now staff`);
}

/** Logs the page's browser context in (the session cookie is the context's, so pages and page.request share it). */
async function logIn(page: Page, email = staffEmail): Promise<void> {
  const response = await page.request.post("/api/login", { data: { email, password: PASSWORD } });
  expect(response.status(), await response.text()).toBe(200);
}

test.beforeAll(async ({ playwright }) => {
  const request = await playwright.request.newContext({ baseURL: ORIGIN });
  staffEmail = uniqueEmail("ops");
  await signUp(request, "Ops Staff", staffEmail);
  await makeStaff(staffEmail);
  await request.dispose();
});

/** An article whose body has a TODO: articles.proofread fails on it until fixArticle(). */
async function draftArticle(request: APIRequestContext): Promise<number> {
  const response = await request.post("/api/articles", { data: { title: `draft ${hex()}`, body: "Intro. TODO: the ending" } });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { article: { id: number } }).article.id;
}

async function fixArticle(request: APIRequestContext, id: number): Promise<void> {
  const response = await request.patch(`/api/articles/${id}`, { data: { body: "Intro. The ending." } });
  expect(response.status(), await response.text()).toBe(200);
}

/** POST tasks/apply with the page's own session, as the Send form does; the new task's id. */
async function sendTask(request: APIRequestContext, task: string, args: unknown[]): Promise<string> {
  const response = await request.post(`${API}/tasks/apply`, { data: { task, args, requestKey: randomUUID() } });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { taskId: string }).taskId;
}

async function expectStatus(request: APIRequestContext, id: string, status: string): Promise<void> {
  await expect.poll(async () => ((await (await request.get(`${API}/tasks/${id}`)).json()) as { status: string }).status, LIVE).toBe(status);
}

/** Fills and sends the Tasks page's "Send a task" form; the page then shows the new task: its id. */
async function sendWithForm(page: Page, task: string, args: string, more: { queue?: string; countdown?: string } = {}): Promise<string> {
  await page.getByTestId("send-task-open").click();
  await page.getByTestId("apply-task").selectOption(task);
  await page.getByTestId("apply-args").fill(args);
  if (more.queue !== undefined) await page.getByTestId("apply-queue").fill(more.queue);
  if (more.countdown !== undefined) await page.getByTestId("apply-countdown").fill(more.countdown);
  await page.getByTestId("apply-submit").click();
  await expect(page).toHaveURL(TASK_PAGE);
  return TASK_PAGE.exec(page.url())![1];
}

async function confirm(page: Page, expected?: RegExp | string): Promise<void> {
  const dialog = page.getByTestId("confirm-dialog");
  await expect(dialog).toBeVisible();
  if (expected !== undefined) await expect(dialog).toContainText(expected);
  await dialog.getByTestId("confirm-ok").click();
  await expect(dialog).toBeHidden();
}

/** A mark in the page's window: client-side navigation and live updates keep it, a reload does not. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { e2eMark?: string }).e2eMark = "not reloaded";
  });
}

async function expectNotReloaded(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { e2eMark?: string }).e2eMark), "the page was reloaded").toBe("not reloaded");
}

/** Something must NOT happen: sample `read` for `ms` and expect it to stay `value` throughout. */
async function staysFor(page: Page, ms: number, read: () => Promise<string>, value: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    expect(await read()).toBe(value);
    await page.waitForTimeout(500);
  }
  expect(await read()).toBe(value);
}

/** A child process started by a test (node --import tsx, not the tsx wrapper: a signal must reach the process itself). */
function startProcess(script: string, args: string[], ready: RegExp): { child: ChildProcess; output: string[]; ready: Promise<void>; stop(): Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, CELERIAC_ALWAYS_EAGER: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const isReady = new Promise<void>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (ready.test(output.join(""))) resolve();
    };
    child.stdout!.on("data", look);
    child.stderr!.on("data", look);
    child.once("exit", (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${output.join("")}`)));
  });
  isReady.catch(() => {}); // awaited by the test; a late exit must not be an unhandled rejection
  return {
    child,
    output,
    ready: isReady,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

test("nobody logged in is sent to /login?next= and comes back; a user who is not staff gets 403 staff only", async ({ page, browser }) => {
  await test.step("anonymous: the page redirects to the login with next, the API answers 401", async () => {
    await page.goto("/admin/tasks?status=FAILURE");
    await expect(page).toHaveURL(`${ORIGIN}/login?next=${encodeURIComponent("/admin/tasks?status=FAILURE")}`);
    const anonymous = await page.request.get(`${API}/tasks`);
    expect(anonymous.status()).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toMatch(/log in/);
  });

  await test.step("logging in returns to the page asked for", async () => {
    await page.getByLabel("Email").fill(staffEmail);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(`${ORIGIN}/admin/tasks?status=FAILURE`);
    await expect(page.getByTestId("tasks-page")).toBeVisible();
    await expect(page.getByTestId("filter-status-FAILURE")).toBeChecked();
    await expect(page.getByTestId("actor")).toHaveText(staffEmail);
    expect((await page.goto("/admin/no-such-page"))?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toBeVisible();
  });

  await test.step("a user who is not staff: 403 on a page and from the API", async () => {
    const context = await browser.newContext();
    const plain = await context.newPage();
    const email = uniqueEmail("plain");
    await signUp(plain.request, "Plain User", email);
    await logIn(plain, email);
    const response = await plain.goto("/admin/workers");
    expect(response?.status()).toBe(403);
    await expect(plain.locator("body")).toContainText("staff only");
    await expect(plain.getByTestId("workers-page")).toHaveCount(0);
    const list = await plain.request.get(`${API}/tasks`);
    expect(list.status()).toBe(403);
    expect(((await list.json()) as { error: string }).error).toMatch(/staff only/);
    const apply = await plain.request.post(`${API}/tasks/apply`, { data: { task: "demo.add", args: [1, 2], requestKey: randomUUID() } });
    expect(apply.status()).toBe(403);
    await context.close();
  });
});

test("a failing task shows live, FAILURE with its stack; fixed and retried, the new task succeeds, linked both ways", async ({ page, context }) => {
  const violations = watchCspViolations(page);
  await logIn(page);
  const articleId = await draftArticle(page.request);

  await page.goto("/admin/tasks");
  await expect(page.getByTestId("tasks-page")).toBeVisible();
  await markDocument(page);

  let failedId = "";
  await test.step("sent from another tab, it appears in this tab's list live and turns FAILURE", async () => {
    const sender = await context.newPage();
    await sender.goto("/admin/tasks");
    failedId = await sendWithForm(sender, "articles.proofread", `[${articleId}]`);
    await sender.close();
    const row = page.getByTestId(`task-row-${failedId}`);
    await expect(row).toBeVisible(LIVE);
    await expect(row).toHaveAttribute("data-status", "FAILURE", LIVE);
    await expect(row).toContainText("DraftNotReadyError");
    await expectNotReloaded(page);
  });

  await test.step("its page shows the error and the stack", async () => {
    await page.getByTestId(`task-link-${failedId}`).click();
    await expect(page).toHaveURL(new RegExp(`/admin/tasks/${failedId}$`));
    await expect(page.getByTestId("task-status").getByTestId("status-badge")).toHaveAttribute("data-status", "FAILURE");
    await expect(page.getByTestId("task-args")).toContainText(String(articleId));
    const stack = page.getByTestId("task-stack");
    await expect(stack).toContainText(`DraftNotReadyError: article ${articleId} still has a TODO`);
    await expect(stack).toContainText(/\n\s+at .*articles/);
    await expect(page.getByTestId("task-timeline")).toContainText("Done");
    await expect(page.getByTestId("action-revoke")).toHaveCount(0);
  });

  let retryId = "";
  await test.step("fixed, then retried: the new task goes SUCCESS and links back", async () => {
    await fixArticle(page.request, articleId);
    await page.getByTestId("action-retry").click();
    await confirm(page, "Retry this task?");
    await expect(page).not.toHaveURL(new RegExp(`/admin/tasks/${failedId}$`));
    await expect(page).toHaveURL(TASK_PAGE);
    retryId = TASK_PAGE.exec(page.url())![1];
    await expect(page.getByTestId("notice")).toContainText(`retried as ${retryId}`);
    await expect(page.getByTestId("task-status").getByTestId("status-badge")).toHaveAttribute("data-status", "SUCCESS", LIVE);
    await expect(page.getByTestId("task-result")).toContainText('"words": 3');
    await expect(page.getByTestId("task-retried-from").getByTestId(`task-link-${failedId}`)).toBeVisible();
    await expectNotReloaded(page);
  });

  await test.step("the original links forward to its retry and stays FAILURE", async () => {
    await page.getByTestId("task-retried-from").getByTestId(`task-link-${failedId}`).click();
    await expect(page).toHaveURL(new RegExp(`/admin/tasks/${failedId}$`));
    await expect(page.getByTestId("task-status").getByTestId("status-badge")).toHaveAttribute("data-status", "FAILURE");
    await expect(page.getByTestId("task-retried-to").getByTestId(`task-link-${retryId}`)).toBeVisible();
  });

  await test.step("the list shows both, the retry marked", async () => {
    await page.getByTestId("nav-tasks").click();
    await expect(page.getByTestId(`task-row-${retryId}`)).toHaveAttribute("data-status", "SUCCESS");
    await expect(page.getByTestId(`task-row-${retryId}`)).toContainText("retry");
    await expect(page.getByTestId(`task-row-${failedId}`)).toHaveAttribute("data-status", "FAILURE");
  });
  expect(violations).toEqual([]);
});

/** POST /api/pages: the demo's chain fetchPage → parsePage → storePageInfo for `url`; its steps, in order. */
async function sendPageChain(request: APIRequestContext, url: string): Promise<Array<{ name: string; taskId: string }>> {
  const response = await request.post("/api/pages", { data: { url } });
  expect(response.status(), await response.text()).toBe(202);
  return ((await response.json()) as { steps: Array<{ name: string; taskId: string }> }).steps;
}

test("a chain's last step shows the workflow as a tree with each step's state; a failed chain's later steps say they never ran", async ({ page }) => {
  await logIn(page);
  const steps = await sendPageChain(page.request, `${ORIGIN}/sample-page.html`);
  const [first, second, last] = steps.map((step) => step.taskId) as [string, string, string];
  await expectStatus(page.request, last, "SUCCESS");
  await page.goto(`/admin/tasks/${last}`);
  const tree = page.getByTestId("task-workflow");
  await expect(tree.getByRole("heading", { name: "Workflow" })).toBeVisible(LIVE);
  // Nested lists: each step inside the item of the one before, every one SUCCESS, this one marked.
  const firstNode = tree.getByTestId(`wf-node-${first}`);
  await expect(firstNode).toHaveAttribute("data-status", "SUCCESS");
  await expect(firstNode.getByTestId(`wf-node-${second}`)).toHaveAttribute("data-status", "SUCCESS");
  await expect(firstNode.getByTestId(`wf-node-${second}`).getByTestId(`wf-node-${last}`)).toHaveAttribute("data-status", "SUCCESS");
  await expect(tree.getByTestId(`wf-node-${last}`)).toHaveAttribute("aria-current", "true");
  await expect(tree.locator("[aria-current=true]")).toHaveCount(1);
  // A step's name links to its own page, where the same tree marks that step.
  await firstNode.getByRole("link", { name: "pages.fetchPage", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/tasks/${first}$`));
  await expect(page.getByTestId("task-workflow").getByTestId(`wf-node-${first}`)).toHaveAttribute("aria-current", "true");

  const failed = (await sendPageChain(page.request, `${ORIGIN}/no-such-page.html`)).map((step) => step.taskId) as [string, string, string];
  await expectStatus(page.request, failed[2], "FAILURE");
  await page.goto(`/admin/tasks/${failed[2]}`);
  const failedTree = page.getByTestId("task-workflow");
  await expect(failedTree.getByTestId(`wf-node-${failed[0]}`)).toHaveAttribute("data-status", "FAILURE", LIVE);
  await expect(failedTree.getByTestId(`wf-not-run-${failed[0]}`)).toHaveCount(0);
  for (const id of [failed[1], failed[2]]) {
    await expect(failedTree.getByTestId(`wf-node-${id}`)).toHaveAttribute("data-status", "FAILURE");
    await expect(failedTree.getByTestId(`wf-not-run-${id}`)).toHaveText("not run: the chain stopped at pages.fetchPage");
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(failedTree.getByTestId(`wf-not-run-${failed[2]}`)).toBeVisible();
  await expectNoSidewaysScroll(page, "a failed chain's task detail");
});

test("bulk retry takes the 3 failures the filter matches, stating the count before it sends them", async ({ page }) => {
  await logIn(page);
  const articleId = await draftArticle(page.request);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await sendTask(page.request, "articles.proofread", [articleId]));
  // The arguments' JSON text: "[17]" is in no other proofread's arguments (not "[170]").
  await page.goto(`/admin/tasks?name=articles.proofread&q=${encodeURIComponent(`[${articleId}]`)}`);
  for (const id of ids) await expect(page.getByTestId(`task-row-${id}`)).toHaveAttribute("data-status", "FAILURE", LIVE);
  await expect(page.locator("[data-testid^=task-row-]")).toHaveCount(3);

  await fixArticle(page.request, articleId);
  await page.getByTestId("bulk-retry").click();
  await confirm(page, "Retry 3 failed or revoked tasks?");
  await expect(page.getByTestId("notice")).toContainText("retried 3 tasks");
  // The 3 originals stay FAILURE; their 3 retries (same arguments: the same filter) succeed.
  await expect(page.locator("[data-testid^=task-row-]")).toHaveCount(6, LIVE);
  await expect(page.locator("[data-testid^=task-row-][data-status=SUCCESS]")).toHaveCount(3, LIVE);
  for (const id of ids) await expect(page.getByTestId(`task-row-${id}`)).toHaveAttribute("data-status", "FAILURE");
});

test("a countdown task sent with the Send form waits PENDING and is revoked", async ({ page }) => {
  await logIn(page);
  await page.goto("/admin/tasks");
  const id = await sendWithForm(page, "demo.add", "[20, 22]", { countdown: "300" });
  await expect(page.getByTestId("notice")).toContainText(`sent demo.add as ${id}`);
  const status = page.getByTestId("task-status").getByTestId("status-badge");
  await expect(status).toHaveAttribute("data-status", "PENDING");
  await expect(page.getByTestId("action-terminate")).toHaveCount(0);
  await page.getByTestId("action-revoke").click();
  await confirm(page, "Revoke this task?");
  await expect(status).toHaveAttribute("data-status", "REVOKED", LIVE);
  await expect(page.getByTestId("action-revoke")).toHaveCount(0);
  await expect(page.getByTestId("action-retry")).toBeVisible(); // a REVOKED task can be retried
  await expectStatus(page.request, id, "REVOKED");
});

test("a paused queue keeps a task waiting; resumed, the task runs", async ({ page }) => {
  await logIn(page);
  const queue = page.getByTestId("queue-row-default");
  try {
    await page.goto("/admin/queues");
    await expect(queue).toHaveAttribute("data-paused", "false");
    await queue.getByTestId("queue-pause").click();
    await confirm(page, "Pause default?");
    await expect(queue).toHaveAttribute("data-paused", "true");
    await expect(queue.getByTestId("queue-paused")).toBeVisible();

    await page.getByTestId("nav-tasks").click();
    const id = await sendWithForm(page, "demo.add", "[2, 3]");
    await page.getByTestId("nav-queues").click();
    await expect(queue.getByTestId("queue-waiting")).toHaveText("1", LIVE);
    await markDocument(page);
    // Waiting in the queue, not taken: the worker would have started it within a second otherwise.
    await expectStatus(page.request, id, "PENDING");

    await queue.getByTestId("queue-resume").click();
    await confirm(page, "Resume default?");
    await expect(queue).toHaveAttribute("data-paused", "false");
    await expect(queue.getByTestId("queue-waiting")).toHaveText("0", LIVE);
    await expectNotReloaded(page);
    await expectStatus(page.request, id, "SUCCESS");
    await page.goto(`/admin/tasks/${id}`);
    await expect(page.getByTestId("task-result")).toHaveText("5");
  } finally {
    // Never leave the default queue paused for the tests after this one.
    await page.request.post(`${API}/queues/default/resume`, { data: { requestKey: randomUUID() } });
  }
});

test("a worker killed with SIGKILL shows offline within 10 s and stays listed", async ({ page }) => {
  test.setTimeout(90_000);
  await logIn(page);
  const hostname = `doomed-${hex()}@e2e`;
  const worker = startProcess("worker.ts", ["-n", hostname, "-c", "2"], /ready\./);
  try {
    await worker.ready;
    await page.goto("/admin/workers");
    const row = page.getByTestId(`worker-row-${hostname}`);
    await expect(row).toHaveAttribute("data-state", "online", LIVE);
    await expect(row).toContainText(`pid ${worker.child.pid}`);
    await expect(row.getByTestId("worker-shutdown")).toBeVisible();
    await markDocument(page);

    worker.child.kill("SIGKILL");
    await expect(row).toHaveAttribute("data-state", "offline", { timeout: 10_000 });
    await expect(row.getByTestId("worker-state")).toHaveText("offline");
    await expect(row.getByTestId("worker-shutdown")).toHaveCount(0);
    await expectNotReloaded(page);

    // Kept by the server, not only by this page: a fresh load lists it, offline, beside the config's worker.
    await page.reload();
    await expect(row).toHaveAttribute("data-state", "offline");
    await expect(page.locator("[data-testid^=worker-row-][data-state=online]")).not.toHaveCount(0);
  } finally {
    await worker.stop();
  }
});

test("a 2 s periodic task made in the form runs live under a real beat; disabled, its runs stop", async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page);
  const name = `every-2s-${hex()}`;
  // A task that ends at once (demo.add sleeps 2 s: its last run would always be the one still running).
  const articleId = await draftArticle(page.request);
  await fixArticle(page.request, articleId);
  const beat = startProcess("beat.ts", [], /beat \S+ ready\./);
  try {
    await beat.ready;
    await test.step("made in the form", async () => {
      await page.goto("/admin/periodic-tasks");
      await page.getByTestId("periodic-new").click();
      await expect(page).toHaveURL(/\/admin\/periodic-tasks\/new$/);
      const form = page.getByTestId("periodic-form");
      await form.locator("[name=name]").fill(name);
      await form.locator("[name=task]").selectOption("articles.proofread");
      await form.locator("[name=args]").fill(`[${articleId}]`);
      await form.locator("[name=kind]").selectOption("interval");
      await form.locator("[name=every]").fill("2");
      await form.locator("[name=period]").selectOption("seconds");
      await page.getByTestId("periodic-save").click();
      await expect(page).toHaveURL(/\/admin\/periodic-tasks$/);
    });

    const row = page.getByTestId(`periodic-row-${name}`);
    const runs = row.getByTestId("periodic-total-runs");
    await test.step("beat leads; runs appear live", async () => {
      await expect(row.getByTestId("periodic-source")).toHaveText("admin");
      await expect(row.getByTestId("periodic-schedule")).toHaveText("every 2s");
      await markDocument(page);
      await expect(page.getByTestId("beat-leader")).toContainText("Beat leader", { timeout: 45_000 });
      await expect(runs).not.toHaveText("0", { timeout: 30_000 });
      const first = Number(await runs.textContent());
      const lastRun = row.getByTestId("periodic-last-run-link");
      const firstLink = await lastRun.getAttribute("href");
      await expect.poll(async () => Number(await runs.textContent()), LIVE).toBeGreaterThan(first);
      await expect(lastRun).not.toHaveAttribute("href", firstLink!, LIVE);
      await expect(lastRun.getByTestId("status-badge")).toHaveAttribute("data-status", "SUCCESS", LIVE);
      await expectNotReloaded(page);
    });

    await test.step("disabled: the count stays the same over several intervals", async () => {
      // click(), not uncheck(): the box is controlled, it shows the row's state once the PATCH answered.
      await row.getByTestId("periodic-enabled").click();
      await expect(row).toHaveAttribute("data-enabled", "false");
      const id = await row.getAttribute("data-id");
      const counted = async () => String(((await (await page.request.get(`${API}/periodic-tasks/${id}`)).json()) as { totalRunCount: number }).totalRunCount);
      // A slot beat had already claimed when the row was disabled may still be counted: let it land.
      await expect.poll(async () => (await counted()) === (await runs.textContent()), LIVE).toBe(true);
      await page.waitForTimeout(2_500);
      const settled = await counted();
      await staysFor(page, 6_000, counted, settled);
      await expect(runs).toHaveText(settled);
    });

    // Kept, disabled: the Periodic tasks screenshot shows a row with runs and its last run's outcome.
  } finally {
    await beat.stop();
  }
});

test("a periodic task whose task is unknown is refused at save, with the reason", async ({ page }) => {
  await logIn(page);
  const schedule = { kind: "interval", every: 10, period: "minutes" };

  await test.step("the API: 400 naming the task field", async () => {
    const refused = await page.request.post(`${API}/periodic-tasks`, { data: { name: `unknown-${hex()}`, task: "demo.nope", args: [], schedule, requestKey: randomUUID() } });
    expect(refused.status()).toBe(400);
    const body = (await refused.json()) as { error: string; field?: string };
    expect(body.field).toBe("task");
    expect(body.error).toMatch(/no task named "demo.nope" is registered/);
  });

  await test.step("the form: a row whose task was renamed behind the dashboard shows the problem and cannot be saved so", async () => {
    const name = `renamed-${hex()}`;
    const created = await page.request.post(`${API}/periodic-tasks`, { data: { name, task: "demo.add", args: [1, 2], schedule, enabled: false, requestKey: randomUUID() } });
    expect(created.status(), await created.text()).toBe(201);
    const { id } = (await created.json()) as { id: number };
    // Written by other means, as beat's own check expects some rows to be: the dashboard never saves such a row.
    const sqlite = new Database(process.env.DATABASE_URL!.replace(/^file:/, ""), { timeout: 10_000 });
    try {
      expect(sqlite.prepare('UPDATE "PeriodicTask" SET "task" = ? WHERE "id" = ?').run("demo.retired", id).changes).toBe(1);
    } finally {
      sqlite.close();
    }

    await page.goto("/admin/periodic-tasks");
    const row = page.getByTestId(`periodic-row-${name}`);
    await expect(row.getByTestId("periodic-problem")).toContainText('no task named "demo.retired" is registered');
    await row.getByTestId("periodic-edit").click();
    await expect(page).toHaveURL(new RegExp(`/admin/periodic-tasks/${id}$`));
    const task = page.getByTestId("periodic-form").locator("[name=task]");
    await expect(task).toHaveValue("demo.retired");
    await expect(task.locator("option:checked")).toHaveText(/unknown: not registered/);
    await page.getByTestId("periodic-save").click();
    await expect(page.getByTestId("field-error-task")).toContainText('no task named "demo.retired" is registered');
    await expect(page).toHaveURL(new RegExp(`/admin/periodic-tasks/${id}$`));

    await task.selectOption("demo.add");
    await expect(page.getByTestId("field-error-task")).toHaveCount(0);
    await page.getByTestId("periodic-save").click();
    await expect(page).toHaveURL(/\/admin\/periodic-tasks$/);
    await expect(row.getByTestId("periodic-problem")).toHaveCount(0);
    expect((await page.request.delete(`${API}/periodic-tasks/${id}`, { data: { requestKey: randomUUID() } })).status()).toBe(200);
  });
});

/** A full-page PNG as the test's artifact, and the viewport (the README's size) in docs/screenshots. */
async function capture(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const artifact = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: artifact, fullPage: true });
  await testInfo.attach(name, { path: artifact, contentType: "image/png" });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
}

async function expectNoSidewaysScroll(page: Page, what: string): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth, `${what} scrolls sideways at ${clientWidth} px`).toBeLessThanOrEqual(clientWidth);
}

/** No table wider than its box: a wider one would scroll inside it, its last columns out of sight. */
async function expectTablesFit(page: Page, what: string): Promise<void> {
  const tables = await page.locator("table").evaluateAll((elements) =>
    elements.map((table) => ({
      name: table.getAttribute("data-testid") ?? table.className,
      width: table.scrollWidth,
      room: table.parentElement?.clientWidth ?? 0,
    })),
  );
  for (const table of tables) {
    expect.soft(table.width, `${what}: table ${table.name} is ${table.width} px wide in its ${table.room} px box`).toBeLessThanOrEqual(table.room);
  }
}

test("every page fits 1280 and 390 px without scrolling sideways, every table its box; screenshots for the README", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await logIn(page);
  // Data of its own, so the charts and the detail have something to show when this test runs alone.
  const articleId = await draftArticle(page.request);
  const failedId = await sendTask(page.request, "articles.proofread", [articleId]);
  const addId = await sendTask(page.request, "demo.add", [3, 4]);
  // The task detail's screenshot: a failed chain's last step, its workflow tree above the error.
  const chainId = (await sendPageChain(page.request, `${ORIGIN}/no-such-page.html`)).at(-1)!.taskId;
  await expectStatus(page.request, failedId, "FAILURE");
  await expectStatus(page.request, addId, "SUCCESS");
  await expectStatus(page.request, chainId, "FAILURE");

  const pages: Array<{ name: string; path: string; ready: (page: Page) => Locator }> = [
    { name: "overview", path: "/admin", ready: (p) => p.getByTestId("chart-runtimes").locator("canvas") },
    { name: "tasks", path: "/admin/tasks", ready: (p) => p.getByTestId(`task-row-${addId}`) },
    { name: "task-detail", path: `/admin/tasks/${chainId}`, ready: (p) => p.getByTestId(`wf-not-run-${chainId}`) },
    { name: "task-detail-alone", path: `/admin/tasks/${failedId}`, ready: (p) => p.getByTestId("task-stack") },
    { name: "workers", path: "/admin/workers", ready: (p) => p.locator("[data-testid^=worker-row-][data-state=online]").first() },
    { name: "queues", path: "/admin/queues", ready: (p) => p.getByTestId("queue-row-default") },
    { name: "periodic-tasks", path: "/admin/periodic-tasks", ready: (p) => p.getByTestId("beat-leader") },
    { name: "periodic-task-form", path: "/admin/periodic-tasks/new", ready: (p) => p.getByTestId("periodic-form") },
    { name: "audit", path: "/admin/audit", ready: (p) => p.getByTestId("audit") },
  ];
  const README = new Set(["overview", "tasks", "task-detail", "workers", "queues", "periodic-tasks"]);

  await test.step("1280 × 800", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const each of pages) {
      await page.goto(each.path);
      await expect(each.ready(page)).toBeVisible(LIVE);
      if (each.name === "overview") {
        await expect(page.getByTestId("chart-per-minute").locator("canvas")).toBeVisible();
        await expect(page.getByTestId("overview-hour-succeeded")).not.toHaveText("0");
        await expect(page.getByTestId("overview-hour-failed")).not.toHaveText("0");
        await expect(page.getByTestId("overview-workers-online")).not.toHaveText("0");
        await expect(page.getByTestId("overview-queue-default")).toBeVisible();
      }
      await expectNoSidewaysScroll(page, each.name);
      await expectTablesFit(page, each.name);
      if (README.has(each.name)) await capture(page, testInfo, each.name);
    }
  });

  await test.step("390 px (a phone)", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const each of pages) {
      await page.goto(each.path);
      await expect(each.ready(page)).toBeVisible(LIVE);
      await expectNoSidewaysScroll(page, each.name);
      await expectTablesFit(page, each.name);
      if (each.name === "periodic-tasks") await capture(page, testInfo, "periodic-tasks-phone");
    }
  });
});
