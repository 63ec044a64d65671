/**
 * POST /api/pages `{ url }` → 202 `{ url, steps: [{ name, taskId }, …] }`: sends seed 002's chain
 * fetchPage → parsePage → storePageInfo for the URL and answers at once with the three steps' ids (a
 * chain's ids are assigned when it is sent), so the page follows each step's state live
 * (GET /api/tasks/[id]/events). The results are the logged-in user's, else anyone's who holds the ids
 * (lib/result-access.ts); the stored PageInfo row names the user.
 *
 * Sent directly, not on commit: the route writes nothing, so there is no transaction to wait for, and a
 * Redis that does not answer is the caller's 503 now rather than a chain lost after the answer.
 *
 * A URL that is not http(s), carries a user name or password, or names an address the SSRF guard refuses
 * (a literal private or loopback IP, unless PAGES_ALLOW_PRIVATE_HOSTS) is a 400 here; a host name is
 * checked by the worker when it resolves it (lib/ssrf-guard.ts), where the fetch happens.
 */
import { z } from "zod";
import { chain, safeText, type AsyncResult } from "celeriac";
import { env } from "@/lib/env";
import { parseBody, route } from "@/lib/http";
import { ANYONE, userOwner, viewerOf } from "@/lib/result-access";
import { urlProblem } from "@/lib/ssrf-guard";
import { fetchPage, pageUrl, parsePage, storePageInfo } from "@/tasks/pages";

export const dynamic = "force-dynamic";

const body = z.object({
  url: safeText() // NUL and lone surrogates are a 400, as in every text field (the URL parser would encode them)
    .trim()
    .pipe(pageUrl)
    .transform((text) => new URL(text))
    .superRefine((url, ctx) => {
      const problem = urlProblem(url, { allowPrivate: env.PAGES_ALLOW_PRIVATE_HOSTS });
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform((url) => url.href),
});

export interface PageStep {
  name: string;
  taskId: string;
}

export const POST = route(async (request) => {
  const { url } = await parseBody(request, body);
  const viewer = await viewerOf(request);
  const owner = viewer ? userOwner(viewer.userId) : ANYONE;
  const signatures = [fetchPage.s(url), parsePage.s(), storePageInfo.s(url, viewer?.userId ?? null)] as const;
  const last = await chain(...signatures).applyAsync({ owner });
  const ids: string[] = [];
  for (let step: AsyncResult | undefined = last; step; step = step.parent) ids.unshift(step.id);
  const steps: PageStep[] = signatures.map((signature, i) => ({ name: signature.task, taskId: ids[i]! }));
  return Response.json({ url, steps }, { status: 202 });
});
