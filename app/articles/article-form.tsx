"use client";
/** Creates an article, follows its expandAbbreviations task, then shows the body as the task left it. */
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { postJson, TaskStatus, useTaskUpdates, type TaskView } from "../task-status";

interface Article {
  id: number;
  title: string;
  body: string;
  expandedAt: string | null;
}

export function ArticleForm() {
  const router = useRouter();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<Article | null>(null);
  const [current, setCurrent] = useState<Article | null>(null);
  const { task, states, followError, follow, reset } = useTaskUpdates();

  async function showCurrent(id: number) {
    const response = await fetch(`/api/articles/${id}`, { cache: "no-store" });
    if (response.ok) setCurrent(((await response.json()) as { article: Article }).article);
    router.refresh();
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSubmitting(true);
    setFormError(null);
    setCurrent(null);
    reset();
    try {
      const body = { title: form.get("title"), body: form.get("body") };
      const { article, taskId, status } = await postJson<{ article: Article; taskId: string; status: TaskView["status"] }>("/api/articles", body, 201);
      setSaved(article);
      follow({ id: taskId, name: "articles.expandAbbreviations", status } satisfies TaskView, () => showCurrent(article.id));
    } catch (error) {
      setFormError((error as Error).message);
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <section className="card" aria-labelledby="write-title">
      <h2 id="write-title">Write an article</h2>
      <form onSubmit={onSubmit} noValidate className="stacked">
        <label>
          Title <input name="title" defaultValue="Shopping list" />
        </label>
        <label>
          Body <textarea name="body" rows={4} defaultValue="Buy fruit, e.g. apples, pears etc. asap." />
        </label>
        <button type="submit" disabled={submitting}>
          Save article
        </button>
      </form>
      {formError && (
        <p className="error" role="alert" data-testid="form-error">
          {formError}
        </p>
      )}
      {saved && (
        <p>
          Saved as: <q data-testid="saved-body">{saved.body}</q>
        </p>
      )}
      <TaskStatus task={task} states={states} followError={followError} />
      {current && (
        <p>
          Body now: <q data-testid="current-body">{current.body}</q>
        </p>
      )}
    </section>
  );
}
