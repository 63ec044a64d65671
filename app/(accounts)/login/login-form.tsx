"use client";
/**
 * POST /api/login, then "Logged in as <name>" with a log-out button (POST /api/logout); with `next` (a path
 * of this site: /login?next=… from a page that needs a login, checked by lib/return-path.ts), a successful
 * login goes there instead.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, useApiForm } from "../form";

const FIELDS = ["email", "password"] as const;

export function LoginForm({ initialName, next }: { initialName: string | null; next: string | null }) {
  const router = useRouter();
  const { submitting, fields, formError, submit } = useApiForm(FIELDS);
  const [name, setName] = useState(initialName);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = await submit("/api/login", { email: form.get("email") ?? "", password: form.get("password") ?? "" });
    if (!body) return;
    // A full navigation: the page there (the dashboard is not a Next page) must see the new cookie.
    if (next) return window.location.assign(next);
    setName(String(body.name));
    router.refresh();
  }

  async function logOut() {
    const body = await submit("/api/logout", {});
    if (!body) return;
    setName(null);
    router.refresh();
  }

  if (name) {
    return (
      <section className="card" aria-labelledby="session-title">
        <h2 id="session-title">Your session</h2>
        <p className="result" role="status" data-testid="logged-in">
          Logged in as <strong>{name}</strong>
        </p>
        <p>
          <button type="button" onClick={logOut} disabled={submitting}>
            Log out
          </button>
        </p>
        <FormError message={formError} />
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="login-title">
      <h2 id="login-title">Log in</h2>
      <form onSubmit={onSubmit} noValidate className="stacked">
        <Field name="email" label="Email" type="email" autoComplete="email" error={fields.email} />
        <Field name="password" label="Password" type="password" autoComplete="current-password" error={fields.password} />
        <button type="submit" disabled={submitting}>
          Log in
        </button>
      </form>
      <FormError message={formError} />
      <p>
        <Link href="/forgot-password">Forgot your password?</Link> · <Link href="/signup">Sign up</Link>
      </p>
    </section>
  );
}
