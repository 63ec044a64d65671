/**
 * POST /api/uploads and GET /api/uploads/[id] against the real route handlers and the run's database, on
 * celeriac/testing's fake queue (REDIS_URL points nowhere): an accepted CSV is a file under UPLOAD_DIR, a
 * row and one processUpload owned by the uploader; every refusal leaves no file, no row and no task. The
 * task itself, run by a real worker, is tasks/uploads.int.test.ts's.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeQueue, type FakeQueue } from "celeriac/testing";
import { pointAppAtTestRun } from "@/test/app-env";

pointAppAtTestRun("uploads-route");
const dir = await mkdtemp(join(tmpdir(), "celeriac-uploads-"));
process.env.UPLOAD_DIR = dir;
process.env.REDIS_URL = "redis://127.0.0.1:1";
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { env, secretKey } = await import("@/lib/env");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");
const { ANYONE, userOwner } = await import("@/lib/result-access");
const { UPLOAD_MAX_BYTES } = await import("@/lib/request-limits");
const { processUpload } = await import("@/tasks/uploads");
const uploads = await import("./route");
const uploadRoute = await import("./[id]/route");

const ORIGIN = new URL(env.APP_URL).origin;
const SAME_SITE = { origin: ORIGIN, "sec-fetch-site": "same-origin" };
const CSV = "name,price\napple,1.5\npear,2\n";

let queue: FakeQueue;
beforeEach(() => {
  queue = fakeQueue(celeriac);
});
afterEach(async () => {
  queue.restore();
  for (const name of await readdir(dir)) await rm(join(dir, name)); // each test starts with no file
});
afterAll(async () => {
  await celeriac.close();
  await rm(dir, { recursive: true, force: true });
});

interface Sent {
  file?: { name: string; type: string; content: string | Buffer };
  headers?: Record<string, string>;
  cookie?: string;
}

/** POST /api/uploads as a browser's FormData sends it (same-origin unless `headers` say otherwise). */
async function upload({ file = { name: "fruit.csv", type: "text/csv", content: CSV }, headers = SAME_SITE, cookie }: Sent = {}) {
  const form = new FormData();
  form.set("file", new Blob([typeof file.content === "string" ? file.content : new Uint8Array(file.content)], { type: file.type }), file.name);
  const request = new Request(`${ORIGIN}/api/uploads`, { method: "POST", body: form, headers: { ...headers, ...(cookie ? { cookie } : {}) } });
  const response = await uploads.POST(request, {});
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function read(id: string, cookie?: string) {
  const response = await uploadRoute.GET(new Request(`${ORIGIN}/api/uploads/${id}`, { headers: cookie ? { cookie } : {} }), { params: Promise.resolve({ id }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const rowCount = () => db.upload.count();
const newUser = () => db.user.create({ data: { email: `upload-${randomBytes(4).toString("hex")}@example.test`, name: "U", passwordHash: "x" } });
const cookieOf = (userId: number) => `${SESSION_COOKIE}=${makeSession(secretKey(), userId)}`;

/** Asserts that the request left nothing behind: no file (not even a partial one), no new row, no task. */
async function expectNothingStored(rowsBefore: number) {
  expect(await readdir(dir)).toEqual([]);
  expect(await rowCount()).toBe(rowsBefore);
  queue.assertNotEnqueued(processUpload);
}

describe("POST /api/uploads", () => {
  it("stores the file by id, creates the row and sends processUpload(id) on commit, owned by anyone when nobody is logged in", async () => {
    const { status, body } = await upload();
    expect(status).toBe(202);
    const id = body.id as string;
    const sent = queue.assertEnqueued(processUpload, [id], { owner: ANYONE, times: 1 });
    expect(body).toEqual({ id, taskId: sent.id });
    expect(await readFile(join(dir, `${id}.csv`), "utf8")).toBe(CSV);
    expect(await db.upload.findUniqueOrThrow({ where: { id } })).toMatchObject({ filename: "fruit.csv", size: CSV.length, status: "received", taskId: sent.id, userId: null });

    const [run] = await queue.runAll();
    expect(run.outcome).toEqual({ status: "SUCCESS", result: { uploadId: id, status: "done", rows: 2, columns: 2, malformed: 0 } });
    const { body: shown } = await read(id);
    expect(shown.upload).toMatchObject({ id, status: "done", summary: { rows: 2, columns: [{ name: "name", type: "text" }, { name: "price", type: "number", sum: "3.5" }] } });
  });

  it("a logged-in user's upload and its task are theirs: another user reads 404, as for an id nobody has", async () => {
    const [owner, other] = [await newUser(), await newUser()];
    const id = (await upload({ cookie: cookieOf(owner.id) })).body.id as string;
    queue.assertEnqueued(processUpload, [id], { owner: userOwner(owner.id) });
    expect((await read(id, cookieOf(owner.id))).status).toBe(200);
    expect(await read(id, cookieOf(other.id))).toEqual({ status: 404, body: { error: "no such upload" } });
    expect(await read(id)).toEqual({ status: 404, body: { error: "no such upload" } });
    expect(await read("5b0c3f0e-7f5e-4a59-9a37-3f5a2b1c0d9e")).toEqual({ status: 404, body: { error: "no such upload" } });
    expect((await read("not-a-uuid")).status).toBe(400);
  });

  it("refuses a file over 50 MB with 413, keeping nothing", async () => {
    const before = await rowCount();
    const big = Buffer.alloc(UPLOAD_MAX_BYTES + 1, "1,2\n");
    const { status, body } = await upload({ file: { name: "big.csv", type: "text/csv", content: big } });
    expect({ status, body }).toEqual({ status: 413, body: { error: "file too large: at most 50 MB (52428800 bytes)" } });
    await expectNothingStored(before);
  });

  it("refuses a request that declares more than 50 MB before reading it", async () => {
    const before = await rowCount();
    const { status } = await upload({ headers: { ...SAME_SITE, "content-length": String(UPLOAD_MAX_BYTES * 2) } });
    expect(status).toBe(413);
    await expectNothingStored(before);
  });

  it.each([
    ["a file not named .csv", { name: "fruit.txt", type: "text/plain", content: CSV }, 415, /not a CSV file: "fruit.txt"/],
    ["a .csv that says it is an image", { name: "fruit.csv", type: "image/png", content: CSV }, 415, /not a CSV file: "fruit.csv" \(image\/png\)/],
    ["binary data named .csv", { name: "fruit.csv", type: "text/csv", content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x0a]) }, 422, /binary data/],
    ["text that is not UTF-8", { name: "fruit.csv", type: "text/csv", content: Buffer.from([0x61, 0x2c, 0xff, 0xfe, 0x0a]) }, 422, /not UTF-8/],
    ["text that does not parse as CSV", { name: "fruit.csv", type: "text/csv", content: '{"a": 1}\n{"b": 2}\n' }, 422, /do not parse as CSV/],
    ["an empty file", { name: "fruit.csv", type: "text/csv", content: "" }, 422, /the file is empty/],
  ])("refuses %s, keeping nothing", async (_what, file, expected, message) => {
    const before = await rowCount();
    const { status, body } = await upload({ file });
    expect(status).toBe(expected);
    expect(body.error).toMatch(message);
    await expectNothingStored(before);
  });

  it("refuses a body that is not multipart (415) and a form without the file (400)", async () => {
    const before = await rowCount();
    const json = await uploads.POST(new Request(`${ORIGIN}/api/uploads`, { method: "POST", headers: { ...SAME_SITE, "content-type": "application/json" }, body: "{}" }), {});
    expect(json.status).toBe(415);
    expect((await json.json()).error).toMatch(/multipart\/form-data/);
    const form = new FormData();
    form.set("note", "no file here");
    const empty = await uploads.POST(new Request(`${ORIGIN}/api/uploads`, { method: "POST", headers: SAME_SITE, body: form }), {});
    expect({ status: empty.status, body: await empty.json() }).toEqual({ status: 400, body: { error: 'no file: send one in the form field "file"' } });
    await expectNothingStored(before);
  });

  it.each([
    ["from another site", { origin: "http://evil.example", "sec-fetch-site": "cross-site" }],
    ["from a sibling subdomain", { "sec-fetch-site": "same-site" }],
    ["with neither Origin nor Sec-Fetch-Site (a form an old browser could post from anywhere)", {}],
  ])("refuses an upload %s with 403, keeping nothing", async (_what, headers) => {
    const before = await rowCount();
    const { status, body } = await upload({ headers });
    expect(status).toBe(403);
    expect(body.error).toMatch(/^cross-site request refused/);
    await expectNothingStored(before);
  });
});
