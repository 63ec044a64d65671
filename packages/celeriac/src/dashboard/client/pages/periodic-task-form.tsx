/**
 * The periodic-task form, new (POST periodic-tasks) or edit (GET, then PUT periodic-tasks/<id>): every
 * field of a row, the schedule's by kind. The task is a choice of the registered tasks; arguments,
 * numbers and dates are checked here (periodic-form-values.ts), the rest by the server, whose 400 names
 * the field its reason is shown beside (an unknown task, arguments the task's schema refuses, a bad cron).
 */
import { useRef, useState } from "react";
import type React from "react";
import type { PeriodicTaskList, PeriodicTaskRow } from "../../api-types.js";
import { ApiError, apiGet, apiSend, newRequestKey } from "../api.js";
import { useLive } from "../live.js";
import { Link, useRoute } from "../router.js";
import { ErrorLine, Loaded, PageHeader, useNotice } from "../ui.js";
import "./ops.css";
import { bodyFromForm, fieldOfServerError, formValuesOf, KIND_LABELS, KINDS, PERIODS, type FormErrors, type FormValues } from "./periodic-form-values.js";

/** What the form starts from: the list (its time zone) and, to edit, the row. */
interface FormSource {
  list: PeriodicTaskList;
  row: PeriodicTaskRow | undefined;
}

export function PeriodicTaskFormPage(props: { id?: number }): React.JSX.Element {
  const { id } = props;
  const loaded = useLive<FormSource>(async () => {
    const [list, row] = await Promise.all([
      apiGet<PeriodicTaskList>("periodic-tasks"),
      id === undefined ? undefined : apiGet<PeriodicTaskRow>(`periodic-tasks/${id}`),
    ]);
    return { list, row };
  }, [id]);
  const title = id === undefined ? "New periodic task" : `Edit ${loaded.data?.row?.name ?? "periodic task"}`;
  return (
    <section data-testid="periodic-form-page">
      <PageHeader title={title}>
        <Link to="/periodic-tasks" className="button">
          Back to the list
        </Link>
      </PageHeader>
      <Loaded live={loaded}>{(source) => <PeriodicTaskForm id={id} {...source} />}</Loaded>
    </section>
  );
}

/** Mounted once the data is there: the form's state starts from it and is the user's from then on (a reload does not reset it). */
function PeriodicTaskForm(props: { id: number | undefined } & FormSource): React.JSX.Element {
  const { id, list, row } = props;
  const zone = list.timezone;
  const route = useRoute();
  const notify = useNotice();
  const [values, setValues] = useState(() => formValuesOf(row, zone));
  const [errors, setErrors] = useState<FormErrors>({});
  const [formError, setFormError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  // One key per attempt: a double click saves once; a new attempt after a refusal needs a new key.
  const requestKey = useRef(newRequestKey());

  // A change clears that input's error: the reason was about the old value.
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) => {
    setValues((old) => ({ ...old, [key]: value }));
    setErrors((old) => (old[key] === undefined ? old : { ...old, [key]: undefined }));
  };

  async function submit(event: React.FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (saving) return;
    setErrors({});
    setFormError(undefined);
    const built = bodyFromForm(values, zone);
    if (built.errors) {
      setErrors(built.errors);
      return;
    }
    setSaving(true);
    try {
      const body = { ...built.body, requestKey: requestKey.current };
      const saved = await (id === undefined ? apiSend<PeriodicTaskRow>("POST", "periodic-tasks", body) : apiSend<PeriodicTaskRow>("PUT", `periodic-tasks/${id}`, body));
      notify({ message: `${id === undefined ? "Created" : "Saved"} the periodic task ${saved.name}`, tone: "ok" });
      route.navigate("/periodic-tasks");
    } catch (error) {
      requestKey.current = newRequestKey();
      const key = error instanceof ApiError ? fieldOfServerError(error.field) : null;
      if (key !== null && error instanceof Error) setErrors({ [key]: error.message });
      else setFormError(error);
      setSaving(false);
    }
  }

  const field = (key: keyof FormValues, label: string, control: React.ReactNode, hint?: string, wide = false) => (
    <div className={`field${wide ? " ops-wide" : ""}`}>
      <label htmlFor={`field-${key}`}>{label}</label>
      {control}
      {errors[key] !== undefined ? (
        <span className="field-error" id={`field-${key}-error`} data-testid={`field-error-${key}`} role="alert">
          {errors[key]}
        </span>
      ) : (
        hint !== undefined && <span className="field-hint">{hint}</span>
      )}
    </div>
  );
  const invalid = (key: keyof FormValues) => ({
    id: `field-${key}`,
    name: key,
    "aria-invalid": errors[key] !== undefined ? true : undefined,
    "aria-describedby": errors[key] !== undefined ? `field-${key}-error` : undefined,
  });
  const text = (key: Exclude<keyof FormValues, "enabled" | "oneOff" | "argsHidden">, extra: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <input {...invalid(key)} value={values[key]} onChange={(event) => set(key, event.target.value as never)} {...extra} />
  );
  const when = (key: "startTime" | "expires" | "at") => text(key, { type: "datetime-local", step: 1 });

  const known = list.taskNames.includes(values.task);
  const kind = values.kind;
  return (
    <form className="ops-form" onSubmit={(event) => void submit(event)} noValidate data-testid="periodic-form">
      <div className="ops-form-grid ops-form-grid-wide">
        {field("name", "Name", text("name", { autoComplete: "off" }), "unique; the name in the list and the audit log")}
        {field(
          "task",
          "Task",
          <select {...invalid("task")} value={values.task} onChange={(event) => set("task", event.target.value)}>
            <option value="" disabled>
              Choose a registered task…
            </option>
            {!known && values.task !== "" && (
              <option value={values.task} data-unknown="true">
                {values.task} (unknown: not registered)
              </option>
            )}
            {list.taskNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>,
          known || values.task === "" ? "the tasks this app and its live workers register" : "not registered here or by a live worker: beat would fail every run",
        )}
        {field(
          "args",
          "Arguments (JSON array)",
          <textarea {...invalid("args")} rows={2} value={values.args} onChange={(event) => set("args", event.target.value)} spellCheck={false} />,
          values.argsHidden ? "hidden: the task redacts its arguments; type them again to save" : 'e.g. [16, 16] or ["a@example.com"]; checked against the task\'s schema',
          true,
        )}
      </div>
      <fieldset className="ops-fieldset">
        <legend>Schedule</legend>
        <div className="ops-form-grid">
          {field(
            "kind",
            "Kind",
            <select {...invalid("kind")} value={kind} onChange={(event) => set("kind", event.target.value as FormValues["kind"])}>
              {KINDS.map((each) => (
                <option key={each} value={each}>
                  {KIND_LABELS[each]}
                </option>
              ))}
            </select>,
          )}
          {kind === "interval" && (
            <>
              {field("every", "Every", text("every", { inputMode: "numeric" }))}
              {field(
                "period",
                "Period",
                <select {...invalid("period")} value={values.period} onChange={(event) => set("period", event.target.value as FormValues["period"])}>
                  {PERIODS.map((period) => (
                    <option key={period} value={period}>
                      {period}
                    </option>
                  ))}
                </select>,
              )}
            </>
          )}
          {kind === "crontab" && (
            <>
              {field("minute", "Minute", text("minute"), "0-59, *, */15, 1-5, 0,30")}
              {field("hour", "Hour", text("hour"), "0-23")}
              {field("dayOfWeek", "Day of week", text("dayOfWeek"), "0-6 (Sunday 0) or mon-sun")}
              {field("dayOfMonth", "Day of month", text("dayOfMonth"), "1-31")}
              {field("monthOfYear", "Month of year", text("monthOfYear"), "1-12")}
            </>
          )}
          {kind === "cron" && field("expression", "Cron expression", text("expression", { placeholder: "30 7 * * 1" }), "5 fields, or 6 with seconds first")}
          {(kind === "crontab" || kind === "cron") &&
            field("timezone", "Time zone", text("timezone", { placeholder: zone }), `IANA zone, e.g. Europe/Paris; blank: the app's (${zone})`)}
          {kind === "clocked" && field("at", "At", when("at"), `once, at this time in ${zone}`)}
        </div>
      </fieldset>
      <div className="ops-form-grid">
        {field("queue", "Queue", text("queue"), "blank: the task's own routing")}
        {field("priority", "Priority", text("priority", { inputMode: "numeric" }), "blank: none; 1 is the highest")}
        {field("expireSeconds", "Expire after (seconds)", text("expireSeconds", { inputMode: "numeric" }), "a sent task not started by then is revoked")}
        {field("startTime", "Start time", when("startTime"), `in ${zone}; blank: now`)}
        {field("expires", "Expires", when("expires"), `in ${zone}; after it, never sent`)}
        {field(
          "catchUp",
          "Catch up",
          <select {...invalid("catchUp")} value={values.catchUp} onChange={(event) => set("catchUp", event.target.value as FormValues["catchUp"])}>
            <option value="one">one run for missed slots</option>
            <option value="none">skip missed slots</option>
          </select>,
        )}
        <div className="field">
          <span className="field-label">Options</span>
          <div className="checks">
            <label className="check">
              <input type="checkbox" name="enabled" checked={values.enabled} onChange={(event) => set("enabled", event.target.checked)} /> Enabled
            </label>
            <label className="check">
              <input type="checkbox" name="oneOff" checked={values.oneOff} onChange={(event) => set("oneOff", event.target.checked)} /> One-off (disabled
              after one run)
            </label>
          </div>
        </div>
        {field(
          "description",
          "Description",
          <textarea {...invalid("description")} rows={2} value={values.description} onChange={(event) => set("description", event.target.value)} />,
          undefined,
          true,
        )}
      </div>
      {formError !== undefined && (
        <div data-testid="form-error">
          <ErrorLine error={formError} />
        </div>
      )}
      <div className="toolbar">
        <button type="submit" className="button button-primary" disabled={saving} data-testid="periodic-save">
          {saving ? "Saving…" : id === undefined ? "Create periodic task" : "Save changes"}
        </button>
        <Link to="/periodic-tasks" className="button">
          Cancel
        </Link>
      </div>
    </form>
  );
}
