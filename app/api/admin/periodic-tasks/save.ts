/**
 * Shared by the periodic-task API's create (POST) and edit (PUT): validates the body, then writes it
 * through celeriac.periodicTasks, mapping what can go wrong to answers the form shows inline:
 *
 *   malformed JSON body                    400 "request body must be JSON" (route()'s readJson)
 *   a field of the wrong shape             400 `{ error, fields }` ("schedule.minute" etc., route()'s zod mapping)
 *   a schedule the framework refuses       400 `{ error, fields: { minute | timezone | expression | … } }`
 *                                          (InvalidScheduleError: its `field`)
 *   a definition the store refuses         400 `{ error, fields: { args | … } }` (InvalidPeriodicTaskError: its `issues`)
 *   another task already has that name    409 `{ error, fields: { name } }`
 *
 * Errors are told apart by class and fields, never by their message text.
 */
import { InvalidPeriodicTaskError, InvalidScheduleError, periodicTaskInputSchema, type FieldIssue, type PeriodicTaskView } from "celeriac";
import { readJson } from "@/lib/http";
import { fieldOfServerError } from "@/app/admin/periodic-tasks/form-values";

/** The form inputs a refused definition's problems are about: `{ minute: message }`; a path no input shows stays as it is. */
export function fieldsOf(error: InvalidScheduleError | InvalidPeriodicTaskError): Record<string, string> {
  const issues: readonly FieldIssue[] =
    error instanceof InvalidScheduleError ? (error.field === null ? [] : [{ field: `schedule.${error.field}`, message: error.message }]) : error.issues;
  const fields: Record<string, string> = {};
  for (const { field, message } of issues) fields[fieldOfServerError(field) ?? (field || "body")] ??= message;
  return fields;
}

export async function save(request: Request, write: (input: ReturnType<typeof periodicTaskInputSchema.parse>) => Promise<PeriodicTaskView>): Promise<PeriodicTaskView | Response> {
  const input = periodicTaskInputSchema.parse(await readJson(request));
  try {
    return await write(input);
  } catch (error) {
    if (error instanceof InvalidScheduleError || error instanceof InvalidPeriodicTaskError) {
      const fields = fieldsOf(error);
      return Response.json({ error: error.message, ...(Object.keys(fields).length > 0 && { fields }) }, { status: 400 });
    }
    if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002") {
      const message = `a periodic task named "${input.name}" already exists`;
      return Response.json({ error: message, fields: { name: message } }, { status: 409 });
    }
    throw error;
  }
}
