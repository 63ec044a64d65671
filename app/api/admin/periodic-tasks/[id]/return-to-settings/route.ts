/**
 * POST /api/admin/periodic-tasks/[id]/return-to-settings → `{ task }`: a settings row that was edited in
 * the admin (detached) goes back to settings; the next beat sync rewrites it from settings.beatSchedule.
 * Staff only; 404 unknown id; 409 when the row is not a detached settings row.
 */
import { requireStaff } from "@/lib/admin-guard";
import { celeriac } from "@/lib/celery";
import { HttpError, route } from "@/lib/http";
import { parseId, requireTask, writeTask } from "@/app/admin/periodic-tasks/data";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

export const POST = route(async (_request, { params }: Context) => {
  await requireStaff();
  const id = parseId((await params).id);
  const view = await requireTask(id);
  if (!view.detached) {
    throw new HttpError(409, view.managed ? "this task already follows settings" : "this task was made in the admin: it has no settings entry to return to");
  }
  await writeTask(id, () => celeriac.periodicTasks.returnToSettings(id));
  return Response.json({ task: await requireTask(id) });
});
