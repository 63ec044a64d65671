/** Reading a stack process's logged errors for the failure report. */
import { describe, expect, it } from "vitest";
import { loggedErrors } from "./stack";

describe("loggedErrors", () => {
  it("counts each pino error once, with its type, code and the first and last lines of its message, and Next's ⨯ lines", () => {
    const prisma = { type: "PrismaClientKnownRequestError", code: "P2025", message: "\nInvalid `prisma.periodicTask.delete()` invocation:\n\n\nNo record was found for a delete." };
    const output = [
      JSON.stringify({ level: 50, msg: "unhandled error in a route handler", err: prisma }),
      JSON.stringify({ level: 30, msg: "task succeeded" }),
      "⨯ TypeError: 'TRACE' HTTP method is unsupported.",
      "    at new ts (.next/server/chunks/x.js:37:157414)",
      JSON.stringify({ level: 50, msg: "unhandled error in a route handler", err: prisma }),
      "{ not json",
    ].join("\n");
    expect(loggedErrors(output)).toEqual([
      "unhandled error in a route handler: PrismaClientKnownRequestError P2025: Invalid `prisma.periodicTask.delete()` invocation: … No record was found for a delete. (×2)",
      "⨯ TypeError: 'TRACE' HTTP method is unsupported. (×1)",
    ]);
  });
});
