/**
 * Seed 002's good example: instead of one task that waits on its subtasks (`fetch_page.delay(url).get()`
 * inside a task, which can deadlock a worker pool), three tasks in a chain, each given the one before's
 * result first (Celery's rule):
 *
 *   chain(fetchPage.s(url), parsePage.s(), storePageInfo.s(url, userId))     // app/api/pages/route.ts
 *   fetch_page.s(url) | parse_page.s() | store_page_info.s(url)              // the seed
 *
 * fetchPage retries what a later try could change: a server that did not answer (refused, reset,
 * unreachable, a temporary DNS failure, no answer within 10 s: PageNetworkError), twice, after about 1 s
 * and 2 s (retryBackoff, jittered). A status other than 2xx ("GET <url> answered 404"), a host that does
 * not exist, a page too large, and an address the SSRF guard refuses fail at once: trying again would get
 * the same answer. Whichever step fails ends the chain: the later steps are recorded FAILURE with its
 * error and meta.chainStoppedBy, and never run.
 */
import { z } from "zod";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { task } from "@/lib/celery";
import { fetchPageText, PageNetworkError, type FetchedPage } from "@/lib/page-fetch";
import { MAX_LINKS, summarisePage, type PageSummary } from "@/lib/page-parse";

/** A URL the demo fetches: http or https, at most 2048 characters (the route checks it with the guard too). */
export const pageUrl = z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).max(2048, "at most 2048 characters");

/** Passed from fetchPage to parsePage in the message: what parsePage checks it receives. */
const fetchedPage = z.object({
  url: z.string(),
  finalUrl: pageUrl,
  status: z.number().int(),
  contentType: z.string().nullable(),
  text: z.string(),
}) satisfies z.ZodType<FetchedPage>;

const pageSummary = z.object({
  title: z.string().nullable(),
  wordCount: z.number().int().nonnegative(),
  linkCount: z.number().int().nonnegative(),
  links: z.array(z.string()).max(MAX_LINKS),
}) satisfies z.ZodType<PageSummary>;

export const fetchPage = task({
  name: "pages.fetchPage",
  args: z.tuple([pageUrl]),
  autoretryFor: [PageNetworkError],
  maxRetries: 2,
  retryBackoff: true,
  async run(ctx, url): Promise<FetchedPage> {
    return fetchPageText(url, { signal: ctx.signal, allowPrivate: env.PAGES_ALLOW_PRIVATE_HOSTS });
  },
});

export const parsePage = task({
  name: "pages.parsePage",
  args: z.tuple([fetchedPage]),
  run(_ctx, page): PageSummary {
    return summarisePage(page.text, page.finalUrl);
  },
});

/** Stores the summary as a PageInfo row (userId: who asked, null for a visitor) and returns its id. */
export const storePageInfo = task({
  name: "pages.storePageInfo",
  args: z.tuple([pageSummary, pageUrl, z.number().int().positive().nullable()]),
  async run(_ctx, info, url, userId): Promise<number> {
    const row = await db.pageInfo.create({
      data: { url, title: info.title, wordCount: info.wordCount, linkCount: info.linkCount, links: info.links, userId },
    });
    return row.id;
  },
});
