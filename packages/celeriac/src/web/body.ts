/**
 * A request body read within a size limit, and the JSON-only rule for its type. Answering is the
 * caller's: these say what is wrong (a 413 for null, a 415 with notJsonMessage()), the caller throws its
 * own error with its own words for the limit.
 */

/** `application/json`, alone or with a UTF-8 charset (JSON is UTF-8, RFC 8259); any other type or parameter, or none, is not. */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const [type, ...parameters] = value.split(";").map((part) => part.trim().toLowerCase());
  return type === "application/json" && parameters.every((parameter) => parameter === "" || /^charset="?utf-8"?$/.test(parameter));
}

/** Why a body of Content-Type `type` (null: none was sent) is refused by a JSON-only API. */
export function notJsonMessage(type: string | null): string {
  return `request body must be JSON, sent with content-type: application/json (${type === null ? "none was given" : `not ${type}`})`;
}

/**
 * The request's body, or null when it is more than `limit` bytes: by its declared Content-Length, before a
 * byte is read, or once the bytes read pass `limit` (a Content-Length may be smaller than the body); then
 * the stream is cancelled and the rest is never read. No body: no bytes.
 */
export async function readBodyAtMost(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) return null;
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(read.value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
