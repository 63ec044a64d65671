"use client";
/** A row's actions: enable/disable, edit, delete (after a confirm; not settings rows), return to settings (detached rows). */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import styles from "../admin.module.css";

async function call(url: string, method: string, body?: unknown): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.ok) return null;
    const answer = (await response.json().catch(() => ({}))) as { error?: string };
    return answer.error ?? `request failed: HTTP ${response.status}`;
  } catch (error) {
    return `could not reach the server (${(error as Error).message})`;
  }
}

export function RowActions({ id, name, enabled, managed, detached }: { id: number; name: string; enabled: boolean; managed: boolean; detached: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const url = `/api/admin/periodic-tasks/${id}`;

  async function run(method: string, target: string, body?: unknown) {
    setBusy(true);
    setError(null);
    const failure = await call(target, method, body);
    setBusy(false);
    if (failure) setError(failure);
    else router.refresh();
  }

  return (
    <div className={styles.actions}>
      <button type="button" disabled={busy} onClick={() => run("PATCH", url, { enabled: !enabled })}>
        {enabled ? "Disable" : "Enable"}
      </button>
      <Link href={`/admin/periodic-tasks/${id}`}>Edit</Link>
      {detached && (
        <button type="button" disabled={busy} onClick={() => run("POST", `${url}/return-to-settings`)}>
          Return to settings
        </button>
      )}
      {/* A settings row would come back at the next sync: it can be disabled, not deleted. */}
      {!managed && (
        <button
          type="button"
          className={styles.danger}
          disabled={busy}
          onClick={() => {
            if (window.confirm(`Delete the periodic task "${name}"?`)) void run("DELETE", url);
          }}
        >
          Delete
        </button>
      )}
      {error && (
        <span className="error" role="alert" data-testid="row-error">
          {error}
        </span>
      )}
    </div>
  );
}
