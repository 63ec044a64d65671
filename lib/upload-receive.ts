/**
 * Receives the CSV file of a multipart/form-data request (field `file`) onto disk, as it arrives (busboy):
 * memory holds a chunk at a time and the first SNIFF_BYTES, never the file. Refused, with an HttpError whose
 * message says why, and with nothing left on disk (the partial file is deleted):
 *
 *   415  not multipart/form-data; a file whose name does not end in .csv or whose type is not a CSV's
 *   422  not CSV after all: binary (a NUL byte), not UTF-8, or its first lines do not parse as CSV; empty
 *   413  larger than UPLOAD_MAX_BYTES (busboy's fileSize limit; the whole request is counted too)
 *   400  no `file` field, or a malformed multipart body
 *
 * The file is written as `<destination>.part` and renamed to `destination` only once complete and accepted,
 * so `destination` never names half a file.
 */
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import busboy from "busboy";
import { parse } from "csv-parse/sync";
import { CSV_OPTIONS } from "@/lib/csv-summary";
import { HttpError } from "@/lib/http";
import { UPLOAD_MAX_BYTES, UPLOAD_REQUEST_MAX_BYTES, UPLOAD_TOO_LARGE_MESSAGE } from "@/lib/request-limits";

/** How much of the file's start is checked for being CSV before it is accepted. */
export const SNIFF_BYTES = 64 * 1024;

/** The types browsers and tools give a .csv file (Excel on Windows says vnd.ms-excel; a part without a type is text/plain). */
const CSV_TYPES = new Set(["text/csv", "application/csv", "text/comma-separated-values", "text/x-csv", "application/vnd.ms-excel", "text/plain", "application/octet-stream"]);

export interface ReceivedFile {
  /** The client's name for it, cleaned (no path, no control characters, at most 255 characters). */
  filename: string;
  /** Bytes written. */
  size: number;
}

/** A file name as the client sent it, safe to store and show. */
export function cleanFilename(name: string): string {
  return basename(name.replace(/\\/g, "/")).replace(/[\u0000-\u001f\u007f]/g, "").slice(0, 255) || "upload.csv";
}

/** Why the file's first bytes are not CSV, or undefined when they read as CSV. `complete`: `sample` is the whole file. */
export function notCsvProblem(sample: Buffer, complete: boolean): string | undefined {
  if (sample.includes(0)) return "it holds binary data (a NUL byte), not text";
  try {
    // stream: a character cut at the sample's end is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(sample, { stream: !complete });
  } catch {
    return "it is not UTF-8 text";
  }
  const end = complete ? sample.length : sample.lastIndexOf(0x0a) + 1;
  if (end === 0) return `no line break in its first ${SNIFF_BYTES / 1024} KiB`;
  let skipped = 0;
  const records = parse(sample.subarray(0, end), { ...CSV_OPTIONS, on_skip: () => void (skipped += 1) }) as string[][];
  if (records.length === 0) return "its first lines do not parse as CSV";
  if (skipped > records.length) return `its first lines do not parse as CSV (${skipped} of ${skipped + records.length} records malformed)`;
  return undefined;
}

/** Passes the file through, checking its first SNIFF_BYTES (notCsvProblem) before they go on, and counting it. */
class CsvSniffer extends Transform {
  size = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.held.length === 0 && this.heldBytes >= SNIFF_BYTES) return done(null, chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < SNIFF_BYTES) return done();
    this.release(false, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.size === 0) return done(new HttpError(422, "the file is empty"));
    if (this.held.length > 0) return this.release(true, done);
    done();
  }

  private release(complete: boolean, done: TransformCallback): void {
    const sample = Buffer.concat(this.held);
    this.held = [];
    const problem = notCsvProblem(complete ? sample : sample.subarray(0, SNIFF_BYTES), complete);
    if (problem) return done(new HttpError(422, `not a CSV file: ${problem}`));
    done(null, sample);
  }
}

/**
 * Receives the request's `file` into `destination` (see the module comment). Resolves once it is there;
 * whatever the request still sends after a refusal is read and dropped (so the client gets the answer), up
 * to UPLOAD_REQUEST_MAX_BYTES.
 */
export async function receiveCsv(request: Request, destination: string): Promise<ReceivedFile> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) throw new HttpError(415, `send the file as multipart/form-data in the field "file" (got ${type ? `content-type ${type.split(";")[0]}` : "no content type"})`);
  if (Number(request.headers.get("content-length")) > UPLOAD_REQUEST_MAX_BYTES) throw new HttpError(413, UPLOAD_TOO_LARGE_MESSAGE);
  if (!request.body) throw new HttpError(400, 'no file: send one in the form field "file"');
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": type },
      defParamCharset: "utf8",
      limits: { files: 1, fileSize: UPLOAD_MAX_BYTES, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 50 },
    });
  } catch (error) {
    throw new HttpError(400, `malformed multipart/form-data: ${(error as Error).message}`);
  }

  const body = Readable.fromWeb(request.body as WebReadableStream<Uint8Array>);
  const partial = `${destination}.part`;
  let sniffer: CsvSniffer | undefined;
  let written: Promise<ReceivedFile> | undefined;
  // Created before anything is read: a refusal can end the pipeline while a stream's own open() is still
  // under way, and the file it then creates would outlive the rm below.
  const handle = await open(partial, "wx");
  let refusal: HttpError | undefined;
  const refuse = (error: HttpError) => {
    refusal ??= error;
  };

  parser.on("file", (field, file, info) => {
    if (field !== "file" || written) return void file.resume();
    const filename = cleanFilename(info.filename ?? "");
    if (!/\.csv$/i.test(filename) || !CSV_TYPES.has(info.mimeType.toLowerCase())) {
      refuse(new HttpError(415, `not a CSV file: "${filename}" (${info.mimeType}); upload a .csv file`));
      return void file.resume();
    }
    // busboy stops the file at the limit and ends it, marked truncated: refused below, before the rename.
    file.on("limit", () => refuse(new HttpError(413, UPLOAD_TOO_LARGE_MESSAGE)));
    const checked = (sniffer = new CsvSniffer());
    // pipe(), not pipeline(): a refused file must go on being read (and dropped), or busboy would wait for it forever.
    file.pipe(checked);
    written = pipeline(checked, createWriteStream(partial, { fd: handle })).then(() => ({ filename, size: checked.size }));
    written.catch((error: unknown) => {
      refuse(error instanceof HttpError ? error : new HttpError(400, "the upload broke off before the file was complete"));
      file.unpipe(checked);
      file.resume();
    });
  });

  let received = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > UPLOAD_REQUEST_MAX_BYTES) return done(new HttpError(413, UPLOAD_TOO_LARGE_MESSAGE));
      done(null, chunk);
    },
  });

  try {
    try {
      await pipeline(body, counted, parser);
    } catch (error) {
      refuse(error instanceof HttpError ? error : new HttpError(400, `the upload could not be read: ${(error as Error).message}`));
      sniffer?.destroy(refusal); // a file busboy will never end now
    }
    const file = written && (await written.catch(() => undefined));
    if (refusal) throw refusal;
    if (!file) throw new HttpError(400, 'no file: send one in the form field "file"');
    await rename(partial, destination);
    return file;
  } finally {
    await handle.close().catch(() => undefined); // closed already by its stream, unless no file came
    await rm(partial, { force: true });
  }
}
