/** Pages (seed 002's good example): a URL goes through the chain fetchPage → parsePage → storePageInfo, live. */
import { headers } from "next/headers";
import { requestUser } from "@/lib/accounts";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { PageForm } from "./page-form";
import "./pages.css";

export const dynamic = "force-dynamic";

const LATEST = 10;

export default async function PagesPage() {
  const user = await requestUser((await headers()).get("cookie"));
  // A visitor sees the pages visitors asked for; a user, their own: a URL may be private to whoever typed it.
  const latest = await db.pageInfo.findMany({ where: { userId: user?.id ?? null }, orderBy: { id: "desc" }, take: LATEST });
  return (
    <main>
      <h1>Pages</h1>
      <p className="lead">
        A URL goes through a chain of three tasks, each given the one before&rsquo;s result:{" "}
        <code>pages.fetchPage</code> gets the page, <code>pages.parsePage</code> reads its title, words and links, and{" "}
        <code>pages.storePageInfo</code> stores them. Seed 002&rsquo;s{" "}
        <code>fetch_page.s(url) | parse_page.s() | store_page_info.s(url)</code>; each step&rsquo;s state streams here live.
      </p>
      <PageForm sampleUrl={`${env.APP_URL.replace(/\/$/, "")}/sample-page.html`} privateHostsAllowed={env.PAGES_ALLOW_PRIVATE_HOSTS} />
      <section className="card" aria-labelledby="latest-title" id="latest">
        <h2 id="latest-title">{user ? "Your latest pages" : "Latest pages"}</h2>
        {latest.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <ul className="page-list" data-testid="latest-pages">
            {latest.map((p) => (
              <li key={p.id}>
                <strong>{p.title ?? "(no title)"}</strong> · {p.wordCount} words · {p.linkCount} links
                <br />
                <code className="page-url">{p.url}</code>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
