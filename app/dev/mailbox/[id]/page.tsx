/**
 * /dev/mailbox/[id]: one message of the development inbox — its headers, its text (links made clickable)
 * and its HTML. The HTML is shown in a sandboxed iframe (no scripts, no same-origin access), never inserted
 * into this page. Not served in production unless CELERIAC_DEV_INBOX=1.
 */
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { db } from "@/lib/db";
import { devInboxEnabled, getDevMail } from "@/lib/dev-mailbox";
import styles from "../mailbox.module.css";

export const dynamic = "force-dynamic";

const URL_IN_TEXT = /(https?:\/\/[^\s<>"]+)/g;

/** The text with its http(s) links as anchors; everything else stays text (React escapes it). */
function linkify(text: string): ReactNode[] {
  return text.split(URL_IN_TEXT).map((part, i) =>
    i % 2 === 1 ? (
      <a key={i} href={part}>
        {part}
      </a>
    ) : (
      part
    ),
  );
}

export default async function MailPage({ params }: { params: Promise<{ id: string }> }) {
  if (!devInboxEnabled()) notFound();
  const { id } = await params;
  if (!/^\d{1,9}$/.test(id)) notFound();
  const mail = await getDevMail(db, Number(id));
  if (!mail) notFound();
  return (
    <main className={styles.wide}>
      <p>
        <Link href="/dev/mailbox">← Development inbox</Link>
      </p>
      <h1 data-testid="mail-subject">{mail.subject || "(no subject)"}</h1>
      <dl className={styles.headers}>
        <dt>From</dt>
        <dd>{mail.from}</dd>
        <dt>To</dt>
        <dd data-testid="mail-to">{mail.to}</dd>
        <dt>Received</dt>
        <dd>
          <time dateTime={mail.receivedAt.toISOString()}>{mail.receivedAt.toISOString().replace("T", " ").slice(0, 19)}</time>
        </dd>
        {mail.messageId && (
          <>
            <dt>Message-ID</dt>
            <dd>{mail.messageId}</dd>
          </>
        )}
      </dl>
      <section className="card" aria-labelledby="text-title">
        <h2 id="text-title">Text</h2>
        {mail.text ? (
          <pre className={styles.text} data-testid="mail-text">
            {linkify(mail.text)}
          </pre>
        ) : (
          <p>No text part.</p>
        )}
      </section>
      {mail.html && (
        <section className={`card ${styles.section}`} aria-labelledby="html-title">
          <h2 id="html-title">HTML</h2>
          <iframe className={styles.html} title="HTML part" srcDoc={mail.html} sandbox="" data-testid="mail-html" />
        </section>
      )}
    </main>
  );
}
