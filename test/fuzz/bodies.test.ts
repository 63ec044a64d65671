/** Learning a route's valid body from its 400 answers, in the app's own field-error format (lib/http). */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { zodFieldErrors } from "@/lib/http";
import { learnBodies, PLAUSIBLE_EMAIL, PLAUSIBLE_PASSWORD, SEED_BODIES } from "./bodies";
import type { Outcome } from "./client";
import type { BodyObject } from "./json-text";

/** A route that validates with `schema` and answers as route() does: 400 `{ error, fields }`, else 201. */
function routeWith(schema: z.ZodType) {
  const sent: BodyObject[] = [];
  const ask = async (_method: string, body: BodyObject): Promise<Outcome> => {
    sent.push(body);
    const parsed = schema.safeParse(body);
    const json = parsed.success ? { ok: true } : { error: "invalid request", fields: zodFieldErrors(parsed.error) };
    return { kind: "answer", status: parsed.success ? 201 : 400, headers: new Map(), body: Buffer.from(JSON.stringify(json)), stream: false, ms: 1 };
  };
  return { ask, sent };
}

describe("learnBodies", () => {
  it("fills each field a 400 names with a value of the type it expects, nested ones included, until the route accepts", async () => {
    const schema = z.object({
      name: z.string().min(1),
      email: z.email(),
      password: z.string().min(12),
      count: z.number().int(),
      on: z.boolean(),
      body: z.string(),
      options: z.object({ every: z.number(), label: z.string() }),
    });
    const { ask, sent } = routeWith(schema);
    const bodies = await learnBodies("/api/things", ["GET", "POST"], ask);
    expect(bodies).toEqual({ POST: { name: "fuzz", email: PLAUSIBLE_EMAIL, password: PLAUSIBLE_PASSWORD, count: 2, on: true, body: "fuzz", options: { every: 2, label: "fuzz" } } });
    expect(schema.safeParse(bodies.POST).success).toBe(true);
    expect(sent[0]).toEqual({});
  });

  it("learns nothing for a route whose body is not an object or that takes none", async () => {
    expect(await learnBodies("/api/list", ["POST"], routeWith(z.array(z.number())).ask)).toEqual({});
    expect(await learnBodies("/api/logout", ["POST"], routeWith(z.unknown()).ask)).toEqual({});
  });

  it("takes a seed body instead of asking, where the answers cannot teach one", async () => {
    const { ask, sent } = routeWith(z.never());
    expect(await learnBodies("/api/admin/periodic-tasks", ["GET", "POST"], ask)).toEqual({ POST: SEED_BODIES["POST /api/admin/periodic-tasks"] });
    expect(sent).toEqual([]);
  });
});
