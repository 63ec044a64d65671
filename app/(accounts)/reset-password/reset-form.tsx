"use client";
/** POST /api/password/reset with the link's token; a link problem is shown with a way to get a new link. */
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Field, useApiForm } from "../form";

/** An expired, used or invalid link: the reason, and where to ask for a new one. */
export function LinkError({ message }: { message: string }) {
  return (
    <>
      <p className="error" role="alert" data-testid="link-error">
        {message}
      </p>
      <p>
        <Link href="/forgot-password">Ask for a new link</Link>
      </p>
    </>
  );
}

export function ResetForm({ token }: { token: string }) {
  const { submitting, fields, formError, submit } = useApiForm(["password"]);
  const [message, setMessage] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = await submit("/api/password/reset", { token, password: form.get("password") ?? "" });
    if (body) setMessage(String(body.message));
  }

  if (message) {
    return (
      <section className="card" aria-labelledby="reset-title">
        <h2 id="reset-title">Password changed</h2>
        <p className="result" role="status" data-testid="reset-done">
          {message}
        </p>
        <p>
          <Link href="/login">Log in</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="reset-title">
      <h2 id="reset-title">Link accepted: choose your password</h2>
      <form onSubmit={onSubmit} noValidate className="stacked">
        <Field
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          error={fields.password}
          hint="At least 8 characters."
        />
        <button type="submit" disabled={submitting}>
          Set new password
        </button>
      </form>
      {formError && <LinkError message={formError} />}
    </section>
  );
}
