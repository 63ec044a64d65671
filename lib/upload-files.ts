/**
 * Where the upload demo keeps its files: UPLOAD_DIR/<upload id>.csv (lib/env.ts), written by POST
 * /api/uploads, read by tasks/uploads.ts. Named by the row's id, never by the client's file name.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { env } from "@/lib/env";

/** The file of upload `id`. */
export function uploadPath(id: string, dir = env.UPLOAD_DIR): string {
  return join(dir, `${id}.csv`);
}

/** UPLOAD_DIR, made if it does not exist yet. */
export async function uploadDir(dir = env.UPLOAD_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}
