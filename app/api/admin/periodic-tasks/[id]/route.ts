/**
 * One periodic task, staff only (lib/admin-guard.ts); 404 for an unknown id.
 *
 *   GET    → `{ task }` (the stored definition, as the edit form loads it)
 *   PUT    a whole definition (PeriodicTaskInput) → `{ task }`; editing a settings row's definition
 *          detaches it from settings (the store's rule)
 *   PATCH  `{ enabled: boolean }` → `{ task }` (enable / disable; a settings row stays managed)
 *   DELETE → `{ ok: true }`; 409 for a row managed by settings (it would come back)
 *
 * A row another request deletes while one of these writes it is the same 404 (writeTask()).
 */
import { z } from "zod";
import { requireStaff } from "@/lib/admin-guard";
import { celeriac } from "@/lib/celery";
import { HttpError, parseBody, route } from "@/lib/http";
import { parseId, requireTask, writeTask } from "@/app/admin/periodic-tasks/data";
import { save } from "../save";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

export const GET = route(async (_request, { params }: Context) => {
  await requireStaff();
  return Response.json({ task: await requireTask(parseId((await params).id)) });
});

export const PUT = route(async (request, { params }: Context) => {
  await requireStaff();
  const id = parseId((await params).id);
  await requireTask(id);
  const saved = await save(request, (input) => writeTask(id, () => celeriac.periodicTasks.update(id, input)));
  if (saved instanceof Response) return saved;
  return Response.json({ task: saved });
});

const toggle = z.object({ enabled: z.boolean() }).strict();

export const PATCH = route(async (request, { params }: Context) => {
  await requireStaff();
  const id = parseId((await params).id);
  const { enabled } = await parseBody(request, toggle);
  await requireTask(id);
  await writeTask(id, () => celeriac.periodicTasks.setEnabled(id, enabled));
  return Response.json({ task: await requireTask(id) });
});

export const DELETE = route(async (_request, { params }: Context) => {
  await requireStaff();
  const id = parseId((await params).id);
  // A deleted settings row would be back at the next sync: say so instead of pretending.
  if ((await requireTask(id)).managed) {
    throw new HttpError(409, "this task comes from settings.beatSchedule and would come back at the next beat sync: disable it here, or remove its entry from settings");
  }
  await writeTask(id, () => celeriac.periodicTasks.remove(id));
  return Response.json({ ok: true });
});
