/**
 * The upload demo's task on a real worker, Redis and the run's database: the summary of a generated CSV is
 * what the test computes from the data it generated (integer arithmetic, not lib/csv-summary.ts), malformed
 * rows are counted without failing, a file at UPLOAD_FAN_OUT_BYTES or more is fanned out as a chord whose
 * merged summary is the same, and a file that is gone fails the upload with the reason on its row.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("uploads-task");
const dir = await mkdtemp(join(tmpdir(), "celeriac-uploads-task-"));
const FAN_OUT_BYTES = 256 * 1024;
Object.assign(process.env, { UPLOAD_DIR: dir, UPLOAD_FAN_OUT_BYTES: String(FAN_OUT_BYTES) });
const { celeriac, AsyncResult } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { processUpload, UPLOAD_FAN_OUT_PARTS } = await import("./uploads");

let stop: () => Promise<unknown>;
beforeAll(async () => {
  stop = (await celeriac.startWorker({ concurrency: 4 })).stop;
});
afterAll(async () => {
  await stop();
  await celeriac.close();
  await deleteKeys(keyPrefix);
  await rm(dir, { recursive: true, force: true });
});

/** A CSV of `rows` generated rows (every 50th malformed: too few fields, or a stray quote), and what its summary must say. */
function generate(rows: number) {
  const lines = ["id,price,in_stock,day,name"];
  let cents = 0n;
  let [minCents, maxCents] = [Infinity, -Infinity];
  let emptyNames = 0;
  let good = 0;
  let malformed = 0;
  const days: string[] = [];
  for (let i = 1; i <= rows; i++) {
    if (i % 50 === 0) {
      lines.push(i % 100 === 0 ? `${i},1.00` : `${i},2.00,true,2024-01-01,bad"quote`);
      malformed += 1;
      continue;
    }
    const price = ((i * 7919) % 100_000) - 20_000; // cents, some negative
    const day = new Date(Date.UTC(2023, 0, 1) + ((i * 13) % 700) * 86_400_000).toISOString().slice(0, 10);
    const name = i % 10 === 0 ? "" : `"item ${i}, ""special"""`;
    lines.push(`${i},${(price / 100).toFixed(2)},${i % 3 === 0},${day},${name}`);
    good += 1;
    cents += BigInt(price);
    minCents = Math.min(minCents, price);
    maxCents = Math.max(maxCents, price);
    if (name === "") emptyNames += 1;
    days.push(day);
  }
  const sign = cents < 0n ? "-" : "";
  const abs = cents < 0n ? -cents : cents;
  const sum = `${sign}${abs / 100n}${abs % 100n === 0n ? "" : `.${String(abs % 100n).padStart(2, "0").replace(/0$/, "")}`}`;
  const goodIds = Array.from({ length: rows }, (_, k) => k + 1).filter((i) => i % 50 !== 0);
  days.sort();
  const expected = {
    rows: good,
    malformed,
    columns: [
      { name: "id", type: "integer", min: goodIds[0], max: goodIds.at(-1), sum: String(goodIds.reduce((a, b) => a + b, 0)), empty: 0 },
      { name: "price", type: "number", min: minCents / 100, max: maxCents / 100, sum, empty: 0 },
      { name: "in_stock", type: "boolean", booleans: good, empty: 0 },
      { name: "day", type: "date", minDate: days[0], maxDate: days.at(-1), empty: 0 },
      { name: "name", type: "text", empty: emptyNames, values: good - emptyNames },
    ],
  };
  return { text: `${lines.join("\n")}\n`, expected };
}

async function stored(text: string) {
  const id = randomUUID();
  await writeFile(join(dir, `${id}.csv`), text);
  await db.upload.create({ data: { id, filename: "generated.csv", size: Buffer.byteLength(text) } });
  return id;
}

describe("uploads.processUpload", () => {
  it("summarises a generated CSV as the data says, counting the malformed rows, and writes it on the row", async () => {
    const { text, expected } = generate(2_000);
    expect(Buffer.byteLength(text)).toBeLessThan(FAN_OUT_BYTES);
    const id = await stored(text);
    const result = await processUpload.delay(id);
    expect(await result.get({ timeout: 15_000 })).toEqual({ uploadId: id, status: "done", rows: expected.rows, columns: 5, malformed: expected.malformed });
    const row = await db.upload.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: "done", error: null, doneAt: expect.any(Date) });
    expect(row.summary).toMatchObject(expected);
  });

  it(`fans a file of UPLOAD_FAN_OUT_BYTES or more out to ${UPLOAD_FAN_OUT_PARTS} parts, whose merged summary is the whole file's`, async () => {
    const { text, expected } = generate(12_000);
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(FAN_OUT_BYTES);
    const id = await stored(text);
    const outcome = await (await processUpload.delay(id)).get({ timeout: 15_000 });
    expect(outcome).toMatchObject({ uploadId: id, status: "fanned out", parts: UPLOAD_FAN_OUT_PARTS });
    const finishTaskId = (outcome as { finishTaskId: string }).finishTaskId;
    expect(await AsyncResult.from(finishTaskId).get({ timeout: 20_000 })).toEqual({ uploadId: id, status: "done", rows: expected.rows, columns: 5, malformed: expected.malformed });
    expect((await db.upload.findUniqueOrThrow({ where: { id } })).summary).toMatchObject(expected);
  });

  it("fails the upload with the reason on its row when the file is gone", async () => {
    const id = await stored("a,b\n1,2\n");
    await rm(join(dir, `${id}.csv`));
    const result = await processUpload.delay(id);
    await expect(result.get({ timeout: 15_000 })).rejects.toThrow("the uploaded file is no longer in UPLOAD_DIR");
    expect(await result.info()).toMatchObject({ status: "FAILURE", error: { type: "UploadFailedError" } });
    expect(await db.upload.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "failed", error: "the uploaded file is no longer in UPLOAD_DIR" });
  });
});
