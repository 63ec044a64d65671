/**
 * /dev/mailbox: the development inbox, newest first — every mail the app sent to the local SMTP sink
 * (`npm run dev` starts it on 127.0.0.1:2525). Not served in production unless CELERIAC_DEV_INBOX=1.
 */
import Link from "next/link";
import { notFound } from "next/navigation";
import { db } from "@/lib/db";
import { devInboxEnabled, listDevMail } from "@/lib/dev-mailbox";
import styles from "./mailbox.module.css";

export const dynamic = "force-dynamic";

export default async function MailboxPage() {
  if (!devInboxEnabled()) notFound();
  const mails = await listDevMail(db);
  return (
    <main className={styles.wide}>
      <h1>Development inbox</h1>
      <p className="lead">
        Mail sent to the local SMTP sink (<code>smtp://127.0.0.1:2525</code>), newest first. Nothing here left this machine.
      </p>
      <section className="card" aria-labelledby="inbox-title">
        <h2 id="inbox-title">Messages</h2>
        {mails.length === 0 ? (
          <p>No mail yet.</p>
        ) : (
          <table className={styles.table} data-testid="mailbox">
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {mails.map((mail) => (
                <tr key={mail.id} data-testid="mail-row">
                  <td>{mail.to}</td>
                  <td>
                    <Link href={`/dev/mailbox/${mail.id}`}>{mail.subject || "(no subject)"}</Link>
                  </td>
                  <td className={styles.when}>
                    <time dateTime={mail.receivedAt.toISOString()}>{mail.receivedAt.toISOString().replace("T", " ").slice(0, 19)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
