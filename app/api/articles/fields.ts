/**
 * What POST /api/articles and PATCH /api/articles/[id] accept as an article's body. Their requests may be
 * larger than the default for it (lib/api-routes.ts's BODY_LIMITS: 128 KiB, for 20,000 characters escaped).
 */
import { safeText } from "celeriac";

const MAX_BODY_CHARS = 20_000;

export const articleBody = safeText().trim().min(1, "a body is required").max(MAX_BODY_CHARS);
