/**
 * The Express app (server.ts listens; a test may mount it elsewhere):
 *
 *   POST /reports {"title"}  → 202 {"id", "taskId"}: creates the report in a transaction and sends
 *                               reports.render on commit, then answers at once, before the task runs
 *   GET  /reports/:id        → 200 {"report", "task": {"id", "status", "result"?, "error"?}}: the row, and
 *                               the task's state read with AsyncResult
 *   /admin, /api/admin/…     celeriac's dashboard (lib/dashboard.ts), behind HTTP Basic auth, when
 *   /api/metrics             DASHBOARD_BASIC_AUTH is set; Prometheus metrics with METRICS_TOKEN
 *
 * Errors are JSON `{"error": message}`: anything a client sends wrong is a 4xx (bad JSON, fields or id 400,
 * an unknown report or path 404, a body over 100 kB 413); a 5xx only for the server's own trouble (503 when
 * Redis or the migrated database is missing, 500 for a bug, logged and never shown).
 */
import express, { type ErrorRequestHandler, type Request, type Response } from "express";
import { BrokerUnavailableError, DispatchError, MAX_PRISMA_INT, safeText, SchemaNotReadyError } from "celeriac";
import { z } from "zod";
import { AsyncResult, celeriac, transaction } from "./lib/celery";
import { dashboard } from "./lib/dashboard";
import { db } from "./lib/db";
import { render } from "./tasks/reports";

const newReport = z.object({ title: safeText().trim().min(1, "a title is required").max(200) });

/** An error with its HTTP status, thrown by a handler. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A report id from the URL: a positive decimal integer; one over what a Prisma Int holds is no report (not a query error). */
function reportId(text: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw new HttpError(400, "a report id is a positive integer, in decimal");
  const id = Number(text);
  if (id > MAX_PRISMA_INT) throw new HttpError(404, "no such report");
  return id;
}

export const app = express();
app.disable("x-powered-by");
// Before the JSON parser: the dashboard reads its own bodies (its limit, its errors).
if (dashboard) app.use(dashboard.middleware);
app.use(express.json({ limit: "100kb" }));

app.post("/reports", async (req: Request, res: Response) => {
  const parsed = newReport.safeParse(req.body);
  if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  const { id, taskId } = await transaction(async (tx) => {
    const report = await tx.report.create({ data: { title: parsed.data.title } });
    // Sent after the commit, never after a rollback: the worker always finds the row.
    const taskId = render.delayOnCommit(report.id);
    await tx.report.update({ where: { id: report.id }, data: { taskId } });
    return { id: report.id, taskId };
  });
  res.status(202).json({ id, taskId });
});

app.get("/reports/:id", async (req: Request<{ id: string }>, res: Response) => {
  const report = await db.report.findUnique({ where: { id: reportId(req.params.id) } });
  if (!report) throw new HttpError(404, "no such report");
  let task = null;
  if (report.taskId !== null) {
    const info = await AsyncResult.from<typeof render>(report.taskId).info(); // null: not started yet (PENDING)
    task = {
      id: report.taskId,
      status: info?.status ?? "PENDING",
      ...(info?.status === "SUCCESS" ? { result: info.result } : {}),
      ...(info?.error ? { error: { type: info.error.type, message: info.error.message } } : {}),
    };
  }
  res.json({ report, task });
});

app.use((_req: Request, res: Response) => {
  res.status(404).json({ error: "not found" });
});

/** Every error as JSON: a client's mistake by its 4xx status (body-parser sets one), the server's own as 503/500. */
const errors: ErrorRequestHandler = async (error, _req, res, _next) => {
  const status = (error as { status?: unknown }).status;
  if (error instanceof HttpError || (typeof status === "number" && status >= 400 && status < 500)) {
    // body-parser's messages ("Unexpected token … in JSON") are the client's own input: safe to send back.
    res.status(status as number).json({ error: (error as Error).message });
    return;
  }
  if (error instanceof DispatchError) {
    res.status(400).json({ error: error.message });
    return;
  }
  const notMigrated = error instanceof SchemaNotReadyError ? error : await celeriac.schema.explain(error);
  if (notMigrated) {
    celeriac.log.error({ err: notMigrated }, "the database is not migrated");
    res.status(503).json({ error: "the database is not migrated: run npx prisma migrate deploy" });
    return;
  }
  if (error instanceof BrokerUnavailableError) {
    celeriac.log.error({ err: error }, "Redis did not answer");
    res.status(503).json({ error: "the task queue is unavailable; try again later" });
    return;
  }
  celeriac.log.error({ err: error }, "request failed");
  res.status(500).json({ error: "internal error" });
};
app.use(errors);
