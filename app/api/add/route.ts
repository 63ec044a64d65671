/**
 * POST /api/add `{ x: number, y: number }` → 202 `{ id, name: "demo.add", status: "PENDING" }`.
 * The task is only enqueued here; a worker runs it, and GET /api/tasks/[id] reports how it went.
 */
import { z } from "zod";
import { parseBody, route } from "@/lib/http";
import { requestOwner } from "@/lib/result-access";
import { add } from "@/tasks/demo";

export const dynamic = "force-dynamic";

const body = z.object({ x: z.number(), y: z.number() });

export const POST = route(async (request) => {
  const { x, y } = await parseBody(request, body);
  // The logged-in user's task, or (nobody logged in) readable by whoever holds its id: lib/result-access.ts.
  const result = await add.applyAsync([x, y], { owner: await requestOwner(request) });
  return Response.json({ id: result.id, name: add.name, status: "PENDING" }, { status: 202 });
});
