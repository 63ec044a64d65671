/** After the run: delete this run's Redis keys (everything under the CELERIAC_KEY_PREFIX) and its uploaded files. */
import { rm } from "node:fs/promises";
import { deleteKeys } from "../test/redis";

export default async function globalTeardown() {
  if (process.env.E2E_UPLOAD_DIR) await rm(process.env.E2E_UPLOAD_DIR, { recursive: true, force: true });
  const prefix = process.env.CELERIAC_KEY_PREFIX;
  if (!prefix?.startsWith("e2e-")) return; // only ever a prefix this config made up
  await deleteKeys(prefix);
}
