/** Checks arguments against a task's zod tuple; used at enqueue and again in the worker. */
import type { z } from "zod";
import type { ArgsOut, ArgsSchema, TaskDefinition } from "./define.js";

export type ParsedArgs<S extends ArgsSchema> = { ok: true; args: ArgsOut<S> } | { ok: false; message: string };

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const [index, ...rest] = issue.path;
      const where = index === undefined ? "arguments" : `argument ${String(index)}${rest.map((p) => `.${String(p)}`).join("")}`;
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

export function parseArgs<S extends ArgsSchema>(task: TaskDefinition<S, unknown>, args: unknown): ParsedArgs<S> {
  const parsed = task.args.safeParse(args);
  if (parsed.success) return { ok: true, args: parsed.data as ArgsOut<S> };
  return { ok: false, message: `invalid arguments for task '${task.name}': ${formatIssues(parsed.error)}` };
}
