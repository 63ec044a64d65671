/**
 * `safeText()`: a zod string that refuses what text.ts calls unstorable (NUL, unpaired surrogates), with a
 * message the field's path is prefixed to ("title: contains a NUL character (\u0000)"). Every string field
 * of the app's request schemas and of the periodic-task schema starts from it.
 */
import { z } from "zod";
import { textProblem } from "./text.js";

/** A zod string that refuses NUL and unpaired surrogates; chain the usual checks after it (`.trim().min(1)`). */
export function safeText() {
  return z.string().superRefine((text, ctx) => {
    const problem = textProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: `contains ${problem}` });
  });
}
