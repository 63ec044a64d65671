"use client";
/**
 * POST /api/signup; on 201 the form gives way to "check your inbox". It does not follow the welcome-mail
 * task: that result is the new user's (lib/result-access.ts), and this visitor is not logged in yet.
 */
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Field, FormError, useApiForm } from "../form";

const FIELDS = ["name", "email", "password"] as const;

export function SignupForm() {
  const { submitting, fields, formError, submit } = useApiForm(FIELDS);
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const data = Object.fromEntries(FIELDS.map((name) => [name, form.get(name) ?? ""]));
    const body = await submit("/api/signup", data);
    if (!body) return;
    setSentTo(String(data.email).trim());
  }

  if (sentTo) {
    return (
      <section className="card" aria-labelledby="inbox-title">
        <h2 id="inbox-title">Check your inbox</h2>
        <p role="status" data-testid="signup-done">
          Your account is ready. A welcome mail is on its way to <strong>{sentTo}</strong>: check your inbox.
        </p>
        <p>
          <Link href="/login">Log in</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="signup-title">
      <h2 id="signup-title">Create an account</h2>
      <form onSubmit={onSubmit} noValidate className="stacked">
        <Field name="name" label="Name" autoComplete="name" error={fields.name} />
        <Field name="email" label="Email" type="email" autoComplete="email" error={fields.email} />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          error={fields.password}
          hint="At least 8 characters."
        />
        <button type="submit" disabled={submitting}>
          Sign up
        </button>
      </form>
      <FormError message={formError} />
      <p>
        Already have an account? <Link href="/login">Log in</Link>
      </p>
    </section>
  );
}
