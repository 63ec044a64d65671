/**
 * The pages' shared pieces: status badges, times and durations, JSON, page headers, error lines, and
 * confirmed actions (useAction: a <dialog>, one requestKey per confirmed action, the reply as a notice).
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type React from "react";
import type { ActionReply } from "../api-types.js";
import { ApiError, newRequestKey } from "./api.js";
import { formatCompactLocal, formatDuration, formatLocal, formatRelative, REDACTED } from "./format.js";

const BADGE_TONES: Record<string, string> = {
  SUCCESS: "good",
  FAILURE: "bad",
  STARTED: "busy",
  PROGRESS: "busy",
  RETRY: "warn",
  PENDING: "idle",
  REVOKED: "muted",
  online: "good",
  offline: "bad",
  stopped: "muted",
  paused: "warn",
};

/** A state in words on a coloured badge (the text carries the meaning; the colour only helps). */
export function StatusBadge(props: { status: string }): React.JSX.Element {
  const tone = BADGE_TONES[props.status] ?? "idle";
  return (
    <span className={`badge badge-${tone}`} data-testid="status-badge" data-status={props.status}>
      {props.status}
    </span>
  );
}

// One shared clock for every relative time on the page (a re-render a second; nothing is fetched).
const clockListeners = new Set<() => void>();
let clockNow = Date.now();
let clockTimer: ReturnType<typeof setInterval> | undefined;

function subscribeClock(listener: () => void): () => void {
  clockListeners.add(listener);
  clockTimer ??= setInterval(() => {
    clockNow = Date.now();
    for (const each of clockListeners) each();
  }, 1_000);
  return () => {
    clockListeners.delete(listener);
    if (clockListeners.size === 0 && clockTimer !== undefined) {
      clearInterval(clockTimer);
      clockTimer = undefined;
    }
  };
}

function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => clockNow);
}

/**
 * A local time with the ISO UTC instant as its title and how long ago beside it; "—" for null. `compact`
 * leaves out what today already says (for a narrow column).
 */
export function Time(props: { at: string | null; timeZone?: string; compact?: boolean }): React.JSX.Element {
  const now = useNow();
  if (props.at === null) return <span className="time">—</span>;
  const at = new Date(props.at);
  if (Number.isNaN(at.getTime())) return <span className="time">{props.at}</span>;
  const shown = props.compact ? formatCompactLocal(at, new Date(now), props.timeZone) : formatLocal(at, props.timeZone);
  return (
    <time className="time" dateTime={props.at} title={`${at.toISOString()}${props.timeZone ? ` · shown in ${props.timeZone}` : ""}`}>
      {shown} <span className="time-relative">({formatRelative(at.getTime() - now)})</span>
    </time>
  );
}

export function Duration(props: { ms: number | null }): React.JSX.Element {
  if (props.ms === null) return <span className="duration">—</span>;
  return <span className="duration" title={`${props.ms} ms`}>{formatDuration(props.ms)}</span>;
}

/** Pretty JSON in a scrollable box; REDACTED as it is, not as a JSON string. */
export function JsonView(props: { value: unknown; "data-testid"?: string }): React.JSX.Element {
  const redacted = props.value === REDACTED;
  const text = redacted ? REDACTED : props.value === undefined ? "—" : JSON.stringify(props.value, null, 2);
  return (
    <pre className="json" data-testid={props["data-testid"]} title={redacted ? "redacted: this task hides its arguments" : undefined}>
      {text}
    </pre>
  );
}

export function PageHeader(props: { title: string; children?: React.ReactNode }): React.JSX.Element {
  useEffect(() => {
    document.title = `${props.title} · celeriac`;
  }, [props.title]);
  return (
    <header className="page-header">
      <h1>{props.title}</h1>
      {props.children === undefined ? null : <div className="page-actions">{props.children}</div>}
    </header>
  );
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError && error.field !== undefined) return `${error.field}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorLine(props: { error: unknown }): React.JSX.Element | null {
  if (props.error === undefined || props.error === null || props.error === "") return null;
  return (
    <p className="error-line" role="alert" data-testid="error-line">
      {errorText(props.error)}
    </p>
  );
}

export function Loading(): React.JSX.Element {
  return <p className="loading">Loading…</p>;
}

/** A load's error line, then "Loading…" until its first data, then the data (still shown, under the error line, when a reload fails). */
export function Loaded<T>(props: { live: { data: T | undefined; error: unknown }; children: (data: T) => React.ReactNode }): React.JSX.Element {
  const { data, error } = props.live;
  return (
    <>
      <ErrorLine error={error} />
      {data === undefined ? error === undefined && <Loading /> : props.children(data)}
    </>
  );
}

// Confirmed actions and the notice.

export interface Notice {
  message: string;
  tone: "ok" | "error";
  /** Something to click in the notice, e.g. the new task. */
  extra?: React.ReactNode;
}

export interface ActionOptions {
  confirm: { title: string; body?: React.ReactNode; confirmLabel: string; danger?: boolean };
  send: (requestKey: string) => Promise<ActionReply>;
  done?: (reply: ActionReply) => void;
}

interface Pending extends ActionOptions {
  requestKey: string;
  settle: () => void;
}

interface ActionContextValue {
  run(options: ActionOptions): Promise<void>;
  notify(notice: Notice): void;
}

const ActionContext = createContext<ActionContextValue | undefined>(undefined);

function useActionContext(): ActionContextValue {
  const value = useContext(ActionContext);
  if (value === undefined) throw new Error("useAction and useNotice need the <Actions> provider around the page");
  return value;
}

/** Opens the confirmation dialog; resolves once the action is done or cancelled. */
export function useAction(): (options: ActionOptions) => Promise<void> {
  return useActionContext().run;
}

export function useNotice(): (notice: Notice) => void {
  return useActionContext().notify;
}

/** A button that opens `action`'s confirmation (useAction). */
export function ActionButton(props: {
  action: ActionOptions;
  className: string;
  "data-testid": string;
  disabled?: boolean;
  children: React.ReactNode;
}): React.JSX.Element {
  const act = useAction();
  return (
    <button type="button" className={props.className} disabled={props.disabled} data-testid={props["data-testid"]} onClick={() => void act(props.action)}>
      {props.children}
    </button>
  );
}

/** The provider of useAction and useNotice: the one confirmation dialog and the one notice of the page. */
export function Actions(props: { children: React.ReactNode }): React.JSX.Element {
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [notice, setNotice] = useState<Notice | undefined>(undefined);

  const run = useCallback(
    (options: ActionOptions) =>
      new Promise<void>((resolve) => {
        // The key is made once, when the dialog opens: "Try again" after a lost answer repeats the same
        // action, which the server then does at most once.
        setPending({ ...options, requestKey: newRequestKey(), settle: resolve });
      }),
    [],
  );
  const value = useRef<ActionContextValue>({ run, notify: setNotice }).current;

  const finish = useCallback((reply?: ActionReply) => {
    setPending(undefined);
    if (reply !== undefined) setNotice({ message: reply.repeated ? `${reply.message} (already done: sent once)` : reply.message, tone: "ok" });
  }, []);

  return (
    <ActionContext.Provider value={value}>
      {props.children}
      {pending === undefined ? null : <ConfirmDialog key={pending.requestKey} pending={pending} finish={finish} />}
      {notice === undefined ? null : <NoticeBar notice={notice} dismiss={() => setNotice(undefined)} />}
    </ActionContext.Provider>
  );
}

function ConfirmDialog(props: { pending: Pending; finish: (reply?: ActionReply) => void }): React.JSX.Element {
  const { pending, finish } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
  }, []);

  const close = (reply?: ActionReply): void => {
    finish(reply);
    pending.settle();
  };

  const confirm = async (): Promise<void> => {
    setRunning(true);
    setError(undefined);
    try {
      const reply = await pending.send(pending.requestKey);
      close(reply);
      pending.done?.(reply);
    } catch (reason) {
      setError(reason);
      setRunning(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby="confirm-title"
      data-testid="confirm-dialog"
      onCancel={(event) => {
        event.preventDefault();
        if (!running) close();
      }}
    >
      <h2 id="confirm-title">{pending.confirm.title}</h2>
      {pending.confirm.body === undefined ? null : <div className="confirm-body">{pending.confirm.body}</div>}
      <ErrorLine error={error} />
      <div className="confirm-buttons">
        <button type="button" className="button" disabled={running} onClick={() => close()} data-testid="confirm-cancel" autoFocus={pending.confirm.danger}>
          Cancel
        </button>
        <button
          type="button"
          className={`button ${pending.confirm.danger ? "button-danger" : "button-primary"}`}
          disabled={running}
          onClick={() => void confirm()}
          data-testid="confirm-ok"
          autoFocus={!pending.confirm.danger}
        >
          {running ? "Working…" : error === undefined ? pending.confirm.confirmLabel : "Try again"}
        </button>
      </div>
    </dialog>
  );
}

function NoticeBar(props: { notice: Notice; dismiss: () => void }): React.JSX.Element {
  const { notice } = props;
  return (
    <div className={`notice notice-${notice.tone}`} role={notice.tone === "error" ? "alert" : "status"} data-testid="notice">
      <span className="notice-message">{notice.message}</span>
      {notice.extra}
      <button type="button" className="notice-close" aria-label="Dismiss" onClick={props.dismiss}>
        ×
      </button>
    </div>
  );
}
