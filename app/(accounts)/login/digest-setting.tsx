"use client";
/**
 * The logged-in user's daily digest setting: a checkbox that POSTs /api/account/digest when it changes
 * (emails.sendDailyDigest mails the day's new articles at 08:00 to those who have it on). It shows what the
 * server stored: a refused change leaves the box as it was, with the error.
 */
import { useState } from "react";
import { FormError, useApiForm } from "../form";

export function DigestSetting({ initial }: { initial: boolean }) {
  const { submitting, formError, submit } = useApiForm([]);
  const [on, setOn] = useState(initial);
  const [saved, setSaved] = useState(false);

  async function change(wanted: boolean) {
    setSaved(false);
    const body = await submit("/api/account/digest", { dailyDigest: wanted });
    if (!body) return;
    setOn(body.dailyDigest === true);
    setSaved(true);
  }

  return (
    <section className="card" aria-labelledby="digest-title">
      <h2 id="digest-title">Daily digest</h2>
      <label>
        <input type="checkbox" name="dailyDigest" checked={on} disabled={submitting} onChange={(event) => change(event.target.checked)} data-testid="daily-digest" />
        Mail me the day&apos;s new articles every morning at 08:00
      </label>
      {saved && (
        <p role="status" data-testid="digest-saved">
          {on ? "You will get the digest." : "No more digests."}
        </p>
      )}
      <FormError message={formError} />
    </section>
  );
}
