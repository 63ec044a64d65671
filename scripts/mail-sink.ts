/**
 * `tsx scripts/mail-sink.ts [--port 2525]`: the development inbox on its own (`npm run dev` starts it beside
 * the web server and the worker). Mail sent to smtp://127.0.0.1:<port> is stored as DevMail rows in the app's
 * database (DATABASE_URL) and shown at /dev/mailbox. The port defaults to EMAIL_URL's. Prints
 * `dev inbox listening on smtp://127.0.0.1:<port>` when ready; SIGTERM or SIGINT stops it.
 */
import { parseArgs } from "node:util";
import { db } from "@/lib/db";
import { devInboxPort, startDevInbox, type DevInbox } from "@/lib/dev-inbox";
import { env } from "@/lib/env";

const { values } = parseArgs({ options: { port: { type: "string", short: "p" } } });
const port = values.port !== undefined ? Number(values.port) : devInboxPort(env.EMAIL_URL);
if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`no port for the dev inbox: EMAIL_URL names another server; pass --port <n>`);
  process.exit(2);
}

let inbox: DevInbox;
try {
  inbox = await startDevInbox({ port, db });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    code === "EADDRINUSE"
      ? `port ${port} is taken (another dev inbox, or a mail server?): mail to it is not stored here. Free the port, or set EMAIL_URL to another one.`
      : `could not start the dev inbox: ${(error as Error).message}`,
  );
  await db.$disconnect();
  process.exit(1);
}
console.log(`dev inbox listening on ${inbox.url} (read it at /dev/mailbox)`);

async function stop() {
  await inbox.close();
  await db.$disconnect();
  process.exit(0);
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
