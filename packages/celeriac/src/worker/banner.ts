/** The start-up banner, laid out like Celery's (seed 002), so users see at a glance what this worker serves. */
import { release, type } from "node:os";

export interface BannerInfo {
  hostname: string;
  version: string;
  app: string;
  transport: string;
  results: string;
  concurrency: number;
  pool: string;
  queues: readonly string[];
  tasks: readonly string[];
  now?: Date;
}

export function renderBanner(info: BannerInfo): string {
  const now = (info.now ?? new Date()).toISOString().replace("T", " ").slice(0, 19);
  const lines = [
    ` -------------- ${info.hostname} v${info.version}`,
    `--- ***** ----- ${type()}-${release()} ${now}`,
    `- *** --- * --- `,
    `- ** ---------- [config]`,
    `- ** ---------- .> app:         ${info.app}`,
    `- ** ---------- .> transport:   ${info.transport}`,
    `- ** ---------- .> results:     ${info.results}`,
    `- *** --- * --- .> concurrency: ${info.concurrency} (${info.pool})`,
    `--- ***** ----- `,
    ` -------------- [queues]`,
    ...info.queues.map((q) => `                .> ${q}`),
    "",
    "[tasks]",
    ...(info.tasks.length ? info.tasks.map((t) => `  . ${t}`) : ["  (none: add task modules under the tasks directory)"]),
    "",
  ];
  return lines.join("\n");
}
