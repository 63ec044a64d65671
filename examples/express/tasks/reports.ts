/**
 * The report task: POST /reports sends it on commit with the new row's id. It receives the id, never the
 * row: it reads the report as committed when it runs, writes its body, and returns something small.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { task } from "../lib/celery";
import { db } from "../lib/db";

/** Stands in for the slow part (a PDF, a call to another service), so that the route's answer comes first. */
const RENDER_MS = 500;

export const render = task({
  name: "reports.render",
  args: z.tuple([z.number().int().positive()]),
  async run(ctx, reportId) {
    const report = await db.report.findUnique({ where: { id: reportId } });
    if (!report) return { reportId, rendered: false }; // deleted since: nothing to do
    ctx.log.info({ reportId }, "rendering report");
    await sleep(RENDER_MS);
    const body = `# ${report.title}\n\nReport ${report.id}, created ${report.createdAt.toISOString()}, rendered by task ${ctx.id}.\n`;
    await db.report.update({ where: { id: reportId }, data: { body, renderedAt: new Date() } });
    return { reportId, rendered: true, length: body.length };
  },
});
