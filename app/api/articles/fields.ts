/** What POST /api/articles and PATCH /api/articles/[id] accept as an article's body, and so how large a request may be. */
import { safeText } from "@/lib/celeriac";

const MAX_BODY_CHARS = 20_000;

export const articleBody = safeText().trim().min(1, "a body is required").max(MAX_BODY_CHARS);

/** A request carrying a full-length body: up to 3 UTF-8 bytes per character (6 if escaped as \uXXXX), so 128 KiB. */
export const ARTICLE_BODY_BYTES = 128 * 1024;
