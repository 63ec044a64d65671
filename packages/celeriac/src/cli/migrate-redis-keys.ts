/**
 * `celeriac migrate-redis-keys [--dry-run] [--force]`: moves the jobs an upgraded app left in Redis under
 * celeriac 0.2's key layout to the per-queue one (broker/key-migration.ts), on the app's redisUrl and
 * keyPrefix. Exit codes as inspect's: 0 moved (or nothing to move; a dry run that would go ahead); 1 refused
 * or incomplete (a live worker, active jobs, a queue that cannot move, keys left in both layouts, Redis not
 * answering); 2 bad usage.
 */
import { parseArgs } from "node:util";
import type { ResolvedConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { migrateRedisKeys, jobsIn, type Migration, type QueueMove } from "../broker/key-migration.js";
import { createRedisConnection } from "../broker/redis-connection.js";
import { redactUrl } from "../url.js";

export const MIGRATE_USAGE = `usage: celeriac migrate-redis-keys [--dry-run] [--force]

Moves the jobs an upgraded app left in Redis under celeriac 0.2's key layout ({prefix}:<queue>:…) to the
per-queue layout this version reads ({prefix:queue}:<queue>:…), queue by queue, on a single server or a
Cluster. Stop the workers first (and beat and the web processes of the old version); running it again
moves only what is left.

options:
  -n, --dry-run   say what would move; move nothing
  -f, --force     move even while a worker is alive or a queue has active jobs, and let an old value
                  replace a new one it cannot be merged with
  -h, --help      this text`;

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
/** Keys left in both layouts named in the output, per queue. */
const LEFT_SHOWN = 5;

export interface MigrateArgs {
  help: boolean;
  dryRun: boolean;
  force: boolean;
}

/** Reads the command line (after the command's name); throws ConfigError on anything else. */
export function parseMigrateArgs(argv: readonly string[]): MigrateArgs {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        "dry-run": { type: "boolean", short: "n", default: false },
        force: { type: "boolean", short: "f", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { help: values.help ?? false, dryRun: values["dry-run"] ?? false, force: values.force ?? false };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** What the command needs of an app (a Celeriac fits). */
export interface MigrateApp {
  readonly config: Pick<ResolvedConfig, "redisUrl" | "keyPrefix" | "redisKeyLayout">;
  close(): Promise<void>;
}

export interface MigrateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: MigrateIo = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };

/** The command's main(): runs once, closes its connection and the app's, resolves the exit code. */
export async function runMigrateCli(app: MigrateApp, argv: readonly string[], io: MigrateIo = processIo): Promise<number> {
  try {
    let args: MigrateArgs;
    try {
      args = parseMigrateArgs(argv);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.stderr(`error: ${error.message}\n\n${MIGRATE_USAGE}\n`);
      return EXIT.usage;
    }
    if (args.help) {
      io.stdout(`${MIGRATE_USAGE}\n`);
      return EXIT.ok;
    }
    if (app.config.redisKeyLayout === "one-slot") {
      io.stderr(
        'Error: this app has redisKeyLayout "one-slot": it reads the old layout, and would no longer see the keys once moved. ' +
          'Remove the setting (the default is "per-queue") in the app this command loads, then run it again. Nothing was moved.\n',
      );
      return EXIT.failed;
    }
    const migration = await withRedis(app.config.redisUrl, (redis) => migrateRedisKeys(redis, app.config.keyPrefix, args));
    const { stdout, stderr, ok } = renderMigration(migration);
    if (stdout) io.stdout(stdout);
    if (stderr) io.stderr(stderr);
    return ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    io.stderr(`Error: ${(error as Error).message}\n`);
    return EXIT.failed;
  } finally {
    await app.close();
  }
}

/** One connection of its own, one attempt: a Redis that does not answer is an error at once, with its cause. */
async function withRedis<T>(url: string, use: (redis: ReturnType<typeof createRedisConnection>) => Promise<T>): Promise<T> {
  const redis = createRedisConnection(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 5000, commandTimeout: 30_000 });
  let cause: Error | undefined;
  redis.on("error", (error: Error) => (cause ??= error));
  try {
    try {
      await redis.connect();
    } catch (error) {
      const why = cause ?? (error as Error);
      throw new Error(`could not reach Redis at ${redactUrl(url)} (${(why as { code?: string }).code ?? why.message}); nothing was moved`, { cause: why });
    }
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describeJobs(move: QueueMove): string {
  const { waiting, prioritized, delayed, active, failed, paused } = move.jobs;
  const parts = [`${waiting} waiting`, `${prioritized} prioritized`, `${delayed} delayed`, `${failed} failed`, ...(active > 0 ? [`${active} active`] : [])];
  return `${parts.join(", ")}${paused ? "; paused" : ""}`;
}

function describeQueue(move: QueueMove, migration: Migration): string {
  const { dryRun, refusals } = migration;
  const taken = move.inBoth > 0 ? `, ${move.inBoth} of them at a new name already` : "";
  if (dryRun || refusals.length > 0) return `${move.queue}: ${dryRun ? "would move" : "not moved:"} ${plural(move.keys, "key")}${taken} (${describeJobs(move)})`;
  const merged = move.inBoth - move.left.length;
  const lines = [`${move.queue}: moved ${move.moved} of ${plural(move.keys, "key")}${merged > 0 ? `, ${merged} merged into keys the new layout had` : ""} (${describeJobs(move)})`];
  if (move.left.length > 0) {
    const shown = move.left.slice(0, LEFT_SHOWN).join(", ") + (move.left.length > LEFT_SHOWN ? `, … (${move.left.length} in all)` : "");
    lines.push(`  left in both layouts, their values differ (--force lets the old one replace the new): ${shown}`);
  }
  if (move.stillWritten) lines.push("  still written under the old layout after every pass: a process of the old version sends to this queue; stop it and run again");
  return lines.join("\n");
}

/** The command's report: a line per queue and a total on stdout, refusals and what was left on stderr. */
export function renderMigration(migration: Migration): { stdout: string; stderr: string; ok: boolean } {
  const { keyPrefix, dryRun, refusals, queues, collisions } = migration;
  const out: string[] = queues.map((move) => describeQueue(move, migration));
  const err: string[] = collisions.map(
    (queue) =>
      `Error: queue ${queue} not moved: its old keys {${keyPrefix}}:${queue}:* share their names with celeriac's own {${keyPrefix}}:${queue}:* keys, so they cannot be told apart. ` +
      `Run its jobs to the end with a worker of redisKeyLayout "one-slot" (-Q ${queue}) instead.`,
  );
  const keys = queues.reduce((sum, q) => sum + q.keys, 0);
  const jobs = queues.reduce((sum, q) => sum + jobsIn(q.jobs), 0);
  const what = `${plural(keys, "key")} of ${plural(queues.length, "queue")} (${plural(jobs, "job")})`;
  if (queues.length === 0 && collisions.length === 0) out.push(`nothing to move: no queue under {${keyPrefix}} uses celeriac 0.2's key layout`);
  else if (refusals.length > 0) {
    for (const reason of refusals) err.push(`Error: ${dryRun ? "a run now would refuse" : "not migrating"}: ${reason}.`);
    err.push(`${dryRun ? "A run now would move" : "Nothing was moved of"} ${what}; --force migrates anyway.`);
  } else if (dryRun) out.push(`total: would move ${what} to the per-queue layout; nothing was moved (dry run)`);
  else {
    const moved = queues.reduce((sum, q) => sum + q.moved, 0);
    const left = queues.reduce((sum, q) => sum + q.left.length, 0);
    out.push(`total: moved ${moved} of ${what} to the per-queue layout in ${(migration.elapsedMs / 1000).toFixed(1)} s`);
    if (left > 0) err.push(`Error: ${plural(left, "key")} left in both layouts (above); run again with --force to let the old values replace the new ones.`);
    const written = queues.filter((q) => q.stillWritten).map((q) => q.queue);
    if (written.length > 0) err.push(`Error: new jobs kept arriving under the old layout (${written.join(", ")}): stop every process of the old version, then run again to move them.`);
  }
  const ok = refusals.length === 0 && collisions.length === 0 && queues.every((q) => q.left.length === 0 && !q.stillWritten);
  const text = (lines: string[]) => (lines.length > 0 ? `${lines.join("\n")}\n` : "");
  return { stdout: text(out), stderr: text(err), ok };
}
