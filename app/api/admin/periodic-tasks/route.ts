/**
 * The periodic-task admin's API (django-celery-beat's admin), staff only (lib/admin-guard.ts):
 *
 *   GET  /api/admin/periodic-tasks   → `{ timezone, now, beat: { leader, error }, tasks: [row…] }`
 *   POST /api/admin/periodic-tasks   a definition (PeriodicTaskInput) → 201 `{ task }`, an "admin" row
 *
 *   401 not logged in · 403 not staff, or a cross-site POST (route()) · 400 malformed JSON / invalid fields (save.ts)
 *   · 409 the name is taken
 */
import { overview } from "@/app/admin/periodic-tasks/data";
import { requireStaff } from "@/lib/admin-guard";
import { celeriac } from "@/lib/celery";
import { route } from "@/lib/http";
import { save } from "./save";

export const dynamic = "force-dynamic";

export const GET = route(async () => {
  await requireStaff();
  return Response.json(await overview());
});

export const POST = route(async (request) => {
  await requireStaff();
  const saved = await save(request, (input) => celeriac.periodicTasks.create(input));
  if (saved instanceof Response) return saved;
  return Response.json({ task: saved }, { status: 201 });
});
