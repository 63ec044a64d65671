import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvLayout, parseHeader } from "./csv-ranges";
import { dateValue, MAX_COLUMNS, mergeSummaries, summarizeCsv, type CsvSummary } from "./csv-summary";

/** `text` streamed in chunks of `size` bytes (the parser and the scan must not care where chunks end). */
function streamOf(bytes: Buffer, size = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

const summarize = (text: string | Buffer, size?: number) => summarizeCsv(streamOf(Buffer.from(text), size));

/** The file summarised part by part as tasks/uploads.ts's fan-out does it, merged. */
async function summarizeInParts(bytes: Buffer, partBytes: number, chunk: number): Promise<CsvSummary> {
  const layout = await csvLayout(streamOf(bytes, chunk), partBytes);
  const header = parseHeader(bytes.subarray(layout.header.start, layout.header.end));
  if (layout.parts.length === 0) return summarizeCsv(streamOf(bytes.subarray(layout.header.start, layout.header.end)));
  const parts = await Promise.all(layout.parts.map(({ start, end }) => summarizeCsv(streamOf(bytes.subarray(start, end), chunk), { header })));
  return mergeSummaries(parts);
}

describe("summarizeCsv", () => {
  it("counts rows and infers each column's type, min, max, empties and sum", async () => {
    const summary = await summarize(
      "id,price,active,day,note,blank\n" +
        "1,2.50,true,2024-03-01,hello,\n" +
        "2,-1.25,FALSE,2024-01-15, ,\n" +
        "3,10,true,2024-12-31T23:00:00Z,\"a, b\",\n",
    );
    expect(summary.rows).toBe(3);
    expect(summary.malformed).toBe(0);
    const byName = Object.fromEntries(summary.columns.map((c) => [c.name, c]));
    expect(byName.id).toMatchObject({ type: "integer", min: 1, max: 3, sum: "6", empty: 0 });
    expect(byName.price).toMatchObject({ type: "number", min: -1.25, max: 10, sum: "11.25" });
    expect(byName.active).toMatchObject({ type: "boolean", min: null, booleans: 3 });
    expect(byName.day).toMatchObject({ type: "date", minDate: "2024-01-15", maxDate: "2024-12-31T23:00:00Z" });
    expect(byName.note).toMatchObject({ type: "text", empty: 1, values: 2 });
    expect(byName.blank).toMatchObject({ type: "empty", empty: 3, values: 0 });
  });

  it("sums exactly where floating point would not (0.1 + 0.2)", async () => {
    const summary = await summarize("x\n0.1\n0.2\n1e-1\n12345678901234567890\n");
    expect(summary.columns[0]).toMatchObject({ type: "number", sum: "12345678901234567890.4" });
  });

  it("counts rows with another number of fields and rows with a stray quote as malformed, and goes on", async () => {
    const summary = await summarize('a,b\n1,2\n3\n4,5,6\n7,8"x\n9,10\n');
    expect(summary).toMatchObject({ rows: 2, malformed: 3 });
    expect(summary.columns.map((c) => c.sum)).toEqual(["10", "12"]);
  });

  it("reads a BOM, CRLF line ends, quoted line breaks, and skips empty lines", async () => {
    const summary = await summarize('\uFEFFname,n\r\n\r\n"two\r\nlines",1\r\nplain,2\r\n');
    expect(summary.columns.map((c) => c.name)).toEqual(["name", "n"]);
    expect(summary).toMatchObject({ rows: 2, malformed: 0 });
  });

  it("reports the bytes read as they arrive", async () => {
    const seen: number[] = [];
    const text = `n\n${"1\n".repeat(1000)}`;
    await summarizeCsv(streamOf(Buffer.from(text), 500), { onBytes: (n) => seen.push(n) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toBe(text.length);
  });

  it("refuses a header wider than MAX_COLUMNS", async () => {
    await expect(summarize(`${Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`).join(",")}\n`)).rejects.toThrow(/columns/);
  });

  it("an empty file has no columns and no rows", async () => {
    expect(await summarize("")).toEqual({ columns: [], rows: 0, malformed: 0 });
  });
});

describe("dateValue", () => {
  it("reads ISO dates and date-times (a zone-less time as UTC), not impossible days", () => {
    expect(dateValue("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(dateValue("2024-02-29T12:30")).toBe(Date.UTC(2024, 1, 29, 12, 30));
    expect(dateValue("2024-02-29T12:30:00+02:00")).toBe(Date.UTC(2024, 1, 29, 10, 30));
    for (const text of ["2023-02-29", "2024-13-01", "2024-1-1", "yesterday", "2024"]) expect(dateValue(text), text).toBeUndefined();
  });
});

/** A cell as a CSV writer would write it: quoted when it holds a comma, a quote or a line break. */
function writeCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const cell = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => x.toFixed(3)),
  fc.constantFrom("true", "false", "TRUE", "", " "),
  fc.date({ min: new Date("2000-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.date({ min: new Date("2000-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.string({ maxLength: 8, unit: fc.constantFrom("a", "b", " ", ",", '"', "\n", "é") }),
);

/** A CSV file of `width` columns whose rows sometimes have another number of fields (malformed). */
const csvFile = fc.integer({ min: 1, max: 5 }).chain((width) =>
  fc
    .array(
      fc.oneof(
        { weight: 9, arbitrary: fc.array(cell, { minLength: width, maxLength: width }) },
        { weight: 1, arbitrary: fc.array(cell, { minLength: 1, maxLength: width + 2 }) },
      ),
      { maxLength: 60 },
    )
    .map((rows) => {
      const header = Array.from({ length: width }, (_, i) => `col${i}`);
      const newline = rows.length % 2 ? "\r\n" : "\n";
      return Buffer.from([header, ...rows].map((r) => r.map(writeCell).join(",")).join(newline) + newline);
    }),
);

describe("mergeSummaries", () => {
  it("merging the summaries of a file's parts gives the whole file's summary, wherever it is cut", async () => {
    await fc.assert(
      fc.asyncProperty(csvFile, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 97 }), async (bytes, partBytes, chunk) => {
        expect(await summarizeInParts(bytes, partBytes, chunk)).toEqual(await summarizeCsv(streamOf(bytes, chunk)));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses parts of different files", () => {
    const a: CsvSummary = { columns: [], rows: 0, malformed: 0 };
    expect(() => mergeSummaries([a, { ...a, columns: [{ ...emptyColumn, name: "x" }] }])).toThrow(/headers differ/);
  });
});

describe("csvLayout", () => {
  it("cuts only where a record ends, never inside a quoted line break", async () => {
    const text = 'h\n"a\nb"\nc\n"d\ne"\n';
    const layout = await csvLayout(streamOf(Buffer.from(text), 3), 1);
    expect(layout.header).toEqual({ start: 0, end: 2 });
    expect(layout.parts.map(({ start, end }) => text.slice(start, end))).toEqual(['"a\nb"\n', "c\n", '"d\ne"\n']);
  });
});

const emptyColumn = { name: "", type: "empty" as const, empty: 0, values: 0, integers: 0, numbers: 0, booleans: 0, dates: 0, min: null, max: null, sum: "0", minDate: null, maxDate: null };
