import { createRequire } from "node:module";

/** The package's version, from its package.json (one level above src/ and dist/ alike). */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
