/**
 * Seed 004's account flows in the browser, with real mail: sign up → welcome mail → forgot password →
 * reset mail → follow its link → new password → log in. The worker sends the mail over SMTP to this run's
 * dev inbox (scripts/mail-sink.ts on port 2526, or E2E_SMTP_PORT), which stores it in e2e.db; the tests read it at /dev/mailbox.
 * SECRET_KEY is the fixed one playwright.config.ts gives the servers, so a test can sign a token too.
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { makeResetToken } from "../lib/reset-token";
import { escapeRegExp } from "../test/regexp";
import { ORIGIN } from "./origin";
import { openMail, submitAdd } from "./pages";

const RESET_SENT = "If an account exists for that address, we sent a link.";
const LINK_INVALID = "This link is invalid or has already been used.";
const LINK_EXPIRED = "This link has expired; ask for a new one.";
const WRONG_LOGIN = "Wrong email or password.";

const uniqueEmail = (name: string) => `${name}-${randomBytes(4).toString("hex")}@example.com`;

/** The user row as the server stored it (e2e.db, the file playwright.config.ts points DATABASE_URL at). */
function readUser(email: string): { id: number; passwordChangedAt: Date } {
  const file = process.env.DATABASE_URL!.slice("file:".length);
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare("SELECT id, passwordChangedAt FROM User WHERE email = ?").get(email) as
      | { id: number; passwordChangedAt: string }
      | undefined;
    if (!row) throw new Error(`no user ${email} in ${file}`);
    return { id: row.id, passwordChangedAt: new Date(row.passwordChangedAt) };
  } finally {
    db.close();
  }
}

async function logIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("sign up, welcome mail, forgotten password, reset link, log in; used and expired links refused", async ({ page, context, browser }, testInfo) => {
  test.setTimeout(90_000);
  const email = uniqueEmail("ada");
  const [firstPassword, newPassword] = ["first-password-1", "second-password-2"];
  let resetLink = "";
  let welcomeTask = "";
  let elsewhere: BrowserContext | undefined; // a session opened before the reset, in another browser

  await test.step("sign up: the page answers at once and says to check the inbox", async () => {
    await page.goto("/signup");
    await page.getByLabel("Name").fill("Ada Lovelace");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(firstPassword);
    const signedUp = page.waitForResponse((response) => response.url().endsWith("/api/signup"));
    await page.getByRole("button", { name: "Sign up" }).click();
    welcomeTask = (await (await signedUp).json()).taskId;
    await expect(page.getByTestId("signup-done")).toContainText("check your inbox");
    await expect(page.getByTestId("signup-done")).toContainText(email);
    await page.screenshot({ path: testInfo.outputPath("signed-up.png"), fullPage: true });
  });

  await test.step("the welcome-mail task is the new user's: not this anonymous visitor's to read", async () => {
    const answer = await page.request.get(`/api/tasks/${welcomeTask}`);
    expect(answer.status()).toBe(404);
    expect(await answer.json()).toEqual({ error: "task not found" }); // what an id nobody sent gets
  });

  await test.step("the welcome mail reaches the dev inbox", async () => {
    await openMail(page, email, /welcome/i);
    await expect(page.getByText("Ada Lovelace").first()).toBeVisible();
  });

  await test.step("another browser logs in with the first password", async () => {
    elsewhere = await browser.newContext();
    const other = await elsewhere.newPage();
    await logIn(other, email, firstPassword);
    await expect(other.getByTestId("logged-in")).toHaveText("Logged in as Ada Lovelace");
    expect((await elsewhere.request.get(`/api/tasks/${welcomeTask}`)).status()).toBe(200); // Ada's own task
  });

  await test.step("forgot password: the one answer", async () => {
    await page.goto("/forgot-password");
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send me a link" }).click();
    await expect(page.getByTestId("forgot-done")).toHaveText(RESET_SENT);
  });

  await test.step("the reset mail carries a link to /reset-password", async () => {
    await openMail(page, email, /reset/i);
    resetLink = await readResetLink(page);
    expect(resetLink).toMatch(new RegExp(`^${escapeRegExp(ORIGIN)}/reset-password\\?token=\\d+\\.\\d+\\.[\\w-]+$`));
  });

  await test.step("following the link sets a new password", async () => {
    await page.goto(resetLink);
    await expect(page.getByTestId("link-error")).toHaveCount(0);
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Set new password" }).click();
    await expect(page.getByTestId("password-error")).toHaveText("Use at least 8 characters.");
    await page.getByLabel("New password").fill(newPassword);
    await page.getByRole("button", { name: "Set new password" }).click();
    await expect(page.getByTestId("reset-done")).toContainText("Your password was changed");
  });

  await test.step("the reset ended the session opened before it: that browser is logged out, its task 404s", async () => {
    const other = elsewhere!.pages()[0];
    await other.reload();
    await expect(other.getByRole("button", { name: "Log in" })).toBeVisible();
    await expect(other.getByTestId("logged-in")).toHaveCount(0);
    expect((await elsewhere!.request.get(`/api/tasks/${welcomeTask}`)).status()).toBe(404);
    await elsewhere!.close();
  });

  await test.step("the old password no longer logs in; the new one does", async () => {
    await logIn(page, email, firstPassword);
    await expect(page.getByTestId("form-error")).toHaveText(WRONG_LOGIN);
    await expect(page.getByTestId("logged-in")).toHaveCount(0);

    await page.getByLabel("Password").fill(newPassword);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByTestId("logged-in")).toHaveText("Logged in as Ada Lovelace");
    await page.screenshot({ path: testInfo.outputPath("logged-in.png"), fullPage: true });

    const [cookie] = (await context.cookies()).filter((c) => c.name === "celeriac_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    await page.reload(); // the server reads the cookie
    await expect(page.getByTestId("logged-in")).toHaveText("Logged in as Ada Lovelace");
  });

  await test.step("logged in, Ada reads her welcome-mail task: counts, no address", async () => {
    const answer = await page.request.get(`/api/tasks/${welcomeTask}`);
    expect(answer.status()).toBe(200);
    const task = await answer.json();
    expect(task).toEqual({ id: welcomeTask, name: "emails.sendWelcome", status: "SUCCESS", result: { messageId: expect.any(String), accepted: 1, rejected: 0 } });
    expect(JSON.stringify(task)).not.toContain(email);
  });

  await test.step("a task Ada adds is hers: the page follows it, another browser gets the unknown id's 404", async () => {
    await page.goto("/");
    await submitAdd(page, "6", "7");
    await expect(page.getByTestId("status")).toHaveText("SUCCESS", { timeout: 15_000 });
    await expect(page.getByTestId("result")).toHaveText("result: 13");
    await expect(page.getByTestId("follow-error")).toHaveCount(0);
    const id = await page.getByTestId("task-id").textContent();
    const stranger = await browser.newContext();
    try {
      for (const path of [`/api/tasks/${id}`, `/api/tasks/${id}/events`]) {
        const answer = await stranger.request.get(path);
        expect(answer.status(), path).toBe(404);
        expect(await answer.json(), path).toEqual({ error: "task not found" });
      }
    } finally {
      await stranger.close();
    }
    await page.goto("/login");
    await expect(page.getByTestId("logged-in")).toHaveText("Logged in as Ada Lovelace");
  });

  await test.step("log out clears the session", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
    expect((await context.cookies()).filter((c) => c.name === "celeriac_session")).toEqual([]);
    await page.reload();
    await expect(page.getByTestId("logged-in")).toHaveCount(0);
  });

  await test.step("the same link again: invalid or already used, with a way to ask for a new one", async () => {
    await page.goto(resetLink);
    await expect(page.getByTestId("link-error")).toHaveText(LINK_INVALID);
    await expect(page.getByLabel("New password")).toHaveCount(0);
    await page.getByRole("link", { name: "Ask for a new link" }).click();
    await expect(page).toHaveURL(/\/forgot-password$/);
    const again = await page.request.post("/api/password/reset", { data: { token: tokenOf(resetLink), password: "third-password-3" } });
    expect(again.status()).toBe(400);
    expect(await again.json()).toEqual({ error: LINK_INVALID });
  });

  await test.step("a link made two hours ago: expired", async () => {
    const user = readUser(email);
    const token = makeResetToken(process.env.SECRET_KEY!, user, Date.now() - 2 * 60 * 60 * 1000);
    await page.goto(`/reset-password?token=${token}`);
    await expect(page.getByTestId("link-error")).toHaveText(LINK_EXPIRED);
    await expect(page.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/forgot-password");
    await page.screenshot({ path: testInfo.outputPath("expired-link.png"), fullPage: true });
    const expired = await page.request.post("/api/password/reset", { data: { token, password: "third-password-3" } });
    expect(expired.status()).toBe(400);
    expect(await expired.json()).toEqual({ error: LINK_EXPIRED });
  });
});

function tokenOf(link: string): string {
  return new URL(link).searchParams.get("token")!;
}

/** The reset link in the open mail: an <a href> if the HTML part is rendered, else the URL in the text. */
async function readResetLink(page: Page): Promise<string> {
  const pattern = /https?:\/\/[^\s"'<>]+\/reset-password\?token=[\w.-]+/;
  for (const frame of page.frames()) {
    const href = await frame.locator('a[href*="/reset-password?token="]').first().getAttribute("href", { timeout: 500 }).catch(() => null);
    if (href) return href;
  }
  const text = await page.locator("body").innerText();
  const match = pattern.exec(text);
  if (!match) throw new Error(`no reset link in the mail:\n${text}`);
  return match[0];
}

test("sign-up errors are shown next to their fields; a taken email is refused inline", async ({ page, request }, testInfo) => {
  await page.goto("/signup");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByTestId("name-error")).toHaveText("Enter your name.");
  await expect(page.getByTestId("email-error")).toHaveText("Enter a valid email address.");
  await expect(page.getByTestId("password-error")).toHaveText("Use at least 8 characters.");
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: testInfo.outputPath("signup-errors.png"), fullPage: true });

  const email = uniqueEmail("grace");
  const first = await request.post("/api/signup", { data: { name: "Grace", email, password: "password-one" } });
  expect(first.status()).toBe(201);
  expect(await first.json()).toEqual({ ok: true, taskId: expect.stringMatching(/^[\w-]+$/) });

  await page.getByLabel("Name").fill("Grace again");
  await page.getByLabel("Email").fill(email.toUpperCase()); // addresses are compared lower-cased
  await page.getByLabel("Password").fill("password-two");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByTestId("email-error")).toContainText("already exists");
  await expect(page.getByTestId("name-error")).toHaveCount(0);
  await expect(page.getByTestId("signup-done")).toHaveCount(0);

  const taken = await request.post("/api/signup", { data: { name: "Grace", email, password: "password-two" } });
  expect(taken.status()).toBe(409);
  expect((await taken.json()).error).toMatch(/already exists/);
});

test("the account API: 400 on malformed JSON, one answer for any address, one 401 for any wrong login", async ({ page, request }) => {
  for (const path of ["/api/signup", "/api/login", "/api/password/forgot", "/api/password/reset"]) {
    const malformed = await request.post(path, {
      headers: { "content-type": "application/json" },
      data: Buffer.from("{not json"), // a Buffer is sent as is; a string would be JSON-encoded
    });
    expect(malformed.status(), path).toBe(400);
    expect(await malformed.json(), path).toEqual({ error: "request body must be JSON" });
  }
  const badEmail = await request.post("/api/password/forgot", { data: { email: "nope" } });
  expect(badEmail.status()).toBe(400);
  expect((await badEmail.json()).fields).toEqual({ email: "Enter a valid email address." });

  const email = uniqueEmail("linus");
  expect((await request.post("/api/signup", { data: { name: "Linus", email, password: "password-one" } })).status()).toBe(201);

  const nobody = uniqueEmail("nobody");
  const unknown = await request.post("/api/password/forgot", { data: { email: nobody } });
  const known = await request.post("/api/password/forgot", { data: { email } });
  expect(known.status()).toBe(200);
  expect(unknown.status()).toBe(200);
  expect(await known.json()).toEqual({ ok: true, message: RESET_SENT });
  expect(await unknown.json()).toEqual(await known.json());
  expect(known.headers()["content-length"]).toBe(unknown.headers()["content-length"]);
  // The difference is only whether a mail is sent: the known address gets one, the unknown one never.
  await openMail(page, email, /reset/i);
  await page.goto("/dev/mailbox");
  await expect(page.getByRole("row").filter({ hasText: nobody })).toHaveCount(0);

  const wrongPassword = await request.post("/api/login", { data: { email, password: "password-two" } });
  const unknownUser = await request.post("/api/login", { data: { email: uniqueEmail("nobody"), password: "password-one" } });
  for (const answer of [wrongPassword, unknownUser]) {
    expect(answer.status()).toBe(401);
    expect(await answer.json()).toEqual({ error: WRONG_LOGIN });
    expect(answer.headers()["set-cookie"]).toBeUndefined();
  }
  const right = await request.post("/api/login", { data: { email, password: "password-one" } });
  expect(right.status()).toBe(200);
  expect(await right.json()).toEqual({ ok: true, name: "Linus" });
  expect(right.headers()["set-cookie"]).toMatch(/^celeriac_session=\d+\.\d+\.\d+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);

  const garbage = await request.post("/api/password/reset", { data: { token: "garbage", password: "password-three" } });
  expect(garbage.status()).toBe(400);
  expect(await garbage.json()).toEqual({ error: LINK_INVALID });
});
