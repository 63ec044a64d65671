"use client";
/**
 * Shared by the account forms: `useApiForm(fieldNames)` posts JSON and sorts the error answer into
 * messages per field (the API's `fields`, shown next to each input) and one message for the form;
 * `<Field>` is a labelled input with its message.
 */
import { useState } from "react";

export interface ApiBody {
  ok?: boolean;
  error?: string;
  fields?: Record<string, string>;
  [key: string]: unknown;
}

async function readBody(response: Response): Promise<ApiBody> {
  try {
    return (await response.json()) as ApiBody;
  } catch {
    return { error: `request failed: HTTP ${response.status}` };
  }
}

export function useApiForm(fieldNames: readonly string[]) {
  const [submitting, setSubmitting] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  /** POSTs `data` as JSON; the answer's body if it succeeded, otherwise null (and the errors are shown). */
  async function submit(url: string, data: Record<string, unknown>): Promise<ApiBody | null> {
    setSubmitting(true);
    setFields({});
    setFormError(null);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(data),
      });
      const body = await readBody(response);
      if (response.ok) return body;
      const entries = Object.entries(body.fields ?? {});
      const inline = entries.filter(([name]) => fieldNames.includes(name));
      const other = entries.filter(([name]) => !fieldNames.includes(name));
      setFields(Object.fromEntries(inline));
      // Whatever no input can show: a field this form does not have, or an error not about any field.
      if (other.length > 0) setFormError(other.map(([name, message]) => `${name}: ${message}`).join("; "));
      else if (inline.length === 0) setFormError(body.error ?? `request failed: HTTP ${response.status}`);
      return null;
    } catch (error) {
      setFormError(`could not reach the server (${(error as Error).message})`);
      return null;
    } finally {
      setSubmitting(false);
    }
  }

  return { submitting, fields, formError, submit };
}

interface FieldProps {
  name: string;
  label: string;
  type?: "text" | "email" | "password";
  autoComplete?: string;
  error?: string;
  hint?: string;
}

/** A labelled input; its error (if any) is shown under it and announced with it. */
export function Field({ name, label, type = "text", autoComplete, error, hint }: FieldProps) {
  const id = `field-${name}`;
  const describedBy = [error && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        autoComplete={autoComplete}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      {hint && !error && (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} data-testid={`${name}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

/** The form-level error line. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="error" role="alert" data-testid="form-error">
      {message}
    </p>
  );
}
