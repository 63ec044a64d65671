/**
 * The periodic-task admin (issue 6, django-celery-beat's admin) in the browser, against the run's e2e.db:
 * - nobody logged in: the page sends to /login, the API answers 401; a user who is not staff: "403 staff
 *   only" and API 403;
 * - a user made staff with the real command (`tsx celeriac.ts staff <email>`, the same DATABASE_URL as the
 *   servers) creates an interval task, sees it as "admin", gets inline errors (malformed JSON arguments;
 *   a crontab field the server refuses), edits, disables and deletes it;
 * - the API: 400 with a message for an invalid crontab field, a non-JSON body and a malformed field; 404
 *   for an unknown id; 403 for a cross-site write;
 * - settings rows, honestly: a real beat (`tsx beat.ts`, same database and Redis prefix) syncs
 *   settings.beatSchedule into managed rows; the page shows them as "settings" and the beat leader; an edit
 *   detaches one ("settings, edited in admin") and "Return to settings" hands it back.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { watchCspViolations } from "./csp";
import { ORIGIN } from "./origin";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const PASSWORD = "admin-password-1";
const LIST = "/admin/periodic-tasks";
const API = "/api/admin/periodic-tasks";

const uniqueEmail = (name: string) => `${name}-${randomBytes(4).toString("hex")}@example.com`;

async function signUp(request: APIRequestContext, name: string, email: string) {
  const response = await request.post("/api/signup", { data: { name, email, password: PASSWORD } });
  expect(response.status(), await response.text()).toBe(201);
}

async function logIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("logged-in")).toBeVisible();
}

/** `npm run celeriac -- staff <email>`, run the way npm would, on the servers' database (process.env from the config). */
async function makeStaff(email: string) {
  const { stdout } = await promisify(execFile)(TSX, ["celeriac.ts", "staff", email], { cwd: ROOT, env: process.env });
  expect(stdout).toContain(`${email} is now staff`);
}

const row = (page: Page, name: string) => page.locator(`tr[data-testid="task-row"][data-name="${name}"]`);

test("nobody logged in goes to /login (API 401); a user who is not staff gets 403 staff only", async ({ page }) => {
  await page.goto(LIST);
  await expect(page).toHaveURL(/\/login$/);
  const anonymous = await page.request.get(API);
  expect(anonymous.status()).toBe(401);
  expect((await anonymous.json()).error).toMatch(/log in/);

  const email = uniqueEmail("plain");
  await signUp(page.request, "Plain User", email);
  await logIn(page, email);
  expect((await page.goto(LIST))?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "403: staff only" })).toBeVisible();
  await expect(page.getByTestId("forbidden")).toContainText("staff only");
  await expect(page.getByText("You are logged in as Plain User.")).toBeVisible();
  await expect(page.getByTestId("periodic-tasks")).toHaveCount(0);
  expect((await page.goto(`${LIST}/new`))?.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toBeVisible();
  expect((await page.goto(`${LIST}/1`))?.status()).toBe(403);

  const list = await page.request.get(API);
  expect(list.status()).toBe(403);
  expect((await list.json()).error).toMatch(/staff only/);
  const create = await page.request.post(API, { data: { name: "x", task: "demo.add", schedule: { kind: "interval", every: 1, period: "minutes" } } });
  expect(create.status()).toBe(403);
});

test("staff create an interval task, see it as admin, edit, disable and delete it", async ({ page }, testInfo) => {
  const email = uniqueEmail("staff");
  const name = `e2e-add-${randomBytes(3).toString("hex")}`;
  const violations = watchCspViolations(page); // the admin's client components under the pages' CSP
  await signUp(page.request, "Staff User", email);
  await makeStaff(email);
  await logIn(page, email);

  await test.step("the list, with the beat line", async () => {
    await page.goto("/admin"); // redirects to the list
    await expect(page).toHaveURL(new RegExp(`${LIST}$`));
    await expect(page.getByRole("heading", { name: "Periodic tasks" })).toBeVisible();
    await expect(page.getByTestId("beat-leader")).toHaveText(/no beat running|beat leader: /);
  });

  await test.step("create: malformed JSON arguments are shown inline, then it saves", async () => {
    await page.getByRole("link", { name: "New periodic task" }).click();
    await expect(page).toHaveURL(new RegExp(`${LIST}/new$`));
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Task", { exact: true }).fill("demo.add");
    await page.getByLabel("Arguments (JSON array)").fill("[2, 3");
    await page.getByLabel("Schedule kind").selectOption("interval");
    await page.getByLabel("Every").fill("10");
    await page.getByLabel("Period").selectOption("minutes");
    await page.getByRole("button", { name: "Create periodic task" }).click();
    await expect(page.getByTestId("args-error")).toContainText("Not valid JSON");
    await page.getByLabel("Arguments (JSON array)").fill("[2, 3]");
    await page.getByRole("button", { name: "Create periodic task" }).click();
    await expect(page).toHaveURL(new RegExp(`${LIST}$`));
  });

  await test.step("listed as an admin row with its schedule, arguments and next run", async () => {
    const r = row(page, name);
    await expect(r.getByTestId("source")).toHaveText("admin");
    await expect(r.getByTestId("schedule")).toHaveText("every 10m");
    await expect(r).toContainText("[2,3]");
    await expect(r.getByTestId("enabled")).toHaveText("yes");
    await expect(r.getByTestId("next-run").locator("time")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await expect(r.getByRole("button", { name: "Return to settings" })).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath("admin-list.png"), fullPage: true });
  });

  await test.step("edit: a crontab field the server refuses is shown next to it; then every 5 minutes", async () => {
    await row(page, name).getByRole("link", { name: "Edit" }).click();
    await expect(page).toHaveURL(new RegExp(`${LIST}/\\d+$`));
    await expect(page.getByTestId("edit-source")).toContainText("admin");
    await expect(page.getByLabel("Name")).toHaveValue(name);
    await page.getByLabel("Schedule kind").selectOption("crontab");
    await page.getByLabel("Minute").fill("99");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByTestId("minute-error")).toContainText("out of range");
    await page.getByLabel("Schedule kind").selectOption("interval");
    await page.getByLabel("Every").fill("5");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page).toHaveURL(new RegExp(`${LIST}$`));
    await expect(row(page, name).getByTestId("schedule")).toHaveText("every 5m");
    await expect(row(page, name).getByTestId("source")).toHaveText("admin");
  });

  await test.step("disable, then delete", async () => {
    await row(page, name).getByRole("button", { name: "Disable" }).click();
    await expect(row(page, name).getByTestId("enabled")).toHaveText("no");
    await expect(row(page, name).getByTestId("next-run")).toHaveText("—");
    await expect(row(page, name).getByRole("button", { name: "Enable" })).toBeVisible();
    page.once("dialog", (dialog) => void dialog.accept());
    await row(page, name).getByRole("button", { name: "Delete" }).click();
    await expect(row(page, name)).toHaveCount(0);
    const list = (await (await page.request.get(API)).json()) as { tasks: { name: string }[] };
    expect(list.tasks.map((t) => t.name)).not.toContain(name);
  });
  expect(violations).toEqual([]);
});

test("the API: 400 with a message for invalid fields and non-JSON bodies, 404 unknown id, 403 cross-site", async ({ page }) => {
  const email = uniqueEmail("api");
  await signUp(page.request, "Api User", email);
  await makeStaff(email);
  await logIn(page, email);
  const crontab = { kind: "crontab", minute: "99", hour: "*", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: null };

  const badField = await page.request.post(API, { data: { name: "bad-crontab", task: "demo.add", schedule: crontab } });
  expect(badField.status()).toBe(400);
  const badFieldBody = await badField.json();
  expect(badFieldBody.error).toMatch(/crontab minute "99" is invalid: 99 is out of range 0-59/);
  expect(badFieldBody.fields).toEqual({ minute: badFieldBody.error });

  const badZone = await page.request.post(API, { data: { name: "bad-zone", task: "demo.add", schedule: { ...crontab, minute: "0", timezone: "Mars/Olympus" } } });
  expect(badZone.status()).toBe(400);
  expect((await badZone.json()).error).toMatch(/"Mars\/Olympus" is not an IANA time zone/);

  const notJson = await page.request.post(API, { headers: { "content-type": "application/json" }, data: Buffer.from("{name: oops") });
  expect(notJson.status()).toBe(400);
  expect(await notJson.json()).toEqual({ error: "request body must be JSON" });
  const jsonButNotObject = await page.request.post(API, { headers: { "content-type": "application/json" }, data: Buffer.from('"a string"') });
  expect(jsonButNotObject.status()).toBe(400);
  expect((await jsonButNotObject.json()).error).toMatch(/^invalid request: body: .*expected object/);

  const malformed = await page.request.post(API, { data: { name: "", task: "demo.add", schedule: { kind: "interval", every: 1, period: "weeks" } } });
  expect(malformed.status()).toBe(400);
  const malformedBody = await malformed.json();
  expect(malformedBody.error).toMatch(/^invalid request: /);
  expect(Object.keys(malformedBody.fields)).toEqual(expect.arrayContaining(["name", "schedule.period"]));

  for (const [method, data] of [["GET"], ["PUT", { name: "x", task: "demo.add", schedule: { kind: "interval", every: 1, period: "minutes" } }], ["PATCH", { enabled: false }], ["DELETE"]] as const) {
    const response = await page.request.fetch(`${API}/999999`, { method, data });
    expect(response.status(), method).toBe(404);
    expect((await response.json()).error).toBe("no periodic task with id 999999");
  }
  expect((await page.request.get(`${API}/abc`)).status()).toBe(404);
  expect((await page.request.post(`${API}/999999/return-to-settings`)).status()).toBe(404);

  const good = { name: `api-${randomBytes(3).toString("hex")}`, task: "demo.add", args: [1, 2], schedule: { kind: "interval", every: 1, period: "hours" } };
  const crossSite = await page.request.post(API, { headers: { origin: "https://evil.example" }, data: good });
  expect(crossSite.status()).toBe(403);
  expect((await crossSite.json()).error).toMatch(/cross-site request refused/);
  const crossSiteFetch = await page.request.post(API, { headers: { "sec-fetch-site": "cross-site" }, data: good });
  expect(crossSiteFetch.status()).toBe(403);

  const created = await page.request.post(API, { headers: { origin: ORIGIN }, data: good });
  expect(created.status()).toBe(201);
  const { task } = (await created.json()) as { task: { id: number; managed: boolean; detached: boolean } };
  expect(task).toMatchObject({ managed: false, detached: false });
  const again = await page.request.post(API, { data: good });
  expect(again.status()).toBe(409);
  const notDetached = await page.request.post(`${API}/${task.id}/return-to-settings`);
  expect(notDetached.status()).toBe(409);
  expect((await page.request.delete(`${API}/${task.id}`)).status()).toBe(200);
});

test("a real beat syncs the settings rows: shown as settings with the leader; an edit detaches, return to settings", async ({ page }) => {
  test.setTimeout(90_000);
  const email = uniqueEmail("beat");
  await signUp(page.request, "Beat Watcher", email);
  await makeStaff(email);
  await logIn(page, email);

  const output: string[] = [];
  // node --import tsx, not the tsx wrapper: a signal must reach beat itself, and a SIGKILL must leave no orphan.
  const beat: ChildProcess = spawn(process.execPath, ["--import", "tsx", "beat.ts"], { cwd: ROOT, env: { ...process.env, CELERIAC_ALWAYS_EAGER: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  beat.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  beat.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => beat.once("exit", (code) => resolve(code)));
  try {
    await test.step("the beat leads and syncs settings.beatSchedule", async () => {
      await expect(async () => {
        expect(beat.exitCode, output.join("")).toBeNull();
        const body = (await (await page.request.get(API)).json()) as { beat: { leader: unknown }; tasks: { name: string; source: string }[] };
        expect(body.beat.leader).not.toBeNull();
        expect(body.tasks).toEqual(expect.arrayContaining([expect.objectContaining({ name: "add-every-30-seconds", source: "settings" })]));
      }).toPass({ timeout: 45_000, intervals: [500] });
    });

    await test.step("the page shows settings rows and the leader", async () => {
      await page.goto(LIST);
      await expect(page.getByTestId("beat-leader")).toContainText(/beat leader: .+ \(term \d+/);
      await expect(row(page, "add-every-30-seconds").getByTestId("source")).toHaveText("settings");
      await expect(row(page, "add-every-30-seconds").getByTestId("schedule")).toHaveText("every 30s");
      await expect(row(page, "expand-pending-articles-nightly").getByTestId("source")).toHaveText("settings");
      await expect(row(page, "expand-pending-articles-nightly").getByTestId("schedule")).toContainText("crontab(minute=30 hour=3)");
      await expect(row(page, "add-every-30-seconds").getByRole("button", { name: "Return to settings" })).toHaveCount(0);
      // It would come back at the next sync: settings rows can be disabled, not deleted.
      await expect(row(page, "add-every-30-seconds").getByRole("button", { name: "Delete" })).toHaveCount(0);
      const { tasks } = (await (await page.request.get(API)).json()) as { tasks: { id: number; name: string }[] };
      const managed = tasks.find((t) => t.name === "add-every-30-seconds")!;
      const refused = await page.request.delete(`${API}/${managed.id}`);
      expect(refused.status()).toBe(409);
      expect(((await refused.json()) as { error: string }).error).toMatch(/come back at the next beat sync/);
    });

    await test.step("editing a settings row's arguments detaches it; return to settings hands it back", async () => {
      await row(page, "add-every-30-seconds").getByRole("link", { name: "Edit" }).click();
      await expect(page.getByTestId("edit-source")).toContainText("settings");
      await page.getByLabel("Arguments (JSON array)").fill("[1, 1]");
      await page.getByRole("button", { name: "Save changes" }).click();
      await expect(page).toHaveURL(new RegExp(`${LIST}$`));
      const r = row(page, "add-every-30-seconds");
      await expect(r.getByTestId("source")).toHaveText("settings, edited in admin");
      await r.getByRole("button", { name: "Return to settings" }).click();
      await expect(r.getByTestId("source")).toHaveText("settings");
      await expect(r.getByRole("button", { name: "Return to settings" })).toHaveCount(0);
    });
  } finally {
    if (beat.exitCode === null) beat.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (beat.exitCode === null) beat.kill("SIGKILL");
  }
});
