/** Articles (seed 002): write one; a background task expands its abbreviations after the commit. */
import { db } from "@/lib/db";
import { ArticleForm } from "./article-form";

export const dynamic = "force-dynamic";

export default async function ArticlesPage() {
  const articles = await db.article.findMany({ orderBy: { id: "desc" }, take: 20 });
  return (
    <main>
      <h1>Articles</h1>
      <p className="lead">
        Saving an article commits it, then dispatches <code>articles.expandAbbreviations</code> with its id. The task
        reloads the row and rewrites &ldquo;e.g.&rdquo;, &ldquo;i.e.&rdquo;, &ldquo;etc.&rdquo;, &ldquo;asap&rdquo;…
      </p>
      <ArticleForm />
      <section className="card" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent articles</h2>
        {articles.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <ul className="articles" data-testid="articles">
            {articles.map((a) => (
              <li key={a.id}>
                <strong>{a.title}</strong> {a.expandedAt ? "(expanded)" : "(waiting for the task)"}
                <p>{a.body}</p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
