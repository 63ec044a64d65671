"use client";
/** POST /api/password/forgot, then the server's one answer ("If an account exists…"). */
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Field, FormError, useApiForm } from "../form";

export function ForgotForm() {
  const { submitting, fields, formError, submit } = useApiForm(["email"]);
  const [message, setMessage] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = await submit("/api/password/forgot", { email: form.get("email") ?? "" });
    if (body) setMessage(String(body.message));
  }

  if (message) {
    return (
      <section className="card" aria-labelledby="forgot-title">
        <h2 id="forgot-title">Check your inbox</h2>
        <p role="status" data-testid="forgot-done">
          {message}
        </p>
        <p>
          <Link href="/login">Back to log in</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="forgot-title">
      <h2 id="forgot-title">Get a reset link</h2>
      <form onSubmit={onSubmit} noValidate className="stacked">
        <Field name="email" label="Email" type="email" autoComplete="email" error={fields.email} />
        <button type="submit" disabled={submitting}>
          Send me a link
        </button>
      </form>
      <FormError message={formError} />
    </section>
  );
}
