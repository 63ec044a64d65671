/**
 * What the upload demo's task (tasks/uploads.ts) computes of a CSV file: rows, the header's columns, and per
 * column its inferred type, empty cells, min/max (numbers and dates) and the sum of a numeric column; rows
 * that are not CSV (a wrong number of fields, a stray quote) are counted as malformed and left out.
 *
 * Streamed: summarizeCsv() reads the file through csv-parse a chunk at a time, so memory holds one record
 * and the running totals, whatever the file's size. Mergeable: every figure is a count, a sum (exact, see
 * lib/exact-decimal.ts), a min or a max, so the summaries of consecutive parts of a file (split at record
 * boundaries: lib/csv-ranges.ts) merge with mergeSummaries() into exactly the whole file's summary.
 *
 * A column's type is the narrowest that every non-empty cell has: integer ("-12"), number ("1.5", "2e3";
 * integers too), boolean (true/false, any case), date (ISO 8601: "2024-05-01", "2024-05-01T10:00:00Z"; a
 * time without a zone is read as UTC), else text; a column with no value at all is "empty".
 */
import type { Readable } from "node:stream";
import { parse, type Options } from "csv-parse";
import { addDecimals, formatDecimal, parseDecimal, ZERO } from "./exact-decimal";

export type ColumnType = "integer" | "number" | "boolean" | "date" | "text" | "empty";

/** One column's figures, as stored in Upload.summary (JSON). */
export interface ColumnSummary {
  name: string;
  type: ColumnType;
  /** Cells that are empty or only whitespace. */
  empty: number;
  /** Non-empty cells, and how many of them read as each type (an integer is a number too). */
  values: number;
  integers: number;
  numbers: number;
  booleans: number;
  dates: number;
  /** Over the cells that read as numbers (null: none did). */
  min: number | null;
  max: number | null;
  /** The numbers' sum, exactly, as decimal text ("0" when none). */
  sum: string;
  /** The earliest and latest date, as written in the file (null: no date). */
  minDate: string | null;
  maxDate: string | null;
}

export interface CsvSummary {
  columns: ColumnSummary[];
  /** Data rows summarised (the header and malformed rows not included). */
  rows: number;
  /** Rows left out: a number of fields other than the header's, or not parseable as CSV (a stray quote). */
  malformed: number;
}

/** A header wider than this is refused: the summary of each column is stored in one JSON value. */
export const MAX_COLUMNS = 1000;

/** Why a file cannot be summarised at all (as opposed to a malformed row, which is counted). */
export class CsvSummaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvSummaryError";
  }
}

/**
 * How the demo reads CSV, everywhere (the sniff at upload included): a record of another length is kept
 * (and counted malformed here), a record csv-parse cannot read is skipped with a `skip` event; one record
 * is at most 1 MiB, so a file without line breaks cannot fill memory.
 */
export const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  skip_records_with_error: true,
  skip_empty_lines: true,
  max_record_size: 1024 * 1024,
} satisfies Options;

const INTEGER = /^[+-]?\d+$/;
const BOOLEAN = /^(?:true|false)$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0);
}

/** The instant an ISO 8601 date or date-time stands for, or undefined (not one, or no such day: 2023-02-30). */
export function dateValue(text: string): number | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [, yearText, monthText, dayText, time, zone] = match;
  const [year, month, day] = [Number(yearText), Number(monthText), Number(dayText)];
  // Checked by hand, not by reading a Date back: a file has a date in every row, and this is the hot path.
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (time === undefined) return new Date(0).setUTCFullYear(year, month - 1, day);
  const ms = Date.parse(`${yearText}-${monthText}-${dayText}T${time}${zone ?? "Z"}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The earlier (or later) of two dates as written; equal instants take the smaller text, so any order gives one answer. */
function pickDate(a: string | null, b: string | null, later: boolean): string | null {
  if (a === null || b === null) return a ?? b;
  const diff = dateValue(a)! - dateValue(b)!;
  if (diff !== 0) return (diff > 0) === later ? a : b;
  return a < b ? a : b;
}

function typeOf(c: Omit<ColumnSummary, "type">): ColumnType {
  if (c.values === 0) return "empty";
  if (c.integers === c.values) return "integer";
  if (c.numbers === c.values) return "number";
  if (c.booleans === c.values) return "boolean";
  if (c.dates === c.values) return "date";
  return "text";
}

function emptyColumn(name: string): ColumnSummary {
  return { name, type: "empty", empty: 0, values: 0, integers: 0, numbers: 0, booleans: 0, dates: 0, min: null, max: null, sum: "0", minDate: null, maxDate: null };
}

/** The running totals of one column while a file is read (the sum kept as a Decimal, not text). */
class ColumnTally {
  private readonly figures: ColumnSummary;
  private sum = ZERO;

  constructor(name: string) {
    this.figures = emptyColumn(name);
  }

  add(raw: string): void {
    const c = this.figures;
    const value = raw.trim();
    if (value === "") {
      c.empty += 1;
      return;
    }
    c.values += 1;
    const decimal = parseDecimal(value);
    if (decimal) {
      c.numbers += 1;
      if (INTEGER.test(value)) c.integers += 1;
      const number = Number(value);
      c.min = c.min === null ? number : Math.min(c.min, number);
      c.max = c.max === null ? number : Math.max(c.max, number);
      this.sum = addDecimals(this.sum, decimal);
    } else if (BOOLEAN.test(value)) {
      c.booleans += 1;
    } else if (dateValue(value) !== undefined) {
      c.dates += 1;
      c.minDate = pickDate(c.minDate, value, false);
      c.maxDate = pickDate(c.maxDate, value, true);
    }
  }

  summary(): ColumnSummary {
    const c = { ...this.figures, sum: formatDecimal(this.sum) };
    return { ...c, type: typeOf(c) };
  }
}

export interface SummarizeOptions {
  /** The header's columns when `input` starts after it (a part of a file); otherwise its first record is the header. */
  header?: readonly string[];
  /** Called with the bytes read so far as each chunk of `input` arrives (for a progress report). */
  onBytes?: (bytesRead: number) => void;
}

/** The summary of the CSV `input` streams (a file, or a part of one after its header: `header`). */
export async function summarizeCsv(input: Readable, { header, onBytes }: SummarizeOptions = {}): Promise<CsvSummary> {
  const parser = parse(CSV_OPTIONS);
  let malformed = 0;
  parser.on("skip", () => {
    malformed += 1;
  });
  let bytesRead = 0;
  input.on("data", (chunk: Buffer) => {
    bytesRead += chunk.length;
    onBytes?.(bytesRead);
  });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);

  const columnsOf = (names: readonly string[]) => names.map((name) => new ColumnTally(name.trim()));
  let tallies = header ? columnsOf(header) : undefined;
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!tallies) {
        if (record.length > MAX_COLUMNS) throw new CsvSummaryError(`the header has ${record.length} columns; at most ${MAX_COLUMNS} are summarised`);
        tallies = columnsOf(record);
        continue;
      }
      if (record.length !== tallies.length) {
        malformed += 1;
        continue;
      }
      rows += 1;
      for (let i = 0; i < record.length; i++) tallies[i].add(record[i]);
    }
  } finally {
    input.destroy();
  }
  return { columns: (tallies ?? []).map((t) => t.summary()), rows, malformed };
}

function mergeColumns(a: ColumnSummary, b: ColumnSummary): ColumnSummary {
  const pick = (x: number | null, y: number | null, f: (x: number, y: number) => number) => (x === null ? y : y === null ? x : f(x, y));
  const merged = {
    name: a.name,
    empty: a.empty + b.empty,
    values: a.values + b.values,
    integers: a.integers + b.integers,
    numbers: a.numbers + b.numbers,
    booleans: a.booleans + b.booleans,
    dates: a.dates + b.dates,
    min: pick(a.min, b.min, Math.min),
    max: pick(a.max, b.max, Math.max),
    sum: formatDecimal(addDecimals(parseDecimal(a.sum)!, parseDecimal(b.sum)!)),
    minDate: pickDate(a.minDate, b.minDate, false),
    maxDate: pickDate(a.maxDate, b.maxDate, true),
  };
  return { ...merged, type: typeOf(merged) };
}

/** The summary of a file from the summaries of its consecutive parts (the same header each). */
export function mergeSummaries(parts: readonly CsvSummary[]): CsvSummary {
  if (parts.length === 0) throw new CsvSummaryError("no summaries to merge");
  return parts.reduce((a, b) => {
    if (a.columns.length !== b.columns.length || a.columns.some((c, i) => c.name !== b.columns[i].name)) {
      throw new CsvSummaryError("the parts' headers differ: they are not parts of one file");
    }
    return { columns: a.columns.map((c, i) => mergeColumns(c, b.columns[i])), rows: a.rows + b.rows, malformed: a.malformed + b.malformed };
  });
}
