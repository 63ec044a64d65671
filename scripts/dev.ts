/**
 * `npm run dev`: the whole app on this machine — Redis (started if needed), the celeriac package built from its
 * sources (packages/celeriac/dist, what the app loads), migrations applied, the
 * Next.js dev server on http://127.0.0.1:3000, a worker, beat (periodic tasks) and the development inbox (an SMTP sink on
 * 127.0.0.1:2525 whose mail is shown at /dev/mailbox; not started when EMAIL_URL names another server),
 * with their output interleaved. Ctrl+C stops all.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { devInboxPort } from "../lib/dev-inbox";
import { ensureRedis, MissingServiceError } from "./services";

const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? "file:./dev.db",
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  EMAIL_URL: process.env.EMAIL_URL ?? "smtp://127.0.0.1:2525",
  NEXT_TELEMETRY_DISABLED: "1",
  CHECKPOINT_DISABLE: "1",
  CELERIAC_LOG_FORMAT: process.env.CELERIAC_LOG_FORMAT ?? "pretty",
  // The page demo (/pages) may fetch this machine's own pages (its sample page) in development only.
  PAGES_ALLOW_PRIVATE_HOSTS: process.env.PAGES_ALLOW_PRIVATE_HOSTS ?? "1",
};
const PORT = process.env.PORT ?? "3000";

function start(name: string, command: string, args: string[]): ChildProcess {
  // Their own process group: Ctrl+C reaches only this script, which stops each child with one SIGTERM (a
  // second signal, from the terminal too, would make the worker exit cold and interrupt its tasks).
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const prefix = `[${name}]`.padEnd(9);
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
    });
  }
  return child;
}

let redis: ChildProcess | undefined;
try {
  redis = await ensureRedis(env.REDIS_URL);
} catch (error) {
  if (!(error instanceof MissingServiceError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// ~5 s: a framework edited since the last build must not run stale.
const built = spawnSync("npm", ["run", "--silent", "build:celeriac"], { env, stdio: "inherit" });
if (built.status !== 0) {
  redis?.kill();
  process.exit(built.status ?? 1);
}

const migrate = spawnSync("node_modules/.bin/prisma", ["migrate", "deploy"], { env, stdio: "inherit" });
if (migrate.status !== 0) {
  redis?.kill();
  process.exit(migrate.status ?? 1);
}
// Prisma names the provider only (the URL reaches it through prisma.config.ts's adapter): say which database.
console.log(`celeriac dev: migrations applied to ${env.DATABASE_URL.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:****@")}`);

const children = [
  start("web", "node_modules/.bin/next", ["dev", "-H", "127.0.0.1", "-p", PORT]),
  // debug: a line per task that succeeded too (production workers log those only at debug).
  start("worker", "node_modules/.bin/tsx", ["worker.ts", "--loglevel", "debug"]),
  start("beat", "node_modules/.bin/tsx", ["beat.ts"]),
];
// The inbox is a convenience: if it cannot start (its port is taken), the app runs on without it.
const inbox = devInboxPort(env.EMAIL_URL) === undefined ? undefined : start("mail", "node_modules/.bin/tsx", ["scripts/mail-sink.ts"]);
console.log(
  `celeriac dev: http://127.0.0.1:${PORT}` +
    (inbox ? `  mail: smtp://${new URL(env.EMAIL_URL).host} → http://127.0.0.1:${PORT}/dev/mailbox` : `  mail: sent to ${new URL(env.EMAIL_URL).host}`) +
    `  (Ctrl+C stops the web server, the worker, beat${inbox ? ", the inbox" : ""}${redis ? " and Redis" : ""})`,
);

let stopping = false;
function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  const running = inbox ? [...children, inbox] : children;
  for (const child of running) child.kill("SIGTERM");
  Promise.all(running.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.on("exit", resolve))))).then(() => {
    redis?.kill();
    process.exit(code);
  });
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));
// Never leave a detached child behind, whatever ends this script.
process.on("exit", () => {
  for (const child of inbox ? [...children, inbox] : children) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL"); // the group: the wrapper (next, tsx) and the process it runs
      } catch {
        // already gone
      }
    }
  }
});
for (const child of children) child.on("exit", (code) => stopAll(code ?? 1));
