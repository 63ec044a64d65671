/**
 * Shared by the periodic-task API's create (POST) and edit (PUT): validates the body, then writes it
 * through celeriac.periodicTasks, mapping what can go wrong to answers the form shows inline:
 *
 *   malformed JSON body                    400 "request body must be JSON" (route()'s readJson)
 *   a field of the wrong shape             400 `{ error, fields }` ("schedule.minute" etc., route()'s zod mapping)
 *   a schedule the framework refuses       400 `{ error, fields: { minute | timezone | expression | … } }`
 *   another task already has that name    409 `{ error, fields: { name } }`
 */
import { ConfigError, periodicTaskInputSchema, type PeriodicTaskView } from "celeriac";
import { readJson } from "@/lib/http";
import { scheduleErrorField } from "@/app/admin/periodic-tasks/form-values";

export async function save(request: Request, write: (input: ReturnType<typeof periodicTaskInputSchema.parse>) => Promise<PeriodicTaskView>): Promise<PeriodicTaskView | Response> {
  const input = periodicTaskInputSchema.parse(await readJson(request));
  try {
    return await write(input);
  } catch (error) {
    if (error instanceof ConfigError) {
      const field = scheduleErrorField(error.message);
      return Response.json({ error: error.message, ...(field && { fields: { [field]: error.message } }) }, { status: 400 });
    }
    if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002") {
      const message = `a periodic task named "${input.name}" already exists`;
      return Response.json({ error: message, fields: { name: message } }, { status: 409 });
    }
    throw error;
  }
}
