/**
 * Where a CSV file may be cut into parts that are summarised apart (tasks/uploads.ts's fan-out) and merged
 * into exactly the whole file's summary (lib/csv-summary.ts): only where a record ends, a line break outside
 * quotes. A line break inside a quoted field ("a\nb") is part of a value, so the scan counts quotes (an
 * escaped quote, "", counts twice and changes nothing). A file whose quoting is broken may be cut inside
 * what csv-parse reads as one record; its malformed-row count may then differ by a row or two from the
 * whole file's, which is why a part's summary counts such rows instead of failing.
 */
import type { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { CSV_OPTIONS } from "./csv-summary";

/** Bytes [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface CsvLayout {
  /** The header record's bytes (any empty lines before it included): [0, end). */
  header: ByteRange;
  /** The records after it, in order, each range ending where a record does; together they cover the rest of the file. */
  parts: ByteRange[];
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The layout of the CSV `input` streams: its header, then parts of at least `partBytes` each (the last may be shorter). */
export async function csvLayout(input: Readable, partBytes: number): Promise<CsvLayout> {
  let offset = 0;
  let quoted = false;
  let lineHasContent = false;
  let headerEnd: number | undefined;
  let partStart = 0;
  const parts: ByteRange[] = [];
  for await (const chunk of input as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === QUOTE) quoted = !quoted;
      if (byte !== NEWLINE) {
        if (byte !== CARRIAGE_RETURN) lineHasContent = true;
        continue;
      }
      if (quoted) continue;
      const recordEnd = offset + i + 1;
      if (headerEnd === undefined) {
        // Empty lines before the header are skipped by the parser, as they are in the whole file.
        if (lineHasContent) headerEnd = partStart = recordEnd;
      } else if (recordEnd - partStart >= partBytes) {
        parts.push({ start: partStart, end: recordEnd });
        partStart = recordEnd;
      }
      lineHasContent = false;
    }
    offset += chunk.length;
  }
  if (headerEnd === undefined) return { header: { start: 0, end: offset }, parts: [] };
  if (partStart < offset) parts.push({ start: partStart, end: offset });
  return { header: { start: 0, end: headerEnd }, parts };
}

/** The header's column names, from its bytes (csvLayout's `header` range). */
export function parseHeader(bytes: Buffer): string[] {
  const records = parse(bytes, CSV_OPTIONS) as string[][];
  return records[0] ?? [];
}
