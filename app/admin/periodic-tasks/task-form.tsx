"use client";
/**
 * The create / edit form: every field of a periodic task, the schedule's fields by kind. Arguments and
 * numbers are checked here (form-values.ts); the server checks the rest and its errors show next to the
 * input they are about (or above the button when they name none).
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type ChangeEvent, type FormEvent, type ReactNode } from "react";
import styles from "../admin.module.css";
import { fieldOfServerError, inputFromForm, KINDS, PERIODS, type FormErrors, type FormValues } from "./form-values";

interface Props {
  /** The task being edited, or undefined for a new one. */
  id?: number;
  initial: FormValues;
  /** The app's time zone (crontabs without their own run in it). */
  appTimezone: string;
}

export function TaskForm({ id, initial, appTimezone }: Props) {
  const router = useRouter();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FormErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const text = (key: keyof FormValues) => (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    set(key, event.target.value as never);
  const check = (key: "enabled" | "oneOff") => (event: ChangeEvent<HTMLInputElement>) => set(key, event.target.checked);

  function field(key: keyof FormValues, label: string, control: ReactNode, hint?: string, wide = false) {
    const error = errors[key];
    return (
      <div className={`field${wide ? ` ${styles.wide}` : ""}`}>
        <label htmlFor={`field-${key}`}>{label}</label>
        {control}
        {hint && !error && <span className="field-hint">{hint}</span>}
        {error && (
          <span className="field-error" id={`field-${key}-error`} data-testid={`${key}-error`}>
            {error}
          </span>
        )}
      </div>
    );
  }
  const input = (key: keyof FormValues, props: { placeholder?: string; inputMode?: "numeric" } = {}) => (
    <input
      id={`field-${key}`}
      name={key}
      value={values[key] as string}
      onChange={text(key)}
      aria-invalid={errors[key] ? true : undefined}
      aria-describedby={errors[key] ? `field-${key}-error` : undefined}
      {...props}
    />
  );

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    const built = inputFromForm(values);
    if (built.errors) {
      setErrors(built.errors);
      return;
    }
    setSubmitting(true);
    try {
      const response = await fetch(id === undefined ? "/api/admin/periodic-tasks" : `/api/admin/periodic-tasks/${id}`, {
        method: id === undefined ? "POST" : "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(built.input),
      });
      if (response.ok) {
        router.push("/admin/periodic-tasks");
        router.refresh();
        return;
      }
      const body = (await response.json().catch(() => ({}))) as { error?: string; fields?: Record<string, string> };
      const inline: FormErrors = {};
      const other: string[] = [];
      for (const [path, message] of Object.entries(body.fields ?? {})) {
        const key = fieldOfServerError(path);
        if (key && !inline[key]) inline[key] = message;
        else other.push(`${path}: ${message}`);
      }
      setErrors(inline);
      if (other.length > 0) setFormError(other.join("; "));
      else if (Object.keys(inline).length === 0) setFormError(body.error ?? `request failed: HTTP ${response.status}`);
    } catch (error) {
      setFormError(`could not reach the server (${(error as Error).message})`);
    } finally {
      setSubmitting(false);
    }
  }

  const kind = values.kind;
  return (
    <form onSubmit={onSubmit} noValidate className="stacked" data-testid="task-form">
      <div className={styles.grid}>
        {field("name", "Name", input("name"), "unique")}
        {field("task", "Task", input("task", { placeholder: "demo.add" }), "a registered task name")}
        {field(
          "args",
          "Arguments (JSON array)",
          <textarea id="field-args" name="args" rows={2} value={values.args} onChange={text("args")} aria-invalid={errors.args ? true : undefined} />,
          'e.g. [16, 16] or ["a@example.com"]',
          true,
        )}
      </div>
      <fieldset className={styles.fieldset}>
        <legend>Schedule</legend>
        <div className={styles.grid}>
          {field(
            "kind",
            "Schedule kind",
            <select id="field-kind" name="kind" value={kind} onChange={text("kind")}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>,
          )}
          {kind === "interval" && (
            <>
              {field("every", "Every", input("every", { inputMode: "numeric" }))}
              {field(
                "period",
                "Period",
                <select id="field-period" name="period" value={values.period} onChange={text("period")}>
                  {PERIODS.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>,
              )}
            </>
          )}
          {kind === "crontab" && (
            <>
              {field("minute", "Minute", input("minute"), "0-59, *, */15, 1-5, 0,30")}
              {field("hour", "Hour", input("hour"), "0-23")}
              {field("dayOfWeek", "Day of week", input("dayOfWeek"), "0-6 (Sunday 0) or mon-sun")}
              {field("dayOfMonth", "Day of month", input("dayOfMonth"), "1-31")}
              {field("monthOfYear", "Month of year", input("monthOfYear"), "1-12")}
            </>
          )}
          {kind === "cron" && field("expression", "Cron expression", input("expression", { placeholder: "30 7 * * 1" }), "5 fields, or 6 with seconds first")}
          {(kind === "crontab" || kind === "cron") &&
            field("timezone", "Time zone", input("timezone", { placeholder: appTimezone }), `IANA zone; blank: the app's (${appTimezone})`)}
          {kind === "clocked" && field("at", "At", input("at", { placeholder: "2030-01-01T09:00:00Z" }), "ISO 8601 with an offset, e.g. 2030-01-01T09:00:00+01:00")}
        </div>
      </fieldset>
      <div className={styles.grid}>
        {field("queue", "Queue", input("queue", { placeholder: "default" }), "blank: the task's own routing")}
        {field("priority", "Priority", input("priority", { inputMode: "numeric" }), "blank: none; 1 is the highest")}
        {field("expireSeconds", "Expire after (seconds)", input("expireSeconds", { inputMode: "numeric" }), "a sent task not started by then is revoked")}
        {field("startTime", "Start time", input("startTime", { placeholder: "2030-01-01T09:00:00Z" }), "ISO 8601; blank: now")}
        {field("expires", "Expires", input("expires", { placeholder: "2030-12-31T00:00:00Z" }), "ISO 8601; after it, never sent")}
        {field(
          "catchUp",
          "Catch up",
          <select id="field-catchUp" name="catchUp" value={values.catchUp} onChange={text("catchUp")}>
            <option value="one">one: run once for missed slots</option>
            <option value="none">none: skip missed slots</option>
          </select>,
        )}
        <label className={styles.check}>
          <input type="checkbox" name="enabled" checked={values.enabled} onChange={check("enabled")} /> Enabled
        </label>
        <label className={styles.check}>
          <input type="checkbox" name="oneOff" checked={values.oneOff} onChange={check("oneOff")} /> One-off (disable after one run)
        </label>
        {field(
          "description",
          "Description",
          <textarea id="field-description" name="description" rows={2} value={values.description} onChange={text("description")} />,
          undefined,
          true,
        )}
      </div>
      {formError && (
        <p className="error" role="alert" data-testid="form-error">
          {formError}
        </p>
      )}
      <p>
        <button type="submit" disabled={submitting}>
          {id === undefined ? "Create periodic task" : "Save changes"}
        </button>{" "}
        <Link href="/admin/periodic-tasks">Cancel</Link>
      </p>
    </form>
  );
}
